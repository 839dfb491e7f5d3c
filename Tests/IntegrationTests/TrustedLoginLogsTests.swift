import Foundation
import Support
import TestSupport
import Testing

/// The log routes through nginx, read the ways Connectors read them.
@Suite(.serialized) struct TrustedLoginLogsTests {
    @Test(arguments: Backend.allCases) func supportLoginsInBucketsWithEveryKindOfCredential(_ backend: Backend) throws {
        let stack = try Stack.startForTrustedLogin(backend: backend)
        defer { stack.stop() }
        let team = try stack.createTeam(), other = try stack.createTeam("Other")
        let api = TrustedLoginAPI(http: stack.http)
        let grant = TrustedLoginAPI.grant(team: team)
        let secret = try api.register(grant, team: team)
        for _ in 0..<2 {
            let check: [String: Any] = ["timestamp": 1, "user_agent": "ua", "user_ip": "198.51.100.1", "site_url": "https://customer.example/wp"]
            #expect(try api.client("POST", "sites/\(secret)/verify-identifier", team: team, check).status == 204)
        }
        let reads = [
            try stack.http.request(
                "GET", "/api/v1/logs/logins/\(team.id)?data=1", headers: ["Content-Type": "application/json"],
                body: TrustedLoginAPI.body(["api_key": team.privateKey])),
            try stack.http.request("GET", "/api/v1/logs/logins/\(team.id)/?data=1", headers: ["X-TL-Api-Key": team.privateKey, "X-TL-Auth-Version": "2"]),
            try api.vendor("GET", "logs/logins/\(team.id)?data=1", team: team),
        ]
        for response in reads {
            #expect(response.status == 200)
            let buckets = try #require(try JSONSerialization.jsonObject(with: Data(response.body)) as? [[String: Any]])
            #expect(buckets.count == 12)
            #expect(buckets.first?["count"] as? Int == 2)
            let row = try #require((buckets.first?["data"] as? [[String: Any]])?.first)
            #expect(row["eventType"] as? String == "login")
            #expect(row["secretId"] as? String == secret)
            #expect(row["teamId"] as? Int == Int(team.id))
            #expect(row["siteUrl"] as? String == "https://customer.example/wp")
        }
        let monthly = try stack.http.request("GET", "/api/v1/logs/logins/\(team.id)?range=monthly&length=3", headers: ["X-TL-Api-Key": "\(team.privateKey)"])
        #expect((try JSONSerialization.jsonObject(with: Data(monthly.body)) as? [Any])?.count == 3)
        let bySite = try stack.http.request("GET", "/api/v1/logs/logins/\(team.id)/site/\(secret)", headers: ["X-TL-Api-Key": "\(team.privateKey)"])
        #expect(((try JSONSerialization.jsonObject(with: Data(bySite.body)) as? [[String: Any]])?.first?["count"] as? Int) == 2)
        let elsewhere = try stack.http.request("GET", "/api/v1/logs/logins/\(team.id)/site/nope", headers: ["X-TL-Api-Key": "\(team.privateKey)"])
        #expect(((try JSONSerialization.jsonObject(with: Data(elsewhere.body)) as? [[String: Any]])?.first?["count"] as? Int) == 0)
        // Wrong key: 401. Another team's log with one's own key: 404.
        #expect(try stack.http.request("GET", "/api/v1/logs/logins/\(team.id)", headers: ["X-TL-Api-Key": "wrong"]).status == 401)
        #expect(try stack.http.request("GET", "/api/v1/logs/logins/\(team.id)").status == 401)
        // Without credentials, a large body is not even parsed: 401 straight away.
        let junk = Array(("{" + (0..<20000).map { "\"k\($0)\":1" }.joined(separator: ",") + "}").utf8)
        #expect(try stack.http.request("GET", "/api/v1/logs/logins/\(team.id)", headers: ["Content-Type": "application/json"], body: junk).status == 401)
        #expect(try stack.http.request("GET", "/api/v1/logs/logins/\(team.id)", headers: ["X-TL-Api-Key": "\(other.privateKey)"]).status == 404)
        // The query string with the key reaches neither the program's log nor nginx's.
        #expect(!stack.programLog.contains(team.privateKey))
        let accessLog = try String(contentsOfFile: stack.directory + "/nginx/access.log", encoding: .utf8)
        #expect(accessLog.contains("GET /api/v1/logs/logins/\(team.id) HTTP/1.1"))
        #expect(!accessLog.contains(team.privateKey))
    }

    /// Dates from outside: a log query's `start` from 2000 to today, or a 422 naming it; a reported
    /// attempt's date with a real offset. Every date written has four-digit years.
    @Test func datesAreCheckedAndWrittenWithFourDigitYears() throws {
        let stack = try Stack.startForTrustedLogin()
        defer { stack.stop() }
        let team = try stack.createTeam()
        func logins(_ start: String) throws -> HTTPClient.Response {
            try stack.http.request("GET", "/api/v1/logs/logins/\(team.id)?start=\(start)&length=3", headers: ["X-TL-Api-Key": team.privateKey])
        }
        for bad in ["9999-12-31", "1999-12-31", "2999-01-01", "soon", "2026-02-30"] {
            let refused = try logins(bad)
            #expect(refused.status == 422, "\(bad)")
            #expect((try refused.json()["errors"] as? [String: [String]])?["start"] != nil, "\(bad)")
        }
        let ok = try logins("2020-01-05")
        #expect(ok.status == 200)
        let buckets = try #require(try JSONSerialization.jsonObject(with: Data(ok.body)) as? [[String: Any]])
        #expect(buckets.last?["start"] as? String == "2020-01-05")
        #expect(buckets.first?["end"] as? String == "2020-01-25")
        let attempt: [String: Any] = ["code": "login_failed", "client_site_url": "https://customer.example", "attempted_at": "2026-05-12T10:00:00+99:99"]
        let refused = try TrustedLoginAPI(http: stack.http).client("POST", "sites/\(Hex.encode(SystemRandom().bytes(16)))/login-attempts", team: team, attempt)
        #expect(refused.status == 422)
        #expect((try refused.json()["errors"] as? [String: [String]])?["attempted_at"] != nil)
    }

    @Test(arguments: Backend.allCases) func loginAttemptsArePagedNewestFirstAndReadOneByOne(_ backend: Backend) throws {
        let stack = try Stack.startForTrustedLogin(backend: backend)
        defer { stack.stop() }
        let team = try stack.createTeam(), other = try stack.createTeam("Other")
        let api = TrustedLoginAPI(http: stack.http)
        var ids: [String] = []
        for index in 0..<5 {
            let attempt: [String: Any] = [
                "code": "login_failed", "detailed_reason": "try \(index)", "client_site_url": "https://customer.example",
                "attempted_at": "2026-05-12T10:0\(index):00+00:00",
            ]
            let response = try api.client("POST", "sites/\(Hex.encode(SystemRandom().bytes(16)))/login-attempts", team: team, attempt)
            ids.append(try #require(try response.json()["id"] as? String))
            #expect(try stack.http.request("POST", "/sandbox/clock/advance?seconds=1").status == 200)
        }
        let page = try stack.http.request("GET", "/api/v1/logs/login-attempts/\(team.id)?per_page=2&page=1", headers: ["X-TL-Api-Key": "\(team.privateKey)"])
        #expect(page.status == 200)
        let body = try page.json()
        let data = try #require(body["data"] as? [[String: Any]])
        #expect(data.map { $0["id"] as? String } == [ids[4], ids[3]])
        #expect(data.first?["detailed_reason"] as? String == "try 4")
        let meta = try #require(body["meta"] as? [String: Any])
        #expect(meta["total"] as? Int == 5 && meta["last_page"] as? Int == 3 && meta["per_page"] as? Int == 2)
        #expect(body["current_page"] as? Int == 1 && body["total"] as? Int == 5)
        #expect((body["links"] as? [String: Any])?["next"] as? String != nil)
        let last = try stack.http.request("GET", "/api/v1/logs/login-attempts/\(team.id)?per_page=2&page=3", headers: ["X-TL-Api-Key": "\(team.privateKey)"]).json()
        #expect((last["data"] as? [[String: Any]])?.map { $0["id"] as? String } == [ids[0]])
        // A page far past the end is empty, not a crash (it once overflowed and aborted the process).
        let far = try stack.http.request("GET", "/api/v1/logs/login-attempts/\(team.id)?page=9223372036854775807", headers: ["X-TL-Api-Key": "\(team.privateKey)"])
        #expect(far.status == 200)
        #expect((try far.json()["data"] as? [Any])?.isEmpty == true)
        #expect(try stack.http.request("GET", "/api/status").status == 200)
        // per_page is clamped to [1, 200].
        let clamped = try stack.http.request("GET", "/api/v1/logs/login-attempts/\(team.id)?per_page=500", headers: ["X-TL-Api-Key": "\(team.privateKey)"]).json()
        #expect((clamped["meta"] as? [String: Any])?["per_page"] as? Int == 200)
        // One attempt, unwrapped.
        let one = try stack.http.request("GET", "/api/v1/logs/login-attempts/\(team.id)/\(ids[2])", headers: ["X-TL-Api-Key": team.privateKey])
        #expect(one.status == 200)
        #expect(try one.json()["id"] as? String == ids[2])
        #expect(try one.json()["attempted_at"] as? String == "2026-05-12T10:02:00+00:00")
        // Another team's: 404 either way round.
        #expect(try stack.http.request("GET", "/api/v1/logs/login-attempts/\(other.id)/\(ids[2])", headers: ["X-TL-Api-Key": "\(other.privateKey)"]).status == 404)
        #expect(try stack.http.request("GET", "/api/v1/logs/login-attempts/\(other.id)", headers: ["X-TL-Api-Key": "\(team.privateKey)"]).status == 404)
    }
}

/// The whole life of a support grant, with real cryptography: a customer site (the client SDK's
/// libsodium envelope, PHP) and a vendor (the Connector's signed nonce and envelope check, PHP).
@Suite(.serialized) struct TrustedLoginEndToEndTests {
    @Test(arguments: Backend.allCases) func aCustomerSiteAndAVendorThroughTheRealStack(_ backend: Backend) throws {
        let stack = try Stack.startForTrustedLogin(backend: backend)
        defer { stack.stop() }
        let team = try stack.createTeam("Acme Support")
        let api = TrustedLoginAPI(http: stack.http)
        let vendor = try PHP.run("vendor-keys")
        let site = try vendorSite(signatureKey: vendor["signPublicKey"] as! String)
        defer { site.stop() }

        // The vendor's Connector verifies its team.
        let verified = try api.vendor("POST", "accounts/\(team.id)", team: team, ["api_endpoint": "http://127.0.0.1:\(site.port)/wp-json/"])
        #expect(verified.status == 200)

        // The customer site grants access: a crypto_box envelope to the vendor's box key.
        let accessKey = Digest256.sha256Hex("license-XYZ")
        let made = try PHP.run("envelope", [
            "vendorBoxPublicKey": vendor["boxPublicKey"]!, "siteUrl": "https://customer.example/wp", "teamPublicKey": team.publicKey,
            "accessKey": accessKey, "expiresAt": Int(Date().timeIntervalSince1970) + 3600,
            "metaData": ["reference_id": "Ticket #4711 / Zoë"],
        ])
        var envelope = try #require(made["envelope"] as? [String: Any])
        let siteIdentifier = try #require(made["siteIdentifierHash"] as? String)
        #expect(try api.client("POST", "sites", team: team, envelope).status == 201)

        // ... and extends it: new key pair, nonce and ciphertext under the same secretId.
        let extended = try PHP.run("envelope", [
            "vendorBoxPublicKey": vendor["boxPublicKey"]!, "siteUrl": "https://customer.example/wp", "teamPublicKey": team.publicKey,
            "accessKey": accessKey, "expiresAt": Int(Date().timeIntervalSince1970) + 7200, "metaData": ["reference_id": "Ticket #4711 / Zoë"],
        ])
        let secretID = envelope["secretId"] as! String
        var renewal = try #require(extended["envelope"] as? [String: Any])
        let renewedIdentifier = try #require(extended["siteIdentifierHash"] as? String)
        renewal["secretId"] = secretID
        envelope = renewal
        #expect(try api.client("POST", "sites", team: team, envelope).status == 201)
        #expect(siteIdentifier != renewedIdentifier)

        // The vendor looks the grant up by the customer's license hash.
        let lookup = try api.vendor("POST", "accounts/\(team.id)/sites/", team: team, ["searchKeys": [accessKey]])
        #expect(try lookup.json()[accessKey] as? [String] == [secretID])

        // ... fetches the envelope with a signed nonce, checks Vestibule's signature with the key
        // it publishes, and opens the box with its own key: the renewed identifier comes out.
        let signingKey = try #require(try stack.http.request("GET", "/api/v1/envelope-signing-public-key").json()["publicKey"] as? String)
        let fetched = try api.vendor(
            "POST", "sites/\(team.id)/\(secretID)/get-envelope", team: team,
            try TrustedLoginAPI.envelopeBody(signSecretKey: vendor["signSecretKey"]!, user: ["id": 12, "name": "Agent Ada"]))
        #expect(fetched.status == 200)
        let opened = try PHP.run("open-envelope", [
            "envelopeJSON": fetched.text, "vendorBoxSecretKey": vendor["boxSecretKey"]!, "envelopeSigningKey": signingKey,
        ])
        #expect(opened["ok"] as? Bool == true, "\(opened)")
        #expect(opened["identifier"] as? String == renewedIdentifier)
        #expect((opened["canonical"] as? String)?.contains(#""metaData":{"reference_id":"Ticket #4711 / Zoë"}"#) == true)
        let body = try fetched.json()
        #expect(body["siteUrl"] as? String == "https://customer.example/wp")
        #expect(body["publicKey"] as? String == envelope["clientPublicKey"] as? String)
        #expect(body["identifier"] as? String == envelope["identifier"] as? String)

        // The agent arrives at the customer site, which checks the identifier.
        let check: [String: Any] = ["timestamp": Int(Date().timeIntervalSince1970), "user_agent": "Mozilla/5.0", "user_ip": "", "site_url": "https://customer.example/wp"]
        #expect(try api.client("POST", "sites/\(secretID)/verify-identifier", team: team, check).status == 204)

        // The activity log: the envelope fetch (by user 12) and the login, by site and by user.
        func count(_ query: String) throws -> Int? {
            let response = try api.vendor("GET", "logs/logins/\(team.id)\(query)", team: team)
            return (try JSONSerialization.jsonObject(with: Data(response.body)) as? [[String: Any]])?.first?["count"] as? Int
        }
        let rows = try api.vendor("GET", "logs/logins/\(team.id)/site/\(secretID)?data=1", team: team)
        let grantID = try #require(((try JSONSerialization.jsonObject(with: Data(rows.body)) as? [[String: Any]])?
            .first?["data"] as? [[String: Any]])?.first?["siteId"] as? Int)
        #expect(try count("/site/\(secretID)") == 2)
        #expect(try count("/site/\(grantID)") == 2)
        #expect(try count("?user_id=12") == 1)
        #expect(try count("?user_id=13") == 0)

        // A failed login is reported and read back from the logs.
        let attempt: [String: Any] = [
            "code": "login_failed", "detailed_reason": "Identifier mismatch", "client_site_url": "https://customer.example",
            "attempted_at": ClientTime.now, "identifier_hash": Digest256.sha256Hex(renewedIdentifier), "client_ip": "198.51.100.7",
            "client_user_agent": "Mozilla/5.0",
        ]
        let reported = try api.client("POST", "sites/\(secretID)/login-attempts", team: team, attempt)
        let attemptID = try #require(try reported.json()["id"] as? String)
        let readBack = try api.vendor("GET", "logs/login-attempts/\(team.id)/\(attemptID)", team: team)
        #expect(try readBack.json()["detailed_reason"] as? String == "Identifier mismatch")
        let logins = try #require(try JSONSerialization.jsonObject(with: Data(api.vendor("GET", "logs/logins/\(team.id)?data=1", team: team).body)) as? [[String: Any]])
        let events = (logins.first?["data"] as? [[String: Any]])?.compactMap { $0["eventType"] as? String }
        #expect(events == ["login", "envelope"])

        // Brute force on the customer site: the team is paused, the vendor sees 423 until resumed.
        #expect(try api.client("POST", "report-brute-force", team: team, check).status == 204)
        #expect(try api.vendor("POST", "accounts/\(team.id)/sites/", team: team, ["searchKeys": [accessKey]]).status == 423)
        #expect(try api.client("POST", "sites/\(secretID)/verify-identifier", team: team, check).status == 423)
        #expect(try stack.cli(["team", "resume", String(team.id)]).status == 0)
        #expect(try api.vendor("POST", "accounts/\(team.id)/sites/", team: team, ["searchKeys": [accessKey]]).status == 200)

        // The customer revokes access: gone for the vendor too.
        #expect(try api.client("DELETE", "sites/\(secretID)", team: team).json()["deleted"] as? Bool == true)
        #expect(try api.vendor("POST", "accounts/\(team.id)/sites/", team: team, ["searchKeys": [accessKey]]).status == 204)
    }
}

enum ClientTime {
    /// `gmdate('c')`, as the client SDK sends `attempted_at`.
    static var now: String {
        let formatter = ISO8601DateFormatter()
        formatter.formatOptions = [.withInternetDateTime]
        return formatter.string(from: Date()).replacingOccurrences(of: "Z", with: "+00:00")
    }
}
