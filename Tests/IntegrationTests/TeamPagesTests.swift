import Foundation
import SLIP0013Signing
import Support
import TestSupport
import Testing

/// The admin pages, driven as a browser drives them (forms with CSRF), on the same rules the API
/// tests prove: invitations by page and by API, roles, the last owner, keys, pause, delete.
@Suite(.serialized) struct TeamPagesTests {
    func teamID(fromLocation location: String?) throws -> Int64 {
        try #require(location.flatMap { $0.firstMatch(of: /\/teams\/(\d+)/) }.flatMap { Int64($0.1) })
    }

    func invitationURL(_ page: HTTPClient.Response) throws -> String {
        try #require(page.text.firstMatch(of: /id="invited-url">([^<]+)</).map { String($0.1) })
    }

    @Test func ownerInvitesByPageAndTheInviteeJoins() throws {
        let stack = try Stack.start()
        defer { stack.stop() }
        let ada = try APIPerson.signUp(stack, seed: 41, name: "Ada")
        let bob = try APIPerson.signUp(stack, seed: 42, name: "Bob")

        // Signed out, the pages send to the login page and back.
        let anonymous = try stack.http.request("GET", "/teams")
        #expect(anonymous.status == 303 && anonymous.header("Location") == "/login?next=%2Fteams")

        #expect(try ada.browser.get("/teams").text.contains("You are in no team yet"))
        #expect(try ada.browser.postForm("/teams", ["name": ""]).status == 422)
        let created = try ada.browser.postForm("/teams", ["name": "Acme <Support>"])
        #expect(created.status == 303)
        let id = try teamID(fromLocation: created.header("Location"))
        let page = try ada.browser.get("/teams/\(id)")
        #expect(page.status == 200)
        #expect(page.text.contains("Acme &lt;Support&gt;") && !page.text.contains("Acme <Support>"), "names are escaped")
        for label in ["Account ID", "Public Key", "Private Key", "Regenerate keys", "Delete team"] { #expect(page.text.contains(label)) }
        let team = try ada.call(stack, "GET", "teams/\(id)").json()
        #expect(page.text.contains(try #require(team["privateKey"] as? String)))

        // Bob is nobody here: 404, by page as by API.
        #expect(try bob.browser.get("/teams/\(id)").status == 404)
        #expect(try bob.browser.get("/teams/\(id)/members").status == 404)

        // An invitation by page; Bob opens it, signed in, and joins as a member.
        _ = try ada.browser.get("/teams/\(id)/members")
        #expect(try ada.browser.postForm("/teams/\(id)/members/invite", ["email": "not-an-email", "role": "member"]).status == 422)
        let invited = try ada.browser.postForm("/teams/\(id)/members/invite", ["email": "bob@example.com", "name": "Bob", "role": "member"])
        #expect(invited.status == 200)
        let url = try invitationURL(invited)
        #expect(url.hasPrefix("http://127.0.0.1:\(stack.port)/invitations/"))
        let path = String(url.dropFirst("http://127.0.0.1:\(stack.port)".count))
        let invitationPage = try bob.browser.get(path)
        #expect(invitationPage.text.contains("Join Acme &lt;Support&gt; as member"))
        let joined = try bob.browser.postForm(path)
        #expect(joined.status == 303 && joined.header("Location") == "/teams/\(id)?notice=joined")
        // Used: a plain message, by page and by API.
        #expect(try bob.browser.get(path).text.contains("cannot be used"))
        #expect(try bob.call(stack, "POST", "teams/accept/" + path.dropFirst("/invitations/".count)).status == 404)
        // The token never reaches a log line, the program's or nginx's.
        let token = String(path.dropFirst("/invitations/".count))
        #expect(!stack.programLog.contains(token))
        #expect(!(try String(contentsOfFile: stack.directory + "/nginx/access.log", encoding: .utf8)).contains(token))

        // A member sees the team without keys or controls, and cannot act (403), by page.
        let bobsPage = try bob.browser.get("/teams/\(id)")
        #expect(bobsPage.status == 200 && !bobsPage.text.contains(team["privateKey"] as? String ?? "-") && !bobsPage.text.contains("Regenerate keys"))
        #expect(try bob.browser.postForm("/teams/\(id)/pause", ["paused": "true"]).status == 403)
        #expect(try bob.browser.postForm("/teams/\(id)", ["name": "Mine"]).status == 403)

        // Roles by page: Bob becomes admin; Ada cannot stop being the last owner.
        _ = try ada.browser.get("/teams/\(id)/members")
        #expect(try ada.browser.postForm("/teams/\(id)/members/\(bob.userID)/role", ["role": "admin"]).status == 303)
        #expect(try ada.call(stack, "GET", "teams/\(id)/members").text.contains(#""role":"admin""#))
        let lastOwner = try ada.browser.postForm("/teams/\(id)/members/\(ada.userID)/role", ["role": "member"])
        #expect(lastOwner.status == 422 && lastOwner.text.contains("keeps at least one owner"))

        // Bob, admin: pauses and resumes by page; cannot regenerate keys (owners only).
        _ = try bob.browser.get("/teams/\(id)")
        #expect(try bob.browser.postForm("/teams/\(id)/pause", ["paused": "true"]).status == 303)
        #expect(try bob.browser.get("/teams/\(id)").text.contains(#"id="team-status">paused"#))
        #expect(try bob.browser.postForm("/teams/\(id)/pause", ["paused": "false"]).status == 303)
        #expect(try bob.browser.postForm("/teams/\(id)/cycle-keys", ["confirm": "yes"]).status == 403)

        // Ada regenerates (confirmed): the page shows the new keys and says what broke.
        _ = try ada.browser.get("/teams/\(id)")
        #expect(try ada.browser.postForm("/teams/\(id)/cycle-keys").status == 422)
        let cycled = try ada.browser.postForm("/teams/\(id)/cycle-keys", ["confirm": "yes"])
        #expect(cycled.status == 200 && cycled.text.contains("stopped working just now"))
        let fresh = try ada.call(stack, "GET", "teams/\(id)").json()
        #expect(fresh["privateKey"] as? String != team["privateKey"] as? String)

        // Invitations by API, revoked by page.
        let byAPI = try ada.call(stack, "POST", "teams/\(id)/members", ["email": "carol@example.com", "role": "editor"])
        #expect(byAPI.status == 201)
        let invitation = try #require(try byAPI.json()["invitation"] as? [String: Any])
        #expect(invitation["role"] as? String == "member" && (invitation["url"] as? String)?.contains("/invitations/") == true)
        let invitationID = try #require((invitation["id"] as? NSNumber)?.int64Value)
        _ = try ada.browser.get("/teams/\(id)/members")
        #expect(try ada.browser.postForm("/teams/\(id)/invitations/\(invitationID)/revoke").status == 303)
        let carol = try APIPerson.signUp(stack, seed: 43, name: "Carol")
        let revokedToken = String(try #require(invitation["url"] as? String).split(separator: "/").last!)
        #expect(try carol.call(stack, "POST", "teams/accept/\(revokedToken)").status == 404)
        // An owner invitation only from an owner; accepted by API.
        #expect(try bob.call(stack, "POST", "teams/\(id)/members", ["email": "d@example.com", "role": "owner"]).status == 403)
        let ownerInvite = try ada.call(stack, "POST", "teams/\(id)/members", ["email": "carol@example.com", "role": "owner"]).json()
        let ownerToken = String(try #require((ownerInvite["invitation"] as? [String: Any])?["url"] as? String).split(separator: "/").last!)
        let accepted = try carol.call(stack, "POST", "teams/accept/\(ownerToken)")
        #expect(accepted.status == 200)
        #expect(try accepted.json()["role"] as? String == "owner")
        #expect(try carol.call(stack, "POST", "teams/accept/\(ownerToken)").status == 404, "one use")

        // Remove by page; delete (confirmed by the name) by page.
        _ = try ada.browser.get("/teams/\(id)/members")
        #expect(try ada.browser.postForm("/teams/\(id)/members/\(bob.userID)/remove").status == 303)
        #expect(try bob.browser.get("/teams/\(id)").status == 404)
        _ = try ada.browser.get("/teams/\(id)")
        #expect(try ada.browser.postForm("/teams/\(id)/delete", ["confirm": "Acme"]).status == 422)
        #expect(try ada.browser.postForm("/teams/\(id)/delete", ["confirm": "Acme <Support>"]).header("Location") == "/teams?notice=deleted")
        #expect(try ada.call(stack, "GET", "teams/\(id)").status == 404)
    }

    @Test func anExpiredInvitationIsAPlainMessage() throws {
        let stack = try Stack.start()
        defer { stack.stop() }
        let ada = try APIPerson.signUp(stack, seed: 44, name: "Ada")
        let id = try #require((try ada.call(stack, "PUT", "teams", ["name": "Acme"]).json()["id"] as? NSNumber)?.int64Value)
        let made = try ada.call(stack, "POST", "teams/\(id)/members", ["email": "bob@example.com"]).json()
        let url = try #require((made["invitation"] as? [String: Any])?["url"] as? String)
        let path = "/invitations/" + url.split(separator: "/").last!
        let signedOut = try stack.http.request("GET", path)
        #expect(signedOut.status == 200 && signedOut.text.contains("Sign in to join"))
        try stack.advanceClock(7 * 86400 + 1)
        let expired = try stack.http.request("GET", path)
        #expect(expired.status == 404 && expired.text.contains("cannot be used"))
        #expect(try stack.http.request("GET", "/invitations/not-a-token").status == 404)
    }

    /// Sites and logs after a grant and a failed attempt from the client-site API: search,
    /// revoke by an admin (a member may not), the chart and the events with who did what.
    @Test func sitesAndLogsAfterAGrant() throws {
        let stack = try Stack.start()
        defer { stack.stop() }
        let ada = try APIPerson.signUp(stack, seed: 45, name: "Ada")
        let bob = try APIPerson.signUp(stack, seed: 46, name: "Bob")
        let made = try ada.call(stack, "PUT", "teams", ["name": "Acme"]).json()
        let id = try #require((made["id"] as? NSNumber)?.int64Value)
        let team = TLTeam(id: id, name: "Acme", publicKey: try #require(made["publicKey"] as? String), privateKey: try #require(made["privateKey"] as? String))
        try addMember(stack, team: id, user: bob.userID, role: "member")

        #expect(try ada.browser.get("/teams/\(id)/sites").text.contains("No customer site has granted access yet"))
        let api = TrustedLoginAPI(http: stack.http)
        let secret = String(repeating: "c", count: 32)
        #expect(try api.client("POST", "sites", team: team, TrustedLoginAPI.grant(team: team, secretID: secret)).status == 201)
        let attempt: [String: Any] = [
            "code": "login_failed", "detailed_reason": "Support user does not exist.", "client_site_url": "https://customer.example",
            "attempted_at": UTCDate.iso8601(Date()),
        ]
        #expect(try api.client("POST", "sites/\(secret)/login-attempts", team: team, attempt).status == 201)

        let sites = try ada.browser.get("/teams/\(id)/sites")
        #expect(sites.text.contains("https://customer.example/wp") && sites.text.contains("none yet"))
        #expect(try ada.browser.get("/teams/\(id)/sites?q=CUSTOMER").text.contains("https://customer.example/wp"))
        #expect(try ada.browser.get("/teams/\(id)/sites?q=elsewhere").text.contains("No live grant matches"))
        #expect(try ada.browser.get("/teams/\(id)/sites?q=%25").text.contains("No live grant matches"), "a % is text, not a wildcard")
        #expect(try bob.browser.get("/teams/\(id)/sites").text.contains("https://customer.example/wp"))
        _ = try bob.browser.get("/teams/\(id)/sites")
        #expect(try bob.browser.postForm("/teams/\(id)/sites/\(secret)/revoke").status == 403)

        let logs = try ada.browser.get("/teams/\(id)/logs")
        #expect(logs.status == 200)
        #expect(logs.text.contains("<svg") && logs.text.contains("1 failed attempts"))
        #expect(logs.text.contains("Support user does not exist."))
        #expect(try ada.browser.get("/teams/\(id)/logs?site=\(String(repeating: "d", count: 32))").text.contains("None reported for this site"))

        _ = try ada.browser.get("/teams/\(id)/sites")
        #expect(try ada.browser.postForm("/teams/\(id)/sites/\(secret)/revoke").status == 303)
        #expect(try ada.browser.get("/teams/\(id)/sites").text.contains("No customer site has granted access yet"))
        let events = try ada.browser.get("/teams/\(id)/logs").text
        #expect(events.contains("grant-revoked") && events.contains("by user \(ada.userID)"))
        #expect(events.contains("created"))
        #expect(try TrustedLoginAPI(http: stack.http).client("POST", "sites/\(secret)/verify-identifier", team: team, ["identifier": "x"]).status != 200)
    }

    /// `vestibule user list`, `user operator ID [--revoke]` and `team create --owner`.
    @Test func operatorsAndOwnersFromTheCommandLine() throws {
        let stack = try Stack.start()
        defer { stack.stop() }
        let ada = try APIPerson.signUp(stack, seed: 47, name: "Ada")
        let listed = try stack.cli(["user", "list", "--json"])
        #expect(listed.status == 0)
        let users = try #require(try JSONSerialization.jsonObject(with: Data(listed.output.utf8)) as? [[String: Any]])
        #expect(users.count == 1 && users[0]["name"] as? String == "Ada" && users[0]["methods"] as? [String] == ["trezor"])

        let owned = try stack.cli(["team", "create", "--name", "Ops Team", "--owner", String(ada.userID), "--json"])
        #expect(owned.status == 0)
        let ownedID = try #require((try JSONSerialization.jsonObject(with: Data(owned.output.utf8)) as? [String: Any])?["id"] as? Int)
        #expect(try ada.call(stack, "GET", "teams/\(ownedID)").json()["role"] as? String == "owner")
        #expect(try stack.cli(["team", "create", "--name", "X", "--owner", "999"]).status != 0)

        // A team made without an owner: nobody's, used by its keys; an operator sees it.
        let keysOnly = try stack.createTeam("Keys Only")
        #expect(try ada.call(stack, "GET", "teams/\(keysOnly.id)").status == 404)
        #expect(try stack.cli(["user", "operator", String(ada.userID)]).status == 0)
        let seen = try ada.call(stack, "GET", "teams/\(keysOnly.id)")
        #expect(seen.status == 200)
        #expect(try seen.json()["privateKey"] == nil)
        #expect(try ada.call(stack, "POST", "teams/\(keysOnly.id)", ["name": "Mine"]).status == 404)
        #expect(try stack.cli(["user", "operator", String(ada.userID), "--revoke"]).status == 0)
        #expect(try ada.call(stack, "GET", "teams/\(keysOnly.id)").status == 404)
        #expect(try stack.cli(["user", "operator", "999"]).status != 0)
    }

    func addMember(_ stack: Stack, team: Int64, user: Int64, role: String) throws {
        try stack.execute("INSERT INTO team_members (team_id, user_id, role, created_at) VALUES (\(team), \(user), '\(role)', 1800000000)")
    }
}
