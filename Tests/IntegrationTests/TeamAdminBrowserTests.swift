import Foundation
import SLIP0013Signing
import Support
import TestSupport
import Testing

/// Team administration in headless Chromium with two people in two browsers: Ada signs in with
/// the Trezor double, Bob with Trustee (the emulator's phone approves). Ada creates a team,
/// copies its credentials, invites Bob, who joins; roles, pause, new keys, sites and logs after a
/// grant, and Bob's removal. Screenshots of every page in test-artifacts/.
@Suite(.serialized) struct TeamAdminBrowserTests {
    /// A JavaScript string literal (JSON's), for selectors and values with quotes in them.
    func literal(_ text: String) throws -> String {
        String(String(decoding: try JSONSerialization.data(withJSONObject: [text]), as: UTF8.self).dropFirst().dropLast())
    }

    func fill(_ browser: WebDriver, _ selector: String, _ value: String) throws {
        _ = try browser.script("document.querySelector(\(try literal(selector))).value = \(try literal(value))")
    }

    func clickAndWait(_ browser: WebDriver, _ selector: String, until what: String, _ condition: () throws -> Bool) throws {
        try browser.click(selector)
        try browser.wait(what, condition)
    }

    @Test func twoPeopleRunATeam() throws {
        let signer = TestSigner(seed: 61)
        let stack = try TrezorBrowserTests().stack(signer: signer, mode: .callback)
        defer { stack.stop() }
        let base = "http://127.0.0.1:\(stack.port)"

        let ada = try WebDriver()
        try ada.openTrezorPage(base + "/login/trezor")
        try clickAndWait(ada, "#trezor-start", until: "Ada's account page") { try ada.url == base + "/account" }
        try ada.open(base + "/teams")
        #expect(try ada.source.contains("You are in no team yet"))
        try ada.screenshot("teams-empty")
        try fill(ada, "input[name=name]", "Acme Support")
        try clickAndWait(ada, "form[action='/teams'] button", until: "the team's page") { try ada.url.contains("/teams/") }
        let teamURL = try ada.url
        let id = try #require(Int64(teamURL.split(separator: "/").last ?? ""))
        try ada.screenshot("team")
        // Copy: on plain http the button selects the text for Ctrl-C, and says so.
        try clickAndWait(ada, "button[data-copy='#public-key']", until: "the copy button's answer") {
            let label = try ada.text("button[data-copy='#public-key']")
            return label.hasPrefix("Copied") || label.hasPrefix("Selected")
        }
        _ = try ada.script("document.getElementById('private-key-details').open = true")
        #expect(try ada.text("#private-key").count == 64)
        try ada.screenshot("team-credentials")

        // Invite Bob.
        try ada.open(teamURL + "/members")
        try fill(ada, "input[name=email]", "bob@example.com")
        try fill(ada, "form[action$='/members/invite'] input[name=name]", "Bob")
        try clickAndWait(ada, "#invite", until: "the invitation link") { try ada.source.contains("invited-url") }
        let invitation = try ada.text("#invited-url")
        #expect(invitation.hasPrefix(base + "/invitations/"))
        try ada.screenshot("team-invited")

        // Bob signs in with Trustee (the phone approves), opens the link, joins.
        let bob = try WebDriver()
        try bob.open(base + "/login/trustee")
        try bob.wait("Bob's QR code") {
            try bob.script("const q = document.getElementById('trustee-qr'); return !q.hidden && q.naturalWidth > 0") as? Bool == true
        }
        let link = try bob.script("return document.getElementById('trustee-open').href") as? String ?? ""
        _ = try TrusteePhone(stack).approve(try #require(link.components(separatedBy: "key=").last), wallet: "bob")
        try bob.wait("Bob's account page") { try bob.url == base + "/account" }
        try bob.open(invitation)
        #expect(try bob.source.contains("Join Acme Support as member"))
        try bob.screenshot("invitation")
        try clickAndWait(bob, "#join", until: "Bob on the team's page") { try bob.url.hasPrefix(teamURL) }
        #expect(try !bob.source.contains("Regenerate keys") && !bob.source.contains("private-key"))
        try bob.screenshot("team-as-member")

        // Ada makes Bob an admin.
        try ada.open(teamURL + "/members")
        let bobRow = "tr[data-member]:nth-child(2)"
        _ = try ada.script("document.querySelector(\"\(bobRow) select[name=role]\").value = 'admin'")
        try clickAndWait(ada, "\(bobRow) form[action$='/role'] button", until: "the role changed") { try ada.source.contains("The role is changed") }
        #expect(try ada.text("\(bobRow) td.role") == "admin")
        try ada.screenshot("team-members")

        // Pause and resume; then new keys, confirmed.
        try ada.open(teamURL)
        try clickAndWait(ada, "#pause", until: "paused") { try ada.text("#team-status") == "paused" }
        try ada.screenshot("team-paused")
        try clickAndWait(ada, "#resume", until: "active again") { try ada.text("#team-status") == "active" }
        let oldKey = try ada.text("#public-key")
        _ = try ada.script("document.querySelector('input[name=confirm][type=checkbox]').checked = true")
        try clickAndWait(ada, "#cycle-keys", until: "the new keys") { try ada.source.contains("keys-cycled") }
        let publicKey = try ada.text("#public-key")
        #expect(publicKey != oldKey)
        try ada.screenshot("team-keys-regenerated")

        // A customer site grants access with the new public key; sites and logs show it.
        let team = TLTeam(id: id, name: "Acme Support", publicKey: publicKey, privateKey: "")
        #expect(try TrustedLoginAPI(http: stack.http).client("POST", "sites", team: team, TrustedLoginAPI.grant(team: team)).status == 201)
        try ada.open(teamURL + "/sites")
        #expect(try ada.source.contains("https://customer.example/wp"))
        try ada.screenshot("team-sites")
        try ada.open(teamURL + "/logs")
        #expect(try ada.source.contains("<svg") && ada.source.contains("keys-cycled"))
        try ada.screenshot("team-logs")

        // Bob is removed: the team is gone for him.
        try ada.open(teamURL + "/members")
        try clickAndWait(ada, "\(bobRow) form[action$='/remove'] button", until: "Bob removed") { try ada.source.contains("The member is removed") }
        try ada.screenshot("team-members-after")
        try bob.open(teamURL)
        #expect(try bob.source.contains("Page not found") || bob.source.contains("404"))
        try bob.open(base + "/teams")
        try bob.screenshot("teams-bob-after")
    }
}
