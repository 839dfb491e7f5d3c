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

    func run() async throws {
        let directory = NSTemporaryDirectory() + "vestibule-respond-\(UUID().uuidString)"
        defer { try? FileManager.default.removeItem(atPath: directory) }
        let configuration = try await VestibuleConfiguration.load(environment: [
            "VESTIBULE_DATABASE": directory + "/v.sqlite", "VESTIBULE_SECRET_KEY_FILE": directory + "/secret.key",
            "VESTIBULE_SOCKET": directory + "/v.sock", "VESTIBULE_THREADS": String(threads),
        ])
        var logger = Logger(label: "bench")
        logger.logLevel = .warning
        let application = try await buildApplication(configuration, logger: logger)
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
        let seconds = Double(elapsed.components.seconds) + Double(elapsed.components.attoseconds) / 1e18
        print("\(path) → \(status): \(Int(Double(iterations) / seconds)) per second, \(String(format: "%.1f", seconds / Double(iterations) * 1e6)) µs each (\(threads) thread(s))")
    }
}
