import Foundation
import TestSupport
import Testing

/// A TrustedLogin private key in the query string never reaches nginx's error log: nginx refuses
/// it (400, saying where the key goes) before its rate limit, its body-size check, and its
/// attempt to reach the program, each of which would write the request line to error.log.
@Suite(.serialized) struct QueryKeyTests {
    func errorLog(_ stack: Stack) -> String {
        (try? String(contentsOfFile: stack.directory + "/nginx/error.log", encoding: .utf8)) ?? ""
    }

    func expectRefused(_ response: HTTPClient.Response) throws {
        #expect(response.status == 400)
        #expect(response.header("Content-Type")?.hasPrefix("application/json") == true)
        #expect((try response.json()["message"] as? String)?.contains("X-TL-Api-Key") == true)
        #expect(response.header("X-Content-Type-Options") == "nosniff")
    }

    @Test func aKeyInTheQueryIsRefusedByNginxWhateverElseHappens() throws {
        let stack = try Stack.startForTrustedLogin()
        defer { stack.stop() }
        let team = try stack.createTeam()
        let path = "/api/v1/logs/logins/\(team.id)?api_key=\(team.privateKey)&data=1"
        try expectRefused(try stack.http.request("GET", path))
        // Another spelling of the name.
        try expectRefused(try stack.http.request("GET", "/api/v1/logs/logins/\(team.id)?data=1&api%5Fkey=\(team.privateKey)"))
        // Too large a body: still the 400, not nginx's 413.
        try expectRefused(try stack.http.request("POST", path, body: Array(repeating: UInt8(ascii: "x"), count: 2 << 20)))
        // Past the /api rate limit (50 r/s, burst 100): 400s, never 429s.
        let statuses = StatusCounter()
        inParallel(30) { _ in
            for _ in 0..<5 { statuses.add((try? stack.http.request("GET", path).status) ?? -1) }
        }
        #expect(statuses.counts == [400: 150])
        // The program stopped: still the 400, not nginx's 502.
        try stack.signalProgram(SIGTERM)
        try expectRefused(try stack.http.request("GET", path))
        #expect(try stack.http.request("GET", "/api/v1/logs/logins/\(team.id)").status == 502)
        // nginx wrote the 502's request line (no key in it) to error.log, never the key.
        #expect(errorLog(stack).contains("/api/v1/logs/logins/\(team.id)"))
        #expect(!errorLog(stack).contains(team.privateKey))
        #expect(!stack.programLog.contains(team.privateKey))
    }
}
