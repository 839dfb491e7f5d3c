import Foundation
import SLIP0013Signing
import Support
import TestSupport
import Testing

/// The account page through nginx: display name, identities, sessions and their revocation.
@Suite(.serialized) struct AccountPageTests {
    @Test func displayNameIsEditedAndEscaped() throws {
        let stack = try Stack.start()
        defer { stack.stop() }
        let browser = Browser(stack)
        _ = try browser.signInWithTrezor(as: TestSigner(seed: 5))
        _ = try browser.get("/account")
        let saved = try browser.postForm("/account/name", ["displayName": "Ada <script>alert(1)</script>"])
        #expect(saved.status == 303)
        #expect(saved.header("Location") == "/account?notice=name-saved")
        let page = try browser.get("/account?notice=name-saved")
        #expect(page.text.contains("Ada &lt;script&gt;alert(1)&lt;/script&gt;"))
        #expect(!page.text.contains("<script>alert"))
        #expect(page.text.contains("Your display name is saved."))
        // Invalid names: a readable message, nothing changed.
        for bad in ["", String(repeating: "x", count: 65), "Ada\u{202E}evil"] {
            let refused = try browser.postForm("/account/name", ["displayName": bad])
            #expect(refused.status == 422)
            #expect(refused.text.contains("notice error"))
        }
        #expect(try browser.get("/account").text.contains("Ada &lt;script&gt;"))
    }

    @Test(arguments: Backend.allCases) func anotherSessionCanBeRevokedButNotSomeoneElses(_ backend: Backend) throws {
        let stack = try Stack.start(backend: backend)
        defer { stack.stop() }
        let laptop = Browser(stack), phone = Browser(stack), stranger = Browser(stack)
        let key = TestSigner(seed: 11)
        _ = try laptop.signInWithTrezor(as: key)
        _ = try phone.signInWithTrezor(as: key)
        _ = try stranger.signInWithTrezor(as: TestSigner(seed: 12))
        let page = try laptop.get("/account").text
        let ids = page.matches(of: /\/account\/sessions\/(\d+)\/revoke/).map { String($0.1) }
        #expect(ids.count == 2)
        // The stranger cannot revoke the laptop's sessions: 404, not a hint that they exist.
        _ = try stranger.get("/account")
        for id in ids { #expect(try stranger.postForm("/account/sessions/\(id)/revoke").status == 404) }
        // The laptop revokes the phone's session (the one that is not "this browser").
        let phoneID = try #require(ids.first { !isCurrent(page, $0) })
        #expect(try laptop.postForm("/account/sessions/\(phoneID)/revoke").status == 303)
        #expect(try phone.get("/account").status == 303)  // signed out
        #expect(try laptop.get("/account").status == 200)
    }

    /// True when the row of session `id` is marked "this browser".
    private func isCurrent(_ page: String, _ id: String) -> Bool {
        guard let range = page.range(of: "/account/sessions/\(id)/revoke") else { return false }
        return page[..<range.lowerBound].suffix(400).contains("this browser")
    }

    @Test func loginKeepsTheLocalNextTarget() throws {
        let stack = try Stack.start()
        defer { stack.stop() }
        let login = try Browser(stack).get("/login?next=/account")
        #expect(login.text.contains("href=\"/login/trezor?next=%2Faccount\""))
        let browser = Browser(stack)
        #expect(try browser.signInWithTrezor(as: TestSigner(seed: 8), next: "/account?from=login")["redirect"] as? String == "/account?from=login")
        let other = Browser(stack)
        #expect(try other.signInWithTrezor(as: TestSigner(seed: 9), next: "//evil.example/")["redirect"] as? String == "/account")
        // Signed in, /login goes straight on.
        #expect(try browser.get("/login?next=/account").header("Location") == "/account")
    }
}
