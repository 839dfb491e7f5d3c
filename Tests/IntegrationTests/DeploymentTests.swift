import Foundation
import Testing
import VestibuleApp

/// The ways integrators run it: under spawn-fcgi (socket inherited on fd 0) and the TLS example.
@Suite(.serialized) struct DeploymentTests {
    /// spawn-fcgi makes the socket and execs the program with it on fd 0 (`VESTIBULE_SOCKET=fd:0`).
    @Test func servesOnASocketInheritedFromSpawnFcgi() throws {
        let stack = try Stack(environment: ["VESTIBULE_SOCKET": "fd:0"])
        defer { stack.stop() }
        try stack.startProgram(
            executable: "/usr/bin/spawn-fcgi",
            arguments: ["-n", "-s", stack.socketPath, "-M", "0600", "--", Stack.binary, "serve"])
        try stack.startNginx()
        #expect(stack.programLog.contains("fd 0 (inherited)"))
        #expect(try stack.http.request("GET", "/api/status").status == 200)
        #expect(try stack.http.request("GET", "/login").status == 200)
        // The socket belongs to whoever made it: the program leaves it in place on exit.
        #expect(try stack.signalProgram(SIGTERM) == 0)
        #expect(FileManager.default.fileExists(atPath: stack.socketPath))
    }

    /// A second instance on the same socket path refuses to start (and does not take the socket
    /// from the first); the first removes its socket file when it stops, and only its own.
    @Test func aLiveSocketIsNotTakenOver() throws {
        let stack = try Stack.start()
        defer { stack.stop() }
        let second = Process()
        second.executableURL = URL(fileURLWithPath: Stack.binary)
        second.arguments = ["serve"]
        second.environment = stack.programEnvironment
        let output = Pipe()
        second.standardError = output
        second.standardOutput = output
        try second.run()
        second.waitUntilExit()
        #expect(second.terminationStatus != 0)
        #expect(String(decoding: output.fileHandleForReading.readDataToEndOfFile(), as: UTF8.self).contains("another process is listening"))
        #expect(try stack.http.request("GET", "/api/status").status == 200)
        #expect(try stack.signalProgram(SIGTERM) == 0)
        #expect(!FileManager.default.fileExists(atPath: stack.socketPath))
    }

    /// nginx/vestibule-tls.conf with a self-signed certificate: https works, HSTS is sent, the
    /// session cookie is Secure with the __Host- prefix, and plain http redirects.
    @Test func tlsExampleServesHTTPSWithHSTSAndSecureCookies() throws {
        let redirectPort = Stack.freePort()
        let stack = try Stack()
        stack.extraEnvironment["VESTIBULE_PUBLIC_URL"] = "https://127.0.0.1:\(stack.port)"
        defer { stack.stop() }
        let certificate = stack.directory + "/cert.pem", key = stack.directory + "/key.pem"
        try run("/usr/bin/openssl", ["req", "-x509", "-newkey", "rsa:2048", "-nodes", "-days", "1", "-subj", "/CN=127.0.0.1",
                                     "-keyout", key, "-out", certificate])
        try stack.startProgram()
        try stack.startNginx(tls: NginxSite.TLS(certificate: certificate, key: key, redirectPort: redirectPort))

        let status = try curl(["https://127.0.0.1:\(stack.port)/api/status"])
        #expect(status.contains("HTTP/2 200"))
        #expect(status.lowercased().contains("strict-transport-security: max-age=31536000"))
        let css = try curl(["https://127.0.0.1:\(stack.port)/css/vestibule.css"])
        #expect(css.lowercased().contains("strict-transport-security: max-age=31536000"))
        // A visitor's CSRF cookie, and the session a sign-in starts: both Secure, with __Host-.
        let login = try curl(["https://127.0.0.1:\(stack.port)/login"], body: true)
        #expect(login.contains("set-cookie: __Host-vestibule-csrf="))
        #expect(login.contains("; Secure; HttpOnly; SameSite=Lax"))
        let csrfCookie = try #require(login.components(separatedBy: "set-cookie: ").dropFirst().first?.components(separatedBy: ";").first)
        let token = try #require(login.components(separatedBy: "<meta name=\"csrf-token\" content=\"").dropFirst().first?.components(separatedBy: "\"").first)
        let challenge = try curl([
            "-X", "POST", "-H", "Cookie: \(csrfCookie)", "-H", "X-CSRF-Token: \(token)", "-H", "Content-Type: application/json",
            "--data", "{}", "https://127.0.0.1:\(stack.port)/login/trezor/challenge",
        ])
        #expect(challenge.contains("HTTP/2 200"))
        #expect(challenge.contains("set-cookie: __Host-vestibule="))
        #expect(challenge.contains("; Secure; HttpOnly; SameSite=Lax"))
        let redirect = try curl(["http://127.0.0.1:\(redirectPort)/login?next=%2Faccount"])
        #expect(redirect.contains("301"))
        #expect(redirect.contains("Location: https://127.0.0.1/login?next=%2Faccount"))
        // Plain http has no HSTS (the map leaves it empty).
        #expect(!(try stack.http.request("GET", "/css/vestibule.css").headers.contains { $0.name.lowercased() == "strict-transport-security" }))
    }

    /// `vestibule dev` in the stack's folder, its output in a file; waits for its announcement.
    func startDev(_ stack: Stack) throws -> (process: Process, output: () -> String) {
        var environment = stack.programEnvironment
        environment["VESTIBULE_HTTP_PORT"] = String(stack.port)
        let outputPath = stack.directory + "/dev.out"
        if !FileManager.default.fileExists(atPath: outputPath) { _ = FileManager.default.createFile(atPath: outputPath, contents: nil) }
        let output = try FileHandle(forWritingTo: URL(fileURLWithPath: outputPath))
        let start = output.seekToEndOfFile()
        let dev = Process()
        dev.executableURL = URL(fileURLWithPath: Stack.binary)
        dev.arguments = ["dev", "--nginx-directory", Stack.repositoryRoot + "/nginx", "--public-directory", Stack.repositoryRoot + "/public"]
        dev.environment = environment
        dev.currentDirectoryURL = URL(fileURLWithPath: stack.directory)
        dev.standardOutput = output
        dev.standardError = output
        dev.standardInput = FileHandle.nullDevice
        try dev.run()
        let said = { () -> String in
            let all = (try? String(contentsOfFile: outputPath, encoding: .utf8)) ?? ""
            return String(decoding: Array(all.utf8).dropFirst(Int(start)), as: UTF8.self)
        }
        let announcement = "Vestibule is running at http://127.0.0.1:\(stack.port)/"
        let deadline = Date().addingTimeInterval(30)
        while dev.isRunning, !said().contains(announcement), Date() < deadline { usleep(20_000) }
        #expect(said().contains(announcement), "output so far:\n\(said())")
        return (dev, said)
    }

    func nginxPID(_ stack: Stack) throws -> Int32 {
        try #require(Int32(String(contentsOfFile: stack.directory + "/var/nginx/nginx.pid", encoding: .utf8)
            .trimmingCharacters(in: .whitespacesAndNewlines)))
    }

    /// `kill -9` of `vestibule dev` takes its nginx with it; the next start finds the stale pid
    /// file, and serves again. An nginx still running on the site's config (an orphan) is stopped
    /// by the next start, which then announces only once its own nginx reaches the program.
    @Test func devStackSurvivesKillNineAndOrphans() throws {
        let stack = try Stack()
        defer { stack.stop() }
        let first = try startDev(stack)
        let firstNginx = try nginxPID(stack)
        kill(first.process.processIdentifier, SIGKILL)
        first.process.waitUntilExit()
        let gone = Date().addingTimeInterval(10)
        while kill(firstNginx, 0) == 0, Date() < gone { usleep(20_000) }
        #expect(kill(firstNginx, 0) != 0, "nginx outlived vestibule dev")

        let second = try startDev(stack)
        #expect(try stack.http.request("GET", "/api/status").status == 200)
        kill(second.process.processIdentifier, SIGTERM)
        second.process.waitUntilExit()

        // An orphan: nginx on the rendered config, started by someone else (no parent to die with).
        let orphan = Process()
        orphan.executableURL = URL(fileURLWithPath: NginxSite.executable)
        let runtime = stack.directory + "/var/nginx"
        orphan.arguments = ["-p", runtime, "-c", runtime + "/conf/nginx.conf", "-e", runtime + "/error.log", "-g", "daemon off;"]
        orphan.standardInput = FileHandle.nullDevice
        try orphan.run()
        let listening = Date().addingTimeInterval(10)
        while (try? nginxPID(stack)) != orphan.processIdentifier, Date() < listening { usleep(20_000) }
        let third = try startDev(stack)
        defer { if third.process.isRunning { kill(third.process.processIdentifier, SIGTERM); third.process.waitUntilExit() } }
        #expect(third.output().contains("stopping nginx (pid \(orphan.processIdentifier)) left running by an earlier start"))
        orphan.waitUntilExit()
        #expect(try nginxPID(stack) != orphan.processIdentifier)
        #expect(try stack.http.request("GET", "/api/status").status == 200)
    }

    /// `make run` is `vestibule dev`: it starts nginx and the program, says where it runs as soon
    /// as it does (also when its output goes to a file or a pipe, as under a supervisor), and
    /// SIGTERM stops both and exits 0.
    @Test func devStackStartsAnnouncesAndStopsBoth() throws {
        let stack = try Stack()
        defer { stack.stop() }
        // startDev waits for the announcement in the output file, and records it as expected.
        let dev = try startDev(stack).process
        defer { if dev.isRunning { kill(dev.processIdentifier, SIGKILL) } }
        #expect(try stack.http.request("GET", "/api/status").status == 200)
        #expect(try stack.http.request("GET", "/css/vestibule.css").status == 200)
        // Still up once the thread that started nginx would have retired, had it been a Dispatch
        // worker (parent-death signals follow the thread): nginx lived 5 s.
        sleep(8)
        #expect(dev.isRunning)
        #expect(try stack.http.request("GET", "/api/status").status == 200)
        let nginxPID = try #require(Int32(String(contentsOfFile: stack.directory + "/var/nginx/nginx.pid", encoding: .utf8)
            .trimmingCharacters(in: .whitespacesAndNewlines)))

        kill(dev.processIdentifier, SIGTERM)
        let stopBy = Date().addingTimeInterval(15)
        while dev.isRunning, Date() < stopBy { usleep(10_000) }
        #expect(!dev.isRunning)
        #expect(dev.terminationReason == .exit && dev.terminationStatus == 0)
        #expect(kill(nginxPID, 0) != 0, "nginx is still running")
        #expect(throws: (any Error).self) { try stack.http.request("GET", "/api/status") }
    }

    /// The answer's head (and its body, when asked) from curl.
    private func curl(_ arguments: [String], body: Bool = false) throws -> String {
        try run("/usr/bin/curl", ["-sk", "-D", "-"] + (body ? [] : ["-o", "/dev/null"]) + ["--max-time", "10"] + arguments)
    }

    @discardableResult
    private func run(_ executable: String, _ arguments: [String]) throws -> String {
        let process = Process()
        process.executableURL = URL(fileURLWithPath: executable)
        process.arguments = arguments
        let output = Pipe()
        process.standardOutput = output
        process.standardError = FileHandle.nullDevice
        try process.run()
        let data = output.fileHandleForReading.readDataToEndOfFile()
        process.waitUntilExit()
        return String(decoding: data, as: UTF8.self)
    }
}
