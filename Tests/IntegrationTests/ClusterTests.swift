import Foundation
import SLIP0013Signing
import Support
import TestSupport
import Testing

/// Two `vestibule serve` nodes on one PostgreSQL, behind the shipped cluster config: what one
/// node writes the other sees, the rules that must hold across nodes hold when both race, and
/// the cluster keeps answering while a node is down.
@Suite(.serialized) struct ClusterTests {
    let key = TestSigner(seed: 21)

    @Test func aSessionAndAGrantMadeOnOneNodeWorkOnTheOther() throws {
        let cluster = try Cluster.start()
        defer { cluster.stop() }
        // Signed in through node A...
        let browser = Browser(cluster.http(node: 0))
        _ = try browser.signInWithTrezor(as: key)
        // ...the session works on node B.
        browser.http = cluster.http(node: 1)
        let account = try browser.get("/account")
        #expect(account.status == 200)
        #expect(account.text.contains(key.address))

        // A grant written through A is found through B.
        let team = try TLTeam(created: cluster.cli(["team", "create", "--name", "Cluster", "--json"]))
        let grant = TrustedLoginAPI.grant(team: team)
        _ = try TrustedLoginAPI(http: cluster.http(node: 0)).register(grant, team: team)
        let found = try TrustedLoginAPI(http: cluster.http(node: 1))
            .vendor("POST", "accounts/\(team.id)/sites", team: team, ["searchKeys": [grant["accessKey"]!]])
        #expect(found.status == 200)
        #expect(try found.json()[grant["accessKey"] as! String] as? [String] == [grant["secretId"] as! String])
    }

    /// Both nodes answer the same request the same way: status and fields.
    @Test func bothNodesAnswerAlike() throws {
        let cluster = try Cluster.start()
        defer { cluster.stop() }
        let team = try TLTeam(created: cluster.cli(["team", "create", "--name", "Alike", "--json"]))
        let requests: [(String, String, [String: Any]?, String?)] = [
            ("GET", "logs/login-attempts/\(team.id)", nil, team.privateKey),
            ("POST", "sites", ["secretId": "nothex"], team.publicKey),
            ("DELETE", "sites/\(String(repeating: "0", count: 32))", nil, team.publicKey),
            ("POST", "sites", [:], "wrong"),
        ]
        for (method, path, body, credential) in requests {
            let answers = try (0..<2).map { node -> (Int, [String]) in
                var headers = ["Content-Type": "application/json", "Accept": "application/json"]
                if method == "GET" { headers["X-TL-Api-Key"] = credential } else { headers["Authorization"] = "Bearer \(credential!)" }
                let response = try cluster.http(node: node).request(
                    method, "/api/v1/" + path, headers: headers, body: body.map(TrustedLoginAPI.body) ?? [])
                return (response.status, (try? response.json())?.keys.sorted() ?? [])
            }
            #expect(answers[0] == answers[1], "\(method) \(path)")
        }
        let statuses = try (0..<2).map { try cluster.http(node: $0).request("GET", "/api/status") }
        #expect(statuses.map(\.status) == [200, 200])
        let createdAt = try statuses.map { try $0.json()["databaseCreatedAt"] as? String }
        #expect(createdAt[0] != nil)
        #expect(createdAt[0] == createdAt[1])
    }

    /// 30 wrong Trezor answers at once, 15 on each node, from one address: regulation lets no
    /// more than `maxFailures` (3) be checked; the rest get 429, and nothing fails with a 5xx.
    @Test func parallelBadSignInsOverTwoNodesGetNoMoreThanTheLimit() throws {
        let cluster = try Cluster.start()
        defer { cluster.stop() }
        let browser = Browser(cluster.http(node: 0))
        _ = try browser.get("/login/trezor")
        _ = try browser.trezorChallenge()  // the sign-in starts: a session
        let cookie = browser.headers, token = try #require(browser.csrfToken)
        let statuses = StatusCounter()
        inParallel(30) { index in
            var headers = cookie
            headers["Content-Type"] = "application/json"
            headers["X-CSRF-Token"] = token
            let answer = TrezorChallenge(hidden: Hex.encode(SystemRandom().bytes(32)), visual: "2026-01-01 00:00:00")
                .answer(signer: TestSigner(seed: 3))
            let body = Array((try? JSONSerialization.data(withJSONObject: answer)) ?? Data())
            let status = (try? cluster.http(node: index % 2).request("POST", "/login/trezor/verify", headers: headers, body: body).status) ?? -1
            statuses.add(status)
        }
        #expect(statuses.counts.keys.allSatisfy { [401, 429].contains($0) }, "\(statuses.counts)")
        #expect((statuses.counts[401] ?? 0) <= 3)
        #expect((statuses.counts[401] ?? 0) + (statuses.counts[429] ?? 0) == 30)
    }

    /// 20 POST sites for one secretId at once, over both nodes: one grant, and every answer 201.
    @Test func parallelUpsertsOfOneSecretLeaveOneGrant() throws {
        let cluster = try Cluster.start()
        defer { cluster.stop() }
        let team = try TLTeam(created: cluster.cli(["team", "create", "--name", "Upserts", "--json"]))
        let secret = Hex.encode(SystemRandom().bytes(16))
        let statuses = StatusCounter()
        inParallel(20) { index in
            let grant = TrustedLoginAPI.grant(team: team, secretID: secret)
            let status = (try? TrustedLoginAPI(http: cluster.http(node: index % 2)).client("POST", "sites", team: team, grant).status) ?? -1
            statuses.add(status)
        }
        #expect(statuses.counts == [201: 20])
        let rows = try PostgresServer.shared().sql("SELECT count(*) FROM grants", database: databaseName(cluster))
        #expect(rows == "1")
    }

    /// `kill -9` of node A: the cluster keeps answering through B, reads and writes; a restarted
    /// A rejoins.
    @Test func theClusterKeepsAnsweringWhileANodeIsDown() throws {
        let cluster = try Cluster.start()
        defer { cluster.stop() }
        let team = try TLTeam(created: cluster.cli(["team", "create", "--name", "Failover", "--json"]))
        let api = TrustedLoginAPI(http: cluster.http)
        #expect(try cluster.signal(node: 0, SIGKILL) == -SIGKILL)
        for _ in 0..<10 {
            #expect(try cluster.http.request("GET", "/api/status").status == 200)
            #expect(try api.client("POST", "sites", team: team, TrustedLoginAPI.grant(team: team)).status == 201)
        }
        #expect(try cluster.http(node: 0).request("GET", "/api/status").status == 502)
        try cluster.startNode(0)
        #expect(try cluster.http(node: 0).request("GET", "/api/status").status == 200)
        let rows = try PostgresServer.shared().sql("SELECT count(*) FROM grants", database: databaseName(cluster))
        #expect(rows == "10")
        // The restarted node sees what B wrote while it was down.
        let lookup = try TrustedLoginAPI(http: cluster.http(node: 0)).vendor("POST", "accounts/\(team.id)/sites", team: team, ["searchKeys": ["x"]])
        #expect(lookup.status == 204)
        #expect(try cluster.http.request("GET", "/api/status").status == 200)
    }

    func databaseName(_ cluster: Cluster) -> String {
        String(cluster.database.split(separator: "/").last!)
    }
}
