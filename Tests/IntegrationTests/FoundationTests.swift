import Foundation
import TestSupport
import Testing
import VestibuleApp

/// The foundation, end to end: the built program behind nginx running the shipped config.
@Suite(.serialized) struct FoundationTests {
    @Test func loginRendersWithSecurityHeadersAndCSRFMetaTag() throws {
        let stack = try Stack.start()
        defer { stack.stop() }
        let response = try stack.http.request("GET", "/login")
        #expect(response.status == 200)
        #expect(response.header("Content-Type") == "text/html; charset=utf-8")
        let csp = try #require(response.header("Content-Security-Policy"))
        #expect(csp.hasPrefix("default-src 'self'"))
        #expect(!csp.contains("unsafe-inline"))
        #expect(response.header("X-Frame-Options") == "DENY")
        #expect(response.header("X-Content-Type-Options") == "nosniff")
        #expect(response.header("Referrer-Policy") == "same-origin")
        #expect(response.header("Cache-Control") == "no-store")
        // One of each: the program sets them, nginx does not add a second copy.
        #expect(response.headers("Content-Security-Policy").count == 1)
        #expect(response.headers("X-Frame-Options").count == 1)
        #expect(response.csrfToken?.count == 43)
        #expect(response.header("Set-Cookie")?.contains("HttpOnly") == true)
        #expect(!response.text.contains("<script>") && !response.text.contains("style="))
    }

    @Test func staticFileIsServedByNginxWithoutReachingTheProgram() throws {
        let stack = try Stack.start()
        defer { stack.stop() }
        let css = try stack.http.request("GET", "/css/vestibule.css")
        #expect(css.status == 200)
        #expect(css.header("Content-Type") == "text/css")
        #expect(css.header("Cache-Control") == "max-age=3600")
        #expect(css.header("X-Content-Type-Options") == "nosniff")
        #expect(css.header("X-Request-ID") == nil)  // the program sets it on everything it answers
        _ = try stack.http.request("GET", "/api/status")  // a request that does reach it, for contrast
        #expect(stack.programLog.contains("GET /api/status 200"))
        #expect(!stack.programLog.contains("vestibule.css"))
        // And with the program gone, nginx still serves it.
        try stack.signalProgram(SIGTERM)
        #expect(try stack.http.request("GET", "/css/vestibule.css").status == 200)
    }

    @Test func postWithoutCSRFTokenIs403AndWithItSucceeds() throws {
        let stack = try Stack.start()
        defer { stack.stop() }
        let jar = CookieJar()
        let page = try stack.http.request("GET", "/login")
        jar.absorb(page)
        let token = try #require(page.csrfToken)

        let refused = try stack.http.form("/logout", "", headers: jar.header)
        #expect(refused.status == 403)
        #expect(refused.text.contains("security token"))
        let wrong = try stack.http.form("/logout", "_csrf=AAAA", headers: jar.header)
        #expect(wrong.status == 403)

        let accepted = try stack.http.form("/logout", "_csrf=\(token)", headers: jar.header)
        #expect(accepted.status == 303)
        #expect(accepted.header("Location") == "/")
        #expect(accepted.header("Set-Cookie")?.contains("Max-Age=0") == true)
    }

    @Test func twoMebibyteBodyIs413() throws {
        let stack = try Stack.start()
        defer { stack.stop() }
        let body = [UInt8](repeating: 0x61, count: 2 << 20)
        let page = try stack.http.request("POST", "/logout", headers: ["Content-Type": "application/x-www-form-urlencoded"], body: body)
        #expect(page.status == 413)
        #expect(page.header("Content-Type") == "text/html; charset=utf-8")
        #expect(page.text.contains("Too large"))
        let api = try stack.http.request("POST", "/api/status", headers: ["Content-Type": "application/json"], body: body)
        #expect(api.status == 413)
        #expect(api.header("Content-Type") == "application/json")
        #expect(try api.json()["error"] as? Bool == true)
    }

    @Test func unknownPathIsThe404Page() throws {
        let stack = try Stack.start()
        defer { stack.stop() }
        let page = try stack.http.request("GET", "/no/such/page")
        #expect(page.status == 404)
        #expect(page.text.contains("Page not found"))
        #expect(page.text.contains("<link rel=\"stylesheet\" href=\"/css/vestibule.css\">"))
        let api = try stack.http.request("GET", "/api/v1/no-such-thing")
        #expect(api.status == 404)
        #expect(api.header("Content-Type") == "application/json")
    }

    @Test func statusReportsOK() throws {
        let stack = try Stack.start()
        defer { stack.stop() }
        let response = try stack.http.request("GET", "/api/status")
        #expect(response.status == 200)
        let body = try response.json()
        #expect(body["status"] as? String == "ok")
        #expect(body["database"] as? String == "ok")
        #expect(body["version"] as? String != nil)
    }

    /// SIGTERM while a request runs: it finishes, new connections are refused, the process exits 0.
    @Test func sigtermLetsTheSlowRequestFinishThenExitsZero() throws {
        let stack = try Stack.start()
        defer { stack.stop() }
        let client = stack.http
        let result = ResultBox()
        let slow = Thread {
            result.set(Result { try client.request("GET", "/sandbox/delay?ms=2000") })
        }
        slow.start()
        let deadline = Date().addingTimeInterval(5)
        while !stack.programLog.contains("sleeping") && Date() < deadline { usleep(10_000) }
        usleep(200_000)
        let started = Date()
        let status = try stack.signalProgram(SIGTERM, timeout: 10)
        #expect(status == 0)
        #expect(Date().timeIntervalSince(started) < 10)
        let response = try result.wait().get()
        #expect(response.status == 200)
        #expect(response.text.contains("\"slept_ms\":2000"))
        #expect(stack.programLog.contains("stopped"))
        #expect(try stack.http.request("GET", "/api/status").status == 502)
    }

    /// What nginx refuses by itself (a request it cannot parse, a URI too long) gets the site's
    /// error pages with the security headers, as everything else does.
    @Test func nginxsOwnRefusalsCarryTheSecurityHeaders() throws {
        let stack = try Stack.start()
        defer { stack.stop() }
        let badHost = try stack.http.raw(Array("GET / HTTP/1.1\r\nHost: bad/host\r\nConnection: close\r\n\r\n".utf8))
        let tooLong = try stack.http.request("GET", "/" + String(repeating: "a", count: 9000))
        let apiTooLong = try stack.http.request("GET", "/api/" + String(repeating: "a", count: 9000))
        #expect(badHost.status == 400 && tooLong.status == 414 && apiTooLong.status == 414)
        for response in [badHost, tooLong, apiTooLong] {
            #expect(response.header("Content-Security-Policy")?.contains("default-src 'self'") == true)
            #expect(response.header("X-Frame-Options") == "DENY")
            #expect(response.header("X-Content-Type-Options") == "nosniff")
        }
        #expect(tooLong.text.contains("longer than this site accepts"))
        // A request line too long is refused before nginx knows its location: the HTML page, for /api too.
        #expect(apiTooLong.text.contains("longer than this site accepts"))
    }

    /// Connections to the program's socket that send nothing hold no worker for long: with all
    /// four workers held by silent peers, a request through nginx is still answered (after the
    /// 5-second read timeout frees them).
    @Test func silentConnectionsToTheSocketDoNotStopTheProgram() throws {
        let stack = try Stack.start()
        defer { stack.stop() }
        let silent = try (0..<4).map { _ in try Self.connectUnix(stack.socketPath) }
        defer { silent.forEach { close($0) } }
        #expect(try stack.http.request("GET", "/api/status", timeout: 20).status == 200)
    }

    static func connectUnix(_ path: String) throws -> Int32 {
        let fd = socket(AF_UNIX, Int32(SOCK_STREAM.rawValue), 0)
        var address = sockaddr_un()
        address.sun_family = sa_family_t(AF_UNIX)
        withUnsafeMutableBytes(of: &address.sun_path) { $0.copyBytes(from: path.utf8) }
        let connected = withUnsafePointer(to: &address) {
            $0.withMemoryRebound(to: sockaddr.self, capacity: 1) { connect(fd, $0, socklen_t(MemoryLayout<sockaddr_un>.size)) }
        }
        guard connected == 0 else { throw TestFailure("cannot connect to \(path)") }
        return fd
    }

    /// kill -9, restart: every row whose response was received is still there.
    @Test(arguments: Backend.allCases) func committedRowsSurviveKillNine(_ backend: Backend) throws {
        let stack = try Stack.start(backend: backend)
        defer { stack.stop() }
        var browsers: [Browser] = []
        // 9 sign-ins started (a session and a challenge each; 18 requests, within the shipped
        // /login limit of 10 r/s, burst 20).
        for _ in 0..<9 {
            let browser = Browser(stack)
            _ = try browser.get("/login/trezor")
            _ = try browser.trezorChallenge()
            browsers.append(browser)
        }
        #expect(try stack.signalProgram(SIGKILL) == -SIGKILL)
        try stack.startProgram()

        #expect(try stack.count("sessions") == 9)
        #expect(try stack.count("trezor_challenges") == 9)
        if backend == .sqlite { #expect(try stack.scalar("PRAGMA integrity_check", as: String.self) == "ok") }
        // The sessions still work: their challenges are still theirs.
        for browser in browsers.prefix(2) {
            #expect(try browser.trezorChallenge().hidden.count == 64)
            #expect(browser.jar.cookies["vestibule_session"] != nil)
        }
    }

    /// Visitors who only look at the sign-in page leave no row behind (they once made 666 of 676):
    /// their CSRF token comes from a signed cookie; a session is made when a sign-in starts.
    @Test func lookingAtTheSignInPageWritesNothing() throws {
        let stack = try Stack.start()
        defer { stack.stop() }
        for _ in 0..<12 {
            let page = try stack.http.request("GET", "/login")
            #expect(page.status == 200 && page.csrfToken != nil)
            #expect(page.header("Set-Cookie")?.hasPrefix("vestibule_csrf=") == true)
        }
        #expect(try stack.count("sessions") == 0)
        let browser = Browser(stack)
        _ = try browser.get("/login/trezor")
        _ = try browser.trezorChallenge()
        #expect(try stack.count("sessions") == 1)
    }

    /// A client that hangs up mid-request costs only its own response.
    @Test func clientGoingAwayCostsOnlyItsResponse() throws {
        let stack = try Stack.start()
        defer { stack.stop() }
        for _ in 0..<8 {
            let fd = try stack.http.connect()
            try stack.http.send(fd, Array("GET /sandbox/delay?ms=300 HTTP/1.1\r\nHost: x\r\n\r\n".utf8))
            usleep(50_000)
            close(fd)
        }
        usleep(500_000)
        #expect(try stack.http.request("GET", "/api/status").status == 200)
        #expect(stack.program?.isRunning == true)
    }

    @Test func parallelRequestsAllSucceed() throws {
        let stack = try Stack.start()
        defer { stack.stop() }
        let client = stack.http
        let statuses = StatusCounter()
        // Paths outside the /login rate limit, which would (rightly) refuse some of these.
        DispatchQueue.concurrentPerform(iterations: 96) { index in
            let path = index % 3 == 0 ? "/" : "/api/status"
            statuses.add((try? client.request("GET", path).status) ?? -1)
        }
        #expect(statuses.counts == [200: 96])
    }

    @Test func nginxAnswersForAStoppedProgramInTheRightFormat() throws {
        let stack = try Stack.start()
        defer { stack.stop() }
        try stack.signalProgram(SIGTERM)
        let page = try stack.http.request("GET", "/login")
        #expect(page.status == 502)
        #expect(page.text.contains("Temporarily unavailable"))
        let api = try stack.http.request("GET", "/api/status")
        #expect(api.status == 502)
        #expect(try api.json()["error"] as? Bool == true)
    }

    @Test func loginIsRateLimitedByNginx() throws {
        let stack = try Stack.start()
        defer { stack.stop() }
        let client = stack.http
        let statuses = StatusCounter()
        DispatchQueue.concurrentPerform(iterations: 60) { _ in
            statuses.add((try? client.request("GET", "/login").status) ?? -1)
        }
        #expect((statuses.counts[429] ?? 0) > 0)
        #expect((statuses.counts[200] ?? 0) >= 20)
        let limited = try stack.http.request("GET", "/login")
        if limited.status == 429 {
            #expect(limited.header("Retry-After") == "1")
        }
    }
}

final class ResultBox: @unchecked Sendable {
    private let condition = NSCondition()
    private var value: Result<HTTPClient.Response, any Error>?

    func set(_ result: Result<HTTPClient.Response, any Error>) {
        condition.lock()
        value = result
        condition.signal()
        condition.unlock()
    }

    func wait() -> Result<HTTPClient.Response, any Error> {
        condition.lock()
        defer { condition.unlock() }
        while value == nil { condition.wait() }
        return value!
    }
}

final class StatusCounter: @unchecked Sendable {
    private let lock = NSLock()
    private(set) var counts: [Int: Int] = [:]

    func add(_ status: Int) {
        lock.lock()
        counts[status, default: 0] += 1
        lock.unlock()
    }
}
