import Foundation
import Synchronization
import Support
import TestSupport
import Testing

/// The Connector's endpoints through nginx.
@Suite(.serialized) struct TrustedLoginVendorTests {
    /// A stack, a team, a vendor site publishing the vendor's signing key, the team verified.
    /// (Read-only once made, so threads of one test may share it.)
    struct Fixture: @unchecked Sendable {
        let stack: Stack
        let team: TLTeam
        let api: TrustedLoginAPI
        let vendorKeys: [String: Any]
        let site: CannedHTTPServer

        var endpoint: String { "http://127.0.0.1:\(site.port)/wp-json/" }

        func stop() {
            stack.stop()
            site.stop()
        }
    }

    func fixture(backend: Backend = .sqlite, verified: Bool = true, environment: [String: String] = [:]) throws -> Fixture {
        let stack = try Stack.startForTrustedLogin(backend: backend, environment: environment)
        let team = try stack.createTeam()
        let keys = try PHP.run("vendor-keys")
        let site = try vendorSite(signatureKey: keys["signPublicKey"] as! String)
        let fixture = Fixture(stack: stack, team: team, api: TrustedLoginAPI(http: stack.http), vendorKeys: keys, site: site)
        if verified {
            let response = try fixture.api.vendor("POST", "accounts/\(team.id)", team: team, ["api_endpoint": fixture.endpoint])
            #expect(response.status == 200)
        }
        return fixture
    }

    @Test func verifyingTheTeamFetchesAndStoresTheSigningKey() throws {
        let f = try fixture(verified: false)
        defer { f.stop() }
        let response = try f.api.vendor("POST", "accounts/\(f.team.id)", team: f.team, ["api_endpoint": f.endpoint])
        #expect(response.status == 200)
        let body = try response.json()
        #expect(body["id"] as? Int == Int(f.team.id))
        #expect(body["name"] as? String == f.team.name)
        #expect(body["status"] as? String == "active")
        #expect(body["error"] == nil)
        #expect(f.site.requestedPaths == ["/wp-json/trustedlogin/v1/signature_key"])
        let stored = try f.stack.scalar("SELECT signature_key FROM teams", as: String.self)
        #expect(stored == f.vendorKeys["signPublicKey"] as? String)
        // Plain-permalink sites: the endpoint is concatenated, not URL-joined.
        _ = try f.api.vendor("POST", "accounts/\(f.team.id)/", team: f.team, ["api_endpoint": "http://127.0.0.1:\(f.site.port)/?rest_route=/"])
        #expect(f.site.requestedPaths.last == "/?rest_route=/trustedlogin/v1/signature_key")
    }

    @Test func verificationErrors() throws {
        let f = try fixture(verified: false)
        defer { f.stop() }
        let other = try f.stack.createTeam("Other")
        // Wrong keys: 403, as the SaaS answers on this route.
        for (bearer, token) in [("0000", f.team.token), (f.team.v1Bearer, "0000"), (other.v1Bearer, f.team.token)] {
            let refused = try f.api.vendor("POST", "accounts/\(f.team.id)", team: f.team, ["api_endpoint": f.endpoint], bearer: bearer, token: token)
            #expect(refused.status == 403)
            #expect(try refused.json()["message"] as? String == "You can not access this team")
        }
        // Another team's id with valid keys: 404, existence never confirmed.
        let stranger = try f.api.vendor("POST", "accounts/\(other.id)", team: f.team, ["api_endpoint": f.endpoint])
        #expect(stranger.status == 404)
        #expect(try stranger.json()["message"] as? String == "Team Not Found")
        #expect(try f.api.vendor("POST", "accounts/999", team: f.team, ["api_endpoint": f.endpoint]).status == 404)
        // No api_endpoint: 422 for Connector 2.x (X-TL-Auth-Version: 2), as the spec says; 400 with
        // the same message for v1 callers, because Connector 1.x dies on a 422 here.
        let missing = try f.api.vendorV2("POST", "accounts/\(f.team.id)", team: f.team, [String: Any]())
        #expect(missing.status == 422)
        #expect((try missing.json()["errors"] as? [String: [String]])?["api_endpoint"] == ["The api endpoint field is required."])
        let missingV1 = try f.api.vendor("POST", "accounts/\(f.team.id)", team: f.team, [String: Any]())
        #expect(missingV1.status == 400)
        #expect(try missingV1.json()["error"] as? Bool == true)
        #expect(try missingV1.json()["message"] as? String == "The api endpoint field is required.")
        // The key cannot be had: 424 (v2) or 400 (v1), and the failure is logged.
        f.site.set(.init(status: 501, body: ""))
        let unavailable = try f.api.vendorV2("POST", "accounts/\(f.team.id)", team: f.team, ["api_endpoint": f.endpoint])
        #expect(unavailable.status == 424)
        #expect((try unavailable.json()["message"] as? String)?.contains("answered 501") == true)
        #expect(try f.api.vendor("POST", "accounts/\(f.team.id)", team: f.team, ["api_endpoint": f.endpoint]).status == 400)
        let unreachable = try f.api.vendorV2("POST", "accounts/\(f.team.id)", team: f.team, ["api_endpoint": "http://localhost:1/wp-json/"])
        #expect(unreachable.status == 424)
        // The reason is one sentence for every way of not reaching the site: nothing about how names
        // resolve on the server (the details are in the program's log only).
        let reason = try unreachable.json()["message"] as? String ?? ""
        #expect(reason.contains(Self.unreachable) && !reason.contains("127.0.0.1") && !reason.contains("::1"))
        #expect(f.stack.programLog.contains("signing key fetch failed"))
        #expect(try f.stack.count("team_events", where: "event = 'verification-failed'") == 3)
        // Not in good standing: 402 with the SaaS's body.
        #expect(try f.stack.cli(["team", "deactivate", String(f.team.id)]).status == 0)
        let inactive = try f.api.vendor("POST", "accounts/\(f.team.id)", team: f.team, ["api_endpoint": f.endpoint])
        #expect(inactive.status == 402)
        #expect(try inactive.json()["error"] as? String == "true")
        #expect(try inactive.json()["message"] as? String == "You do not have a valid TrustedLogin subscription")
    }

    /// Without the development setting, a vendor endpoint on this machine is refused (SSRF guard).
    @Test func privateAddressesAreRefusedInProduction() throws {
        let stack = try Stack.start()
        defer { stack.stop() }
        let team = try stack.createTeam()
        let site = try vendorSite(signatureKey: String(repeating: "ab", count: 32))
        defer { site.stop() }
        let api = TrustedLoginAPI(http: stack.http)
        for endpoint in ["http://127.0.0.1:\(site.port)/wp-json/", "http://localhost:\(site.port)/", "http://169.254.169.254/latest/", "file:///etc/"] {
            let refused = try api.vendorV2("POST", "accounts/\(team.id)", team: team, ["api_endpoint": endpoint])
            #expect(refused.status == (endpoint.hasPrefix("file") ? 422 : 424), "\(endpoint)")
            if !endpoint.hasPrefix("file") {
                // The same sentence as a site that cannot be reached: a refusal says nothing of the address.
                let message = try refused.json()["message"] as? String ?? ""
                #expect(message.contains(Self.unreachable) && !message.contains("public") && !message.contains("address"), "\(endpoint)")
            }
        }
        #expect(site.requestedPaths.isEmpty)
    }

    static let unreachable = "the site could not be reached, or did not answer within 3 seconds"

    /// Outbound calls in flight are bounded (here 4 workers: one call in all): over the bound, a
    /// 503 with Retry-After at once, and the workers stay free for everything else.
    @Test func outboundCallsInFlightAreBoundedAndTheExcessIsRefusedAtOnce() throws {
        let f = try fixture(verified: false)
        defer { f.stop() }
        f.site.set(.init(body: #"{"signatureKey":"\#(f.vendorKeys["signPublicKey"] as! String)"}"#, delay: 2))
        let finished = Mutex<[(status: Int, retryAfter: String?, what: String, at: Date)]>([])
        inParallel(7) { index in
            if index == 6 {
                usleep(500_000)
                let status = (try? f.stack.http.request("GET", "/api/status").status) ?? -1
                finished.withLock { $0.append((status, nil, "status", Date())) }
                return
            }
            let response = try? f.api.vendor("POST", "accounts/\(f.team.id)", team: f.team, ["api_endpoint": f.endpoint])
            finished.withLock { $0.append((response?.status ?? -1, response?.header("Retry-After"), "verify", Date())) }
        }
        let all = finished.withLock { $0 }
        let verified = all.filter { $0.what == "verify" && $0.status == 200 }
        let refused = all.filter { $0.what == "verify" && $0.status == 503 }
        #expect(verified.count == 1 && refused.count == 5, "\(all.map(\.status))")
        #expect(refused.allSatisfy { $0.retryAfter != nil })
        // The refusals and the status check came back while the slow fetch still held its place.
        let slowEnd = try #require(verified.first?.at)
        #expect(refused.allSatisfy { $0.at < slowEnd })
        #expect(all.first { $0.what == "status" }.map { $0.status == 200 && $0.at < slowEnd } == true)
        #expect(f.site.requestedPaths.count == 1)
    }

    /// A proxy in the environment is not used: the address check must see the real target.
    @Test func proxiesFromTheEnvironmentAreIgnored() throws {
        let f = try fixture(verified: false, environment: ["http_proxy": "http://127.0.0.1:1", "HTTPS_PROXY": "http://127.0.0.1:1", "ALL_PROXY": "http://127.0.0.1:1"])
        defer { f.stop() }
        #expect(try f.api.vendor("POST", "accounts/\(f.team.id)", team: f.team, ["api_endpoint": f.endpoint]).status == 200)
        #expect(f.site.requestedPaths == ["/wp-json/trustedlogin/v1/signature_key"])
    }

    @Test(arguments: Backend.allCases) func theV2BearerIsAcceptedAndChecked(_ backend: Backend) throws {
        let f = try fixture(backend: backend)
        defer { f.stop() }
        let lookup = ["searchKeys": ["none"]]
        #expect(try f.api.vendorV2("POST", "accounts/\(f.team.id)/sites/", team: f.team, lookup).status == 204)
        #expect(try f.api.vendorV2("POST", "accounts/\(f.team.id)/sites/", team: f.team, lookup, key: "wrong").status == 401)
        let stale = Int(Date().timeIntervalSince1970) - 600
        #expect(try f.api.vendorV2("POST", "accounts/\(f.team.id)/sites/", team: f.team, lookup, timestamp: stale).status == 401)
        let nonce = Hex.encode(SystemRandom().bytes(16))
        #expect(try f.api.vendorV2("POST", "accounts/\(f.team.id)/sites/", team: f.team, lookup, nonce: nonce).status == 204)
        #expect(try f.api.vendorV2("POST", "accounts/\(f.team.id)/sites/", team: f.team, lookup, nonce: nonce).status == 401)
        // The HMAC covers the path: the same signature for another path is refused.
        #expect(try f.api.vendorV2("POST", "accounts/\(f.team.id)", team: f.team, ["api_endpoint": f.endpoint]).status == 200)
    }

    @Test(arguments: Backend.allCases) func lookupsListLiveGrantsOldestFirst(_ backend: Backend) throws {
        let f = try fixture(backend: backend)
        defer { f.stop() }
        let key = Hex.encode(SystemRandom().bytes(32)), spare = Hex.encode(SystemRandom().bytes(32))
        var secrets: [String] = []
        for _ in 0..<3 {
            let grant = TrustedLoginAPI.grant(team: f.team, accessKey: key)
            secrets.append(try f.api.register(grant, team: f.team))
        }
        let expiring = TrustedLoginAPI.grant(team: f.team, accessKey: spare, expiresAt: Int(Date().timeIntervalSince1970) + 60)
        #expect(try f.api.client("POST", "sites", team: f.team, expiring).status == 201)
        let found = try f.api.vendor("POST", "accounts/\(f.team.id)/sites/", team: f.team, ["searchKeys": [key, spare, "unknown"]])
        #expect(found.status == 200)
        let body = try #require(try found.json() as? [String: [String]])
        #expect(body[key] == secrets)
        #expect(body[spare] == [expiring["secretId"] as! String])
        #expect(body["unknown"] == nil)
        // Once expired, invisible.
        #expect(try f.stack.http.request("POST", "/sandbox/clock/advance?seconds=61").status == 200)
        let later = try f.api.vendor("POST", "accounts/\(f.team.id)/sites", team: f.team, ["searchKeys": [spare]])
        #expect(later.status == 204)
        #expect(later.body.isEmpty)
        // Bad requests.
        let missing = try f.api.vendor("POST", "accounts/\(f.team.id)/sites", team: f.team, [String: Any]())
        #expect(missing.status == 400)
        #expect(try missing.json()["message"] as? String == "Missing searchKeys parameter in body")
        #expect(try missing.json()["error"] as? Bool == true)
        let notArray = try f.api.vendor("POST", "accounts/\(f.team.id)/sites", team: f.team, ["searchKeys": key])
        #expect(try notArray.json()["message"] as? String == "searchKeys parameter must be an array")
        // Wrong keys, another team.
        #expect(try f.api.vendor("POST", "accounts/\(f.team.id)/sites", team: f.team, ["searchKeys": [key]], bearer: "00").status == 401)
        let other = try f.stack.createTeam("Other")
        #expect(try f.api.vendor("POST", "accounts/\(other.id)/sites", team: f.team, ["searchKeys": [key]]).status == 404)
        #expect(try f.api.vendor("POST", "accounts/\(other.id)/sites", team: other, ["searchKeys": [key]]).status == 204)
    }

    @Test(arguments: Backend.allCases) func envelopeErrors(_ backend: Backend) throws {
        let f = try fixture(backend: backend)
        defer { f.stop() }
        let grant = TrustedLoginAPI.grant(team: f.team, expiresAt: Int(Date().timeIntervalSince1970) + 60)
        let secret = try f.api.register(grant, team: f.team)
        func signed() throws -> [String: Any] {
            try TrustedLoginAPI.envelopeBody(signSecretKey: f.vendorKeys["signSecretKey"]!, user: ["id": 7, "name": "Agent Smith"])
        }
        let path = "sites/\(f.team.id)/\(secret)/get-envelope"
        #expect(try f.api.vendor("POST", path, team: f.team, try signed()).status == 200)
        // Replay of a signed nonce.
        let once = try signed()
        #expect(try f.api.vendor("POST", path, team: f.team, once).status == 200)
        let replay = try f.api.vendor("POST", path, team: f.team, once)
        #expect(replay.status == 401)
        #expect(try replay.json()["error"] as? Bool == true)
        // A nonce signed by someone else.
        let forger = try PHP.run("vendor-keys")
        let refused = try f.api.vendor("POST", path, team: f.team, try TrustedLoginAPI.envelopeBody(signSecretKey: forger["signSecretKey"]!))
        #expect(refused.status == 401)
        #expect(try refused.json()["message"] as? String == "Invalid signature - identity of vendor not validate")
        // Malformed body, unknown secret, another team, wrong keys.
        #expect(try f.api.vendor("POST", path, team: f.team, ["nonce": "x"]).status == 422)
        #expect(try f.api.vendor("POST", "sites/\(f.team.id)/\(String(repeating: "0", count: 32))/get-envelope", team: f.team, try signed()).status == 404)
        let other = try f.stack.createTeam("Other")
        #expect(try f.api.vendor("POST", "sites/\(other.id)/\(secret)/get-envelope", team: f.team, try signed()).status == 404)
        #expect(try f.api.vendor("POST", "sites/\(other.id)/\(secret)/get-envelope", team: other, try signed()).status == 404)
        #expect(try f.api.vendor("POST", path, team: f.team, try signed(), token: "00").status == 401)
        // Paused: 423. Expired: 410.
        _ = try f.api.client("POST", "report-brute-force", team: f.team, [String: Any]())
        #expect(try f.api.vendor("POST", path, team: f.team, try signed()).status == 423)
        _ = try f.stack.cli(["team", "resume", String(f.team.id)])
        #expect(try f.stack.http.request("POST", "/sandbox/clock/advance?seconds=61").status == 200)
        #expect(try f.api.vendor("POST", path, team: f.team, try signed()).status == 410)
    }

    /// A team that was never verified has no signing key and no endpoint to fetch one from: 424.
    @Test func envelopeWithoutAVendorKeyIs424() throws {
        let f = try fixture(verified: false)
        defer { f.stop() }
        let grant = TrustedLoginAPI.grant(team: f.team)
        let secret = try f.api.register(grant, team: f.team)
        let response = try f.api.vendor(
            "POST", "sites/\(f.team.id)/\(secret)/get-envelope", team: f.team,
            try TrustedLoginAPI.envelopeBody(signSecretKey: f.vendorKeys["signSecretKey"]!))
        #expect(response.status == 424)
    }

    /// The vendor reset its keys after verification: the envelope request fetches the new key once.
    @Test func aRotatedVendorKeyIsFetchedAgain() throws {
        let f = try fixture()
        defer { f.stop() }
        let grant = TrustedLoginAPI.grant(team: f.team)
        let secret = try f.api.register(grant, team: f.team)
        let newKeys = try PHP.run("vendor-keys")
        f.site.set(.init(body: #"{"signatureKey":"\#(newKeys["signPublicKey"]!)"}"#))
        let response = try f.api.vendor(
            "POST", "sites/\(f.team.id)/\(secret)/get-envelope", team: f.team,
            try TrustedLoginAPI.envelopeBody(signSecretKey: newKeys["signSecretKey"]!))
        #expect(response.status == 200)
    }

    @Test func theSigningPublicKeyIsPublishedUnderBothNames() throws {
        let f = try fixture(verified: false)
        defer { f.stop() }
        let a = try f.stack.http.request("GET", "/api/v1/envelope-signing-public-key")
        let b = try f.stack.http.request("GET", "/api/v1/envelope-signing-pubkey/")
        #expect(a.status == 200 && b.status == 200)
        let key = try #require(try a.json()["publicKey"] as? String)
        #expect(Hex.isLowercase(key, length: 64))
        #expect(try b.json()["publicKey"] as? String == key)
        // The same key after a restart (stored, sealed).
        try f.stack.signalProgram(SIGTERM)
        try f.stack.startProgram()
        #expect(try f.stack.http.request("GET", "/api/v1/envelope-signing-public-key").json()["publicKey"] as? String == key)
    }

    /// Whoever reads the database gets no credential from it: every lookup value, tried as the
    /// credential it stands for, is refused.
    @Test func lookupValuesInTheDatabaseAreNoCredentials() throws {
        let f = try fixture(verified: false)
        defer { f.stop() }
        let row = "SELECT %@ FROM teams WHERE id = \(f.team.id)"
        let apiKeyLookup = try #require(try f.stack.scalar(row.replacingOccurrences(of: "%@", with: "api_key_lookup"), as: String.self))
        let bearerLookup = try #require(try f.stack.scalar(row.replacingOccurrences(of: "%@", with: "bearer_lookup"), as: String.self))
        let tokenLookup = try #require(try f.stack.scalar(row.replacingOccurrences(of: "%@", with: "token_lookup"), as: String.self))
        #expect(apiKeyLookup != f.team.v1Bearer && bearerLookup != f.team.v1Bearer)
        let sites = "accounts/\(f.team.id)/sites"
        for (bearer, token) in [(apiKeyLookup, f.team.token), (bearerLookup, f.team.token), (f.team.v1Bearer, tokenLookup)] {
            #expect(try f.api.vendor("POST", sites, team: f.team, ["searchKeys": ["x"]], bearer: bearer, token: token).status == 401)
        }
        for key in [apiKeyLookup, bearerLookup, tokenLookup] {
            #expect(try f.stack.http.request("GET", "/api/v1/logs/logins/\(f.team.id)", headers: ["X-TL-Api-Key": key]).status == 401)
        }
        // The real ones still work.
        #expect(try f.api.vendor("POST", sites, team: f.team, ["searchKeys": ["x"]]).status == 204)
    }

    @Test func signingCanBeTurnedOff() throws {
        let f = try fixture(environment: ["VESTIBULE_TRUSTEDLOGIN_ENVELOPE_SIGNING": "false"])
        defer { f.stop() }
        let off = try f.stack.http.request("GET", "/api/v1/envelope-signing-public-key")
        #expect(off.status == 404)
        #expect(try off.json()["error"] as? String == "Envelope signing disabled.")
        let grant = TrustedLoginAPI.grant(team: f.team)
        let secret = try f.api.register(grant, team: f.team)
        let envelope = try f.api.vendor(
            "POST", "sites/\(f.team.id)/\(secret)/get-envelope", team: f.team,
            try TrustedLoginAPI.envelopeBody(signSecretKey: f.vendorKeys["signSecretKey"]!))
        #expect(envelope.status == 200)
        #expect(try envelope.json()["signature"] == nil)
    }
}
