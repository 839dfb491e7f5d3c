import Foundation
import Support
import TestSupport
import Testing

/// The client SDK's endpoints through nginx: every documented status, validation, other teams.
@Suite(.serialized) struct TrustedLoginClientSiteTests {
    @Test(arguments: Backend.allCases) func grantsAreCreatedAndExtendedWithTheSameRequest(_ backend: Backend) throws {
        let stack = try Stack.startForTrustedLogin(backend: backend)
        defer { stack.stop() }
        let team = try stack.createTeam()
        let api = TrustedLoginAPI(http: stack.http)
        var grant = TrustedLoginAPI.grant(team: team, metaData: ["reference_id": "T-1"])
        let created = try api.client("POST", "sites", team: team, grant)
        #expect(created.status == 201)
        #expect(try created.json()["success"] as? Bool == true)
        #expect(try created.json()["siteId"] as? String == grant["secretId"] as? String)
        #expect(try created.json()["errors"] == nil && created.json()["error"] == nil)
        #expect(created.header("Content-Length") == String(created.body.count))
        // Extend: same secretId, new keys and expiry (and a trailing slash, which routes the same).
        grant["nonce"] = Hex.encode(SystemRandom().bytes(24))
        grant["expiresAt"] = false
        #expect(try api.client("POST", "sites/", team: team, grant).status == 201)
        let grants = try stack.count("grants")
        #expect(grants == 1)
        let stored = try stack.scalar("SELECT nonce FROM grants", as: String.self)
        #expect(stored == grant["nonce"] as? String)
    }

    @Test func missingAndMalformedFieldsAre422InLaravelsShape() throws {
        let stack = try Stack.startForTrustedLogin()
        defer { stack.stop() }
        let team = try stack.createTeam()
        let api = TrustedLoginAPI(http: stack.http)
        let empty = try api.client("POST", "sites", team: team, [String: Any]())
        #expect(empty.status == 422)
        let body = try empty.json()
        #expect(body["message"] as? String == "The given data was invalid.")
        let errors = try #require(body["errors"] as? [String: [String]])
        #expect(errors["secretId"] == ["The secret id field is required."])
        #expect(errors["clientPublicKey"] == ["The client public key field is required."])
        #expect(errors["identifier"] != nil && errors["nonce"] != nil && errors["siteUrl"] != nil && errors["accessKey"] != nil)
        var bad = TrustedLoginAPI.grant(team: team)
        bad["identifier"] = String(repeating: "x", count: 256)
        bad["siteUrl"] = "javascript:alert(1)"
        bad["nonce"] = "short"
        bad["publicKey"] = "someone-elses"
        bad["team"] = team.id + 1
        bad["metaData"] = ["nested": ["no": 1]]
        let refused = try api.client("POST", "sites", team: team, bad)
        #expect(refused.status == 422)
        let messages = try #require(try refused.json()["errors"] as? [String: [String]])
        #expect(messages["identifier"] == ["The identifier field must not be greater than 255 characters."])
        #expect(messages["siteUrl"] == ["The site url field must be a valid URL."])
        #expect(messages["nonce"] == ["The nonce field format is invalid."])
        #expect(messages["publicKey"] != nil && messages["team"] != nil && messages["metaData"] != nil)
        // Nothing was written.
        #expect(try stack.count("grants") == 0)
        // Not JSON at all: 400.
        let garbage = try stack.http.request("POST", "/api/v1/sites", headers: ["Authorization": "Bearer \(team.publicKey)", "Content-Type": "application/json"], body: Array("{nope".utf8))
        #expect(garbage.status == 400)
        #expect(try garbage.json()["error"] as? Bool == true)
    }

    /// A NUL character in a field is a 422 naming it, on both backends (PostgreSQL's text cannot
    /// hold one; nothing is written).
    @Test(arguments: Backend.allCases) func aNulCharacterIsA422(_ backend: Backend) throws {
        let stack = try Stack.startForTrustedLogin(backend: backend)
        defer { stack.stop() }
        let team = try stack.createTeam()
        var grant = TrustedLoginAPI.grant(team: team)
        grant["identifier"] = "abc\u{0}def"
        let response = try TrustedLoginAPI(http: stack.http).client("POST", "sites", team: team, grant)
        #expect(response.status == 422)
        #expect((try response.json()["errors"] as? [String: [String]])?["identifier"] == ["The identifier field must not contain a NUL character."])
        #expect(try stack.count("grants") == 0)
    }

    @Test func wrongOrMissingCredentialsAre401() throws {
        let stack = try Stack.startForTrustedLogin()
        defer { stack.stop() }
        let team = try stack.createTeam()
        let api = TrustedLoginAPI(http: stack.http)
        let grant = TrustedLoginAPI.grant(team: team)
        for bearer in ["", "0000111122223333", team.privateKey, team.v1Bearer] {
            let refused = try api.client("POST", "sites", team: nil, grant, bearer: bearer.isEmpty ? nil : bearer)
            #expect(refused.status == 401, "\(bearer)")
            #expect(try refused.json()["error"] as? Bool == true)
            #expect(refused.header("Content-Type") == "application/json")
        }
        #expect(try api.client("DELETE", "sites/abc", team: nil, bearer: "nope").status == 401)
        #expect(try api.client("POST", "sites/abc/verify-identifier", team: nil, [:], bearer: "nope").status == 401)
        #expect(try api.client("POST", "report-brute-force", team: nil, [:], bearer: "nope").status == 401)
        #expect(try api.client("POST", "sites/abc/login-attempts", team: nil, [:], bearer: "nope").status == 401)
    }

    @Test func revokingIsIdempotentAndOnlyForTheOwner() throws {
        let stack = try Stack.startForTrustedLogin()
        defer { stack.stop() }
        let team = try stack.createTeam(), other = try stack.createTeam("Other")
        let api = TrustedLoginAPI(http: stack.http)
        let grant = TrustedLoginAPI.grant(team: team)
        let secret = try api.register(grant, team: team)
        let stranger = try api.client("DELETE", "sites/\(secret)", team: other)
        #expect(stranger.status == 200)
        #expect(try stranger.json()["deleted"] as? Bool == false)
        #expect(try stranger.json()["reason"] as? String == "unknown_secret_id")
        // Old clients send {"publicKey"} in the body.
        let deleted = try api.client("DELETE", "sites/\(secret)", team: team, ["publicKey": team.publicKey])
        #expect(deleted.status == 200)
        #expect(try deleted.json()["deleted"] as? Bool == true)
        #expect(try api.client("DELETE", "sites/\(secret)/", team: team).json()["deleted"] as? Bool == false)
    }

    /// Secret ids are per team: another team sending the same one makes its own grant, touches
    /// nothing of the first, and learns nothing about it.
    @Test func anotherTeamCannotTouchOrDetectAGrant() throws {
        let stack = try Stack.startForTrustedLogin()
        defer { stack.stop() }
        let team = try stack.createTeam(), other = try stack.createTeam("Other")
        let api = TrustedLoginAPI(http: stack.http)
        let grant = TrustedLoginAPI.grant(team: team)
        #expect(try api.client("POST", "sites", team: team, grant).status == 201)
        var same = grant
        same["publicKey"] = other.publicKey
        same["identifier"] = "other-teams-identifier"
        #expect(try api.client("POST", "sites", team: other, same).status == 201)
        let identifiers = try stack.column("SELECT identifier FROM grants ORDER BY team_id", as: String.self)
        #expect(identifiers == [grant["identifier"] as! String, "other-teams-identifier"])
    }

    @Test func verifyIdentifierChecksTheGrantAndRecordsTheLogin() throws {
        let stack = try Stack.startForTrustedLogin()
        defer { stack.stop() }
        let team = try stack.createTeam(), other = try stack.createTeam("Other")
        let api = TrustedLoginAPI(http: stack.http)
        let grant = TrustedLoginAPI.grant(team: team, expiresAt: Int(Date().timeIntervalSince1970) + 600)
        let secret = try api.register(grant, team: team)
        let check: [String: Any] = ["timestamp": Int(Date().timeIntervalSince1970), "user_agent": "Mozilla/5.0", "user_ip": "", "site_url": "https://customer.example/wp"]
        let ok = try api.client("POST", "sites/\(secret)/verify-identifier", team: team, check)
        #expect(ok.status == 204)
        #expect(ok.body.isEmpty)
        var withIP = check
        withIP["user_ip"] = "203.0.113.9"
        #expect(try api.client("POST", "sites/\(secret)/verify-identifier", team: team, withIP).status == 204)
        var nullIP = check
        nullIP["user_ip"] = NSNull()
        #expect(try api.client("POST", "sites/\(secret)/verify-identifier", team: team, nullIP).status == 204)
        #expect(try stack.count("support_logins", where: "event = 'login'") == 3)

        #expect(try api.client("POST", "sites/\(String(repeating: "0", count: 32))/verify-identifier", team: team, check).status == 404)
        #expect(try api.client("POST", "sites//verify-identifier", team: team, check).status == 404)
        #expect(try api.client("POST", "sites/\(secret)/verify-identifier", team: other, check).status == 404)
        var badIP = check
        badIP["user_ip"] = "not-an-ip"
        let invalid = try api.client("POST", "sites/\(secret)/verify-identifier", team: team, badIP)
        #expect(invalid.status == 422)
        #expect((try invalid.json()["errors"] as? [String: [String]])?["user_ip"] == ["The user ip field must be a valid IP address."])
        // Past expiresAt: 410, and the lookup no longer sees it.
        #expect(try stack.http.request("POST", "/sandbox/clock/advance?seconds=601").status == 200)
        #expect(try api.client("POST", "sites/\(secret)/verify-identifier", team: team, check).status == 410)
    }

    @Test(arguments: Backend.allCases) func loginAttemptsAreRecordedValidatedAndRateLimited(_ backend: Backend) throws {
        let stack = try Stack.startForTrustedLogin(backend: backend, environment: ["VESTIBULE_TRUSTEDLOGIN_LOGIN_ATTEMPTS_PER_SECRET": "3"])
        defer { stack.stop() }
        let team = try stack.createTeam()
        let api = TrustedLoginAPI(http: stack.http)
        let secret = Hex.encode(SystemRandom().bytes(16))
        // What the 1.10 client sends: identifier_hash and client_ip may be absent, the agent null.
        let attempt: [String: Any] = [
            "code": "login_failed", "detailed_reason": "Support user does not exist.", "client_site_url": "https://customer.example",
            "attempted_at": "2026-05-12T10:00:00+00:00", "client_user_agent": NSNull(),
        ]
        let first = try api.client("POST", "sites/\(secret)/login-attempts", team: team, attempt)
        #expect(first.status == 201)
        let id = try #require(try first.json()["id"] as? String)
        #expect(id.wholeMatch(of: /lpat_[0-9a-f]{8}-[0-9a-f]{4}-4[0-9a-f]{3}-[89ab][0-9a-f]{3}-[0-9a-f]{12}/) != nil)
        var full = attempt
        full["identifier_hash"] = Hex.encode(SystemRandom().bytes(32))
        full["client_ip"] = "2001:4860:4860::8888"
        full["attempted_at"] = "2026-05-12"
        #expect(try api.client("POST", "sites/\(secret)/login-attempts", team: team, full).status == 201)

        for (field, value, message) in [
            ("code", "bad_code", "The selected code is invalid."),
            ("identifier_hash", "abc", "The identifier hash field must be 64 characters."),
            ("identifier_hash", String(repeating: "z", count: 64), "The identifier hash field format is invalid."),
            ("client_site_url", "not a url", "The client site url field must be a valid URL."),
            ("client_ip", "999.1.1.1", "The client ip field must be a valid IP address."),
            ("attempted_at", "not a date", "The attempted at field must be a valid date."),
            ("attempted_at", "2999-01-01T00:00:00+00:00", "The attempted at field must be a date before +1 hour."),
            ("detailed_reason", String(repeating: "r", count: 4097), "The detailed reason field must not be greater than 4096 characters."),
        ] {
            var bad = attempt
            bad[field] = value
            let refused = try api.client("POST", "sites/\(secret)/login-attempts", team: team, bad)
            #expect(refused.status == 422, "\(field)")
            #expect((try refused.json()["errors"] as? [String: [String]])?[field] == [message], "\(field)")
        }
        #expect(try api.client("POST", "sites/\(secret)/login-attempts", team: team, attempt).status == 201)
        // The fourth within the minute: 429 with Retry-After.
        let limited = try api.client("POST", "sites/\(secret)/login-attempts", team: team, attempt)
        #expect(limited.status == 429)
        #expect(Int(limited.header("Retry-After") ?? "") ?? 0 > 0)
        #expect(try limited.json()["error"] as? Bool == true)
        // Another secret of the team is not limited by this one.
        #expect(try api.client("POST", "sites/\(Hex.encode(SystemRandom().bytes(16)))/login-attempts", team: team, attempt).status == 201)
        #expect(try stack.count("login_attempts") == 4)
    }

    /// The per-secret limit counts one team's reports: another team's, on the same secret id, do
    /// not use it up (nor reveal activity there).
    @Test func rateLimitsAreCountedPerTeam() throws {
        let stack = try Stack.startForTrustedLogin(environment: ["VESTIBULE_TRUSTEDLOGIN_LOGIN_ATTEMPTS_PER_SECRET": "2"])
        defer { stack.stop() }
        let team = try stack.createTeam(), other = try stack.createTeam("Other")
        let api = TrustedLoginAPI(http: stack.http)
        let secret = Hex.encode(SystemRandom().bytes(16))
        let attempt: [String: Any] = ["code": "login_failed", "client_site_url": "https://customer.example", "attempted_at": "2026-05-12T10:00:00Z"]
        for _ in 0..<2 { #expect(try api.client("POST", "sites/\(secret)/login-attempts", team: other, attempt).status == 201) }
        #expect(try api.client("POST", "sites/\(secret)/login-attempts", team: other, attempt).status == 429)
        #expect(try api.client("POST", "sites/\(secret)/login-attempts", team: team, attempt).status == 201)
    }

    @Test func teamRateLimitAppliesAcrossSecrets() throws {
        let stack = try Stack.startForTrustedLogin(environment: ["VESTIBULE_TRUSTEDLOGIN_LOGIN_ATTEMPTS_PER_TEAM": "2"])
        defer { stack.stop() }
        let team = try stack.createTeam()
        let api = TrustedLoginAPI(http: stack.http)
        let attempt: [String: Any] = ["code": "login_failed", "client_site_url": "https://customer.example", "attempted_at": "2026-05-12T10:00:00Z"]
        for _ in 0..<2 {
            #expect(try api.client("POST", "sites/\(Hex.encode(SystemRandom().bytes(16)))/login-attempts", team: team, attempt).status == 201)
        }
        #expect(try api.client("POST", "sites/\(Hex.encode(SystemRandom().bytes(16)))/login-attempts", team: team, attempt).status == 429)
    }

    @Test(arguments: Backend.allCases) func aBruteForceReportPausesTheTeamUntilResumed(_ backend: Backend) throws {
        let stack = try Stack.startForTrustedLogin(backend: backend)
        defer { stack.stop() }
        let team = try stack.createTeam()
        let api = TrustedLoginAPI(http: stack.http)
        let grant = TrustedLoginAPI.grant(team: team)
        let secret = try api.register(grant, team: team)
        let report: [String: Any] = ["timestamp": Int(Date().timeIntervalSince1970), "user_agent": "curl/8", "user_ip": "", "site_url": "https://customer.example/wp"]
        let reported = try api.client("POST", "report-brute-force", team: team, report)
        #expect(reported.status == 204)
        let check: [String: Any] = ["timestamp": 1, "user_agent": "", "user_ip": "", "site_url": "https://customer.example/wp"]
        #expect(try api.client("POST", "sites/\(secret)/verify-identifier", team: team, check).status == 423)
        #expect(try api.vendor("POST", "accounts/\(team.id)/sites", team: team, ["searchKeys": [grant["accessKey"]!]]).status == 423)
        // New grants still work while paused.
        #expect(try api.client("POST", "sites", team: team, TrustedLoginAPI.grant(team: team)).status == 201)
        #expect(try stack.cli(["team", "resume", String(team.id)]).status == 0)
        #expect(try api.client("POST", "sites/\(secret)/verify-identifier", team: team, check).status == 204)
        let events = try stack.column("SELECT event FROM team_events ORDER BY id", as: String.self)
        #expect(events == ["brute-force-reported", "resumed"])
    }
}
