import Foundation
import SLIP0013Signing
import TestSupport
import Testing

/// A person with a personal API token, made on the account page as a person would.
struct APIPerson {
    let browser: Browser
    let token: String
    let userID: Int64

    static func signUp(_ stack: Stack, seed: UInt8, name: String) throws -> APIPerson {
        let browser = Browser(stack)
        _ = try browser.signInWithTrezor(as: TestSigner(seed: seed))
        _ = try browser.get("/account")
        _ = try browser.postForm("/account/name", ["displayName": name])
        _ = try browser.get("/account")
        let page = try browser.postForm("/account/tokens", ["name": "tests"])
        #expect(page.status == 200)
        let token = try #require(page.text.firstMatch(of: /vst_pat_[A-Za-z0-9_-]{43}/).map { String($0.0) })
        let me = try stack.http.request("POST", "/api/v1/users", headers: ["Authorization": "Bearer \(token)", "Content-Type": "application/json"], body: Array("{}".utf8))
        let id = try #require((try me.json()["id"] as? NSNumber)?.int64Value)
        return APIPerson(browser: browser, token: token, userID: id)
    }

    func call(_ stack: Stack, _ method: String, _ path: String, _ body: Any? = nil) throws -> HTTPClient.Response {
        var headers = ["Authorization": "Bearer \(token)", "Accept": "application/json"]
        var bytes: [UInt8] = []
        if let body {
            headers["Content-Type"] = "application/json"
            bytes = Array(try JSONSerialization.data(withJSONObject: body))
        }
        return try stack.http.request(method, "/api/v1/" + path, headers: headers, body: bytes)
    }
}

/// The team and user management API (spec: "Team and user management") with personal API tokens.
@Suite(.serialized) struct TeamAdminAPITests {
    @Test(arguments: Backend.allCases) func teamsMembersRolesAndKeys(_ backend: Backend) throws {
        let stack = try Stack.start(backend: backend)
        defer { stack.stop() }
        let ada = try APIPerson.signUp(stack, seed: 31, name: "Ada")
        let bob = try APIPerson.signUp(stack, seed: 32, name: "Bob")

        let created = try ada.call(stack, "PUT", "teams", ["name": "Acme Support"])
        #expect(created.status == 201)
        let team = try created.json()
        let id = try #require((team["id"] as? NSNumber)?.int64Value)
        #expect(team["role"] as? String == "owner" && team["name"] as? String == "Acme Support" && team["status"] as? String == "active")
        let privateKey = try #require(team["privateKey"] as? String)
        let publicKey = try #require(team["publicKey"] as? String)
        #expect(team["members"] as? Int == 1)

        // Bob is no member: the team does not exist for him, whatever he asks.
        for (method, path) in [("GET", "teams/\(id)"), ("POST", "teams/\(id)"), ("DELETE", "teams/\(id)"), ("GET", "teams/\(id)/members"),
                               ("POST", "teams/\(id)/cycle-keys"), ("POST", "teams/\(id)/pause")] {
            #expect(try bob.call(stack, method, path, [:]).status == 404, "\(method) \(path)")
        }
        #expect(try ada.call(stack, "GET", "teams/99999").status == 404)

        // Settings, validated.
        let bad = try ada.call(stack, "POST", "teams/\(id)", ["support_url": "javascript:alert(1)", "name": ""])
        #expect(bad.status == 422)
        let errors = try #require(try bad.json()["errors"] as? [String: Any])
        #expect(errors["support_url"] != nil && errors["name"] != nil)
        let updated = try ada.call(stack, "POST", "teams/\(id)", ["name": "Acme", "support_url": "https://acme.example/help"])
        #expect(updated.status == 200)
        #expect(try updated.json()["supportUrl"] as? String == "https://acme.example/help")
        #expect(try updated.json()["name"] as? String == "Acme")

        // Bob joins as a member (the database row invitations will make), then sees but cannot change.
        try addMember(stack, team: id, user: bob.userID, role: "member")
        let seen = try bob.call(stack, "GET", "teams/\(id)")
        #expect(seen.status == 200)
        #expect(try seen.json()["privateKey"] == nil, "members do not see the keys")
        #expect(try seen.json()["role"] as? String == "member")
        #expect(try bob.call(stack, "POST", "teams/\(id)", ["name": "Mine"]).status == 403)
        #expect(try bob.call(stack, "POST", "teams/\(id)/cycle-keys").status == 403)
        #expect(try bob.call(stack, "POST", "teams/\(id)/pause").status == 403)

        let members = try ada.call(stack, "GET", "teams/\(id)/members")
        #expect(members.status == 200)
        let list = try #require(try JSONSerialization.jsonObject(with: Data(members.body)) as? [[String: Any]])
        #expect(list.map { $0["name"] as? String } == ["Ada", "Bob"])
        #expect(list.map { $0["role"] as? String } == ["owner", "member"])
        #expect((list[1]["id"] as? NSNumber)?.int64Value == bob.userID)

        // Roles: an admin may pause and edit, not cycle keys or touch owners; the last owner stays.
        let promoted = try ada.call(stack, "POST", "teams/\(id)/members/\(bob.userID)/change-role", ["role": "admin"])
        #expect(promoted.status == 201)
        #expect(try promoted.json()["role"] as? String == "admin")
        #expect(try ada.call(stack, "POST", "teams/\(id)/members/\(bob.userID)/change-role", ["role": "boss"]).status == 422)
        #expect(try bob.call(stack, "POST", "teams/\(id)/pause", ["paused": true]).json()["status"] as? String == "paused")
        #expect(try bob.call(stack, "POST", "teams/\(id)/pause", ["paused": false]).json()["status"] as? String == "active")
        #expect(try bob.call(stack, "GET", "teams/\(id)").json()["privateKey"] as? String == privateKey)
        #expect(try bob.call(stack, "POST", "teams/\(id)/cycle-keys").status == 403)
        #expect(try bob.call(stack, "POST", "teams/\(id)/members/\(ada.userID)/change-role", ["role": "member"]).status == 403)
        #expect(try bob.call(stack, "POST", "teams/\(id)/members/\(bob.userID)/change-role", ["role": "owner"]).status == 403)
        let lastOwner = try ada.call(stack, "POST", "teams/\(id)/members/\(ada.userID)/change-role", ["role": "admin"])
        #expect(lastOwner.status == 422)
        #expect(try ada.call(stack, "DELETE", "teams/\(id)/members/\(ada.userID)").status == 422)
        // `editor` (the Connector branch's name) is a member.
        #expect(try ada.call(stack, "POST", "teams/\(id)/members/\(bob.userID)/change-role", ["role": "editor"]).json()["role"] as? String == "member")

        // Keys: the owner regenerates; the old ones fail at once on the vendor API.
        let vendor = TrustedLoginAPI(http: stack.http)
        let old = TLTeam(id: id, name: "Acme", publicKey: publicKey, privateKey: privateKey)
        #expect(try vendor.vendor("POST", "accounts/\(id)", team: old, ["api_endpoint": "https://vendor.example"]).status != 401)
        let cycled = try ada.call(stack, "POST", "teams/\(id)/cycle-keys")
        #expect(cycled.status == 200)
        let fresh = TLTeam(id: id, name: "Acme", publicKey: try #require(try cycled.json()["publicKey"] as? String),
                           privateKey: try #require(try cycled.json()["privateKey"] as? String))
        #expect(fresh.privateKey != privateKey && fresh.publicKey != publicKey)
        #expect(try vendor.vendor("POST", "accounts/\(id)/sites", team: old, ["searchKeys": ["a"]]).status == 401)
        #expect(try vendor.vendor("POST", "accounts/\(id)/sites", team: fresh, ["searchKeys": [String(repeating: "a", count: 64)]]).status != 401)

        // Remove and delete.
        #expect(try bob.call(stack, "DELETE", "teams/\(id)/members/\(bob.userID)").status == 200, "anyone may leave")
        #expect(try bob.call(stack, "GET", "teams/\(id)").status == 404)
        #expect(try ada.call(stack, "DELETE", "teams/\(id)").json()["deleted"] as? Bool == true)
        #expect(try ada.call(stack, "GET", "teams/\(id)").status == 404)
        #expect(try stack.count("team_members") == 0)
    }

    @Test func tokensAreNeededLiveAndRevocable() throws {
        let stack = try Stack.start()
        defer { stack.stop() }
        let ada = try APIPerson.signUp(stack, seed: 33, name: "Ada")
        for header in [nil, "Bearer nope", "Bearer vst_pat_" + String(repeating: "A", count: 43), "Basic \(ada.token)"] {
            var headers = ["Content-Type": "application/json"]
            if let header { headers["Authorization"] = header }
            let response = try stack.http.request("PUT", "/api/v1/teams", headers: headers, body: Array(#"{"name":"x"}"#.utf8))
            #expect(response.status == 401)
            #expect(try response.json()["message"] as? String == "Unauthenticated.")
        }
        #expect(try ada.call(stack, "PUT", "teams", [:]).status == 422)
        // Only an HMAC of the token is stored; its last use is recorded.
        #expect(try stack.count("api_tokens", where: "lookup = '\(ada.token)'") == 0)
        #expect(try stack.count("api_tokens", where: "last_used_at IS NOT NULL") == 1)
        #expect(try ada.browser.get("/account").text.contains("tests"))
        #expect(!(try ada.browser.get("/account").text.contains(ada.token)), "shown once only")
        // Revoked on the account page: dead at once. GET /logout/remote revokes the bearer itself.
        let id = try #require(try stack.scalar("SELECT id FROM api_tokens", as: Int64.self))
        #expect(try ada.browser.postForm("/account/tokens/\(id)/revoke").status == 303)
        #expect(try ada.call(stack, "PUT", "teams", ["name": "x"]).status == 401)
        let other = try APIPerson.signUp(stack, seed: 34, name: "Other")
        let logout = try stack.http.request("GET", "/logout/remote", headers: ["Authorization": "Bearer \(other.token)"])
        #expect(logout.status == 200)
        #expect(try logout.json()["success"] as? Bool == true)
        #expect(try other.call(stack, "PUT", "teams", ["name": "x"]).status == 401)
        // Another person's token id cannot be revoked from here.
        #expect(try ada.browser.postForm("/account/tokens/\(id + 1)/revoke").status == 404)
    }

    @Test func usersRouteSetsNameAndEmail() throws {
        let stack = try Stack.start()
        defer { stack.stop() }
        let ada = try APIPerson.signUp(stack, seed: 35, name: "Ada")
        let set = try ada.call(stack, "POST", "users", ["name": "Ada L.", "email": "ada@example.com"])
        #expect(set.status == 200)
        #expect(try set.json()["name"] as? String == "Ada L.")
        #expect(try set.json()["email"] as? String == "ada@example.com")
        #expect(try ada.call(stack, "POST", "users", ["email": "not an email"]).status == 422)
    }

    /// DELETE users takes the caller and every team where the caller is the only owner; a team
    /// with another owner stays. The vendor's support-url answers the team's support URL.
    @Test func deletingAnAccountAndTheSupportURL() throws {
        let stack = try Stack.start()
        defer { stack.stop() }
        let ada = try APIPerson.signUp(stack, seed: 36, name: "Ada")
        let bob = try APIPerson.signUp(stack, seed: 37, name: "Bob")
        let alone = try #require((try ada.call(stack, "PUT", "teams", ["name": "Alone"]).json()["id"] as? NSNumber)?.int64Value)
        let shared = try ada.call(stack, "PUT", "teams", ["name": "Shared"]).json()
        let sharedID = try #require((shared["id"] as? NSNumber)?.int64Value)
        try addMember(stack, team: sharedID, user: bob.userID, role: "owner")

        let team = TLTeam(id: sharedID, name: "Shared", publicKey: try #require(shared["publicKey"] as? String), privateKey: try #require(shared["privateKey"] as? String))
        let vendor = TrustedLoginAPI(http: stack.http)
        #expect(try vendor.vendor("POST", "accounts/\(sharedID)/support-url", team: team, ["reason": "help"]).status == 404)
        _ = try ada.call(stack, "POST", "teams/\(sharedID)", ["support_url": "https://acme.example/help?lang=en"])
        let url = try vendor.vendor("POST", "accounts/\(sharedID)/support-url", team: team, ["reason": "site down", "meta_data": "{}"])
        #expect(try url.json()["url"] as? String == "https://acme.example/help?lang=en&reason=site%20down")
        #expect(try vendor.vendor("POST", "accounts/\(sharedID)/support-url", team: team, [:]).status == 422)

        #expect(try ada.call(stack, "DELETE", "users").json()["deleted"] as? Bool == true)
        #expect(try ada.call(stack, "GET", "teams/\(sharedID)").status == 401, "the token went with the account")
        #expect(try bob.call(stack, "GET", "teams/\(alone)").status == 404)
        #expect(try stack.count("teams", where: "id = \(alone)") == 0)
        #expect(try bob.call(stack, "GET", "teams/\(sharedID)").json()["members"] as? Int == 1)
        #expect(try stack.count("users") == 1 && (try stack.count("identities")) == 1)
    }

    func addMember(_ stack: Stack, team: Int64, user: Int64, role: String) throws {
        try stack.execute("INSERT INTO team_members (team_id, user_id, role, created_at) VALUES (\(team), \(user), '\(role)', 1800000000)")
    }
}
