import ArgumentParser
import FastCGI
import Foundation
import HTTPTypes
import Logging
import VestibuleApp

/// The application's own cost per request, in process: no nginx, no socket, no FastCGI framing.
struct Respond: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "respond", abstract: "Time the application answering one path in a loop, in process.")

    @Option var path = "/api/status"
    @Option var iterations = 20000
    @Option var threads = 1
    @Option(help: "A Cookie header to send (a returning visitor).") var cookie: String?
    @Flag(help: "Time POST /login/trezor/verify instead: each call a complete Trezor sign-in.") var verify = false
    @Flag(help: "Write the request log line (to /dev/null), as the server does at level info.") var log = false

    func run() async throws {
        let directory = NSTemporaryDirectory() + "vestibule-respond-\(UUID().uuidString)"
        defer { try? FileManager.default.removeItem(atPath: directory) }
        let configuration = try await VestibuleConfiguration.load(environment: [
            "VESTIBULE_DATABASE": directory + "/v.sqlite", "VESTIBULE_SECRET_KEY_FILE": directory + "/secret.key",
            "VESTIBULE_SOCKET": directory + "/v.sock", "VESTIBULE_THREADS": String(threads),
        ])
        let devNull = open("/dev/null", O_WRONLY)
        var logger = Logger(label: "bench") { LineLogHandler(label: $0, level: log ? .info : .warning, fileDescriptor: devNull) }
        logger.logLevel = log ? .info : .warning
        let application = try await buildApplication(configuration, logger: logger)
        if verify {
            try timeVerify(application, configuration: configuration, directory: directory)
            return
        }
        var fields = HTTPFields()
        if let cookie { fields[.cookie] = cookie }
        let request = FastCGIRequest(
            head: HTTPRequest(method: .get, scheme: "http", authority: "127.0.0.1", path: path, headerFields: fields),
            body: .bytes([]), remoteAddress: "127.0.0.1", requestID: String(repeating: "a", count: 32))
        let status = application.web.respond(to: request).head.status.code
        let start = ContinuousClock.now
        DispatchQueue.concurrentPerform(iterations: threads) { _ in
            for _ in 0..<(iterations / threads) { _ = application.web.respond(to: request) }
        }
        let elapsed = ContinuousClock.now - start
        let seconds = elapsed / .seconds(1)
        print("\(path) → \(status): \(Int(Double(iterations) / seconds)) per second, \(String(format: "%.1f", seconds / Double(iterations) * 1e6)) µs each (\(threads) thread(s))")
    }

    /// Prepares `iterations` sign-ins with `verify-fixtures`' code, then answers them in one thread.
    private func timeVerify(_ application: BuiltApplication, configuration: VestibuleConfiguration, directory: String) throws {
        let fixtures = directory + "/verify.tsv"
        let generator = try VerifyFixtures.parse(["--count", String(iterations), "--output", fixtures])
        try generator.prepare(configuration: configuration)
        let requests = try String(contentsOfFile: fixtures, encoding: .utf8).split(separator: "\n").map { line in
            let parts = line.split(separator: "\t", maxSplits: 2).map(String.init)
            let fields: HTTPFields = [
                .cookie: "vestibule_session=\(parts[0])", HTTPField.Name("X-CSRF-Token")!: parts[1],
                .contentType: "application/json",
            ]
            return FastCGIRequest(
                head: HTTPRequest(method: .post, scheme: "http", authority: "127.0.0.1", path: "/login/trezor/verify", headerFields: fields),
                body: .bytes(Array(parts[2].utf8)), remoteAddress: "127.0.0.1")
        }
        var statuses: [Int: Int] = [:]
        let start = ContinuousClock.now
        for request in requests { statuses[application.web.respond(to: request).head.status.code, default: 0] += 1 }
        let elapsed = ContinuousClock.now - start
        let seconds = elapsed / .seconds(1)
        print("POST /login/trezor/verify → \(statuses): \(Int(Double(requests.count) / seconds)) per second, \(String(format: "%.1f", seconds / Double(requests.count) * 1e6)) µs each (1 thread)")
    }
}
