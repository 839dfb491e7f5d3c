import FastCGI
import Foundation
import Logging

/// Runs the FastCGI server until a shutdown signal, then stops it the graceful way: stop
/// accepting, let accepted requests finish (up to `drainTimeout`), close storage.
struct ServerRun {
    let application: BuiltApplication
    let logger: Logger
    var drainTimeout: Duration = .seconds(9)

    /// The program's server and, with the sandbox on, the emulators' own.
    struct Servers {
        let main: FastCGIServer
        let sandbox: FastCGIServer?
    }

    func start() throws -> Servers {
        let configuration = application.configuration
        let server = FastCGIServer(
            configuration: .init(
                address: configuration.listen, threads: configuration.threads, maxBodySize: configuration.maxBodySize,
                allowedPeers: configuration.allowedPeers),
            responder: application.web, logger: logger)
        try server.start()
        guard let sandboxWeb = application.sandboxWeb else { return Servers(main: server, sandbox: nil) }
        // The emulators answer the program's own outbound calls: on workers of their own, so a
        // handler waiting on an emulator never waits for a worker of its own pool.
        let folder = (configuration.sandboxSocket as NSString).deletingLastPathComponent
        if !folder.isEmpty { try FileManager.default.createDirectory(atPath: folder, withIntermediateDirectories: true) }
        let sandbox = FastCGIServer(
            configuration: .init(address: .unixSocket(path: configuration.sandboxSocket, mode: 0o660), threads: 4),
            responder: sandboxWeb, logger: logger)
        do {
            try sandbox.start()
        } catch {
            server.stop()
            _ = server.waitUntilStopped(timeout: drainTimeout)
            throw error
        }
        logger.info("sandbox emulators listening", metadata: ["socket": "\(configuration.sandboxSocket)"])
        return Servers(main: server, sandbox: sandbox)
    }

    func stop(_ servers: Servers) {
        servers.main.stop()
        servers.sandbox?.stop()
        if !servers.main.waitUntilStopped(timeout: drainTimeout) {
            logger.warning("requests still running after the drain timeout; exiting anyway")
        }
        _ = servers.sandbox?.waitUntilStopped(timeout: .seconds(1))
        application.storage.close()
        logger.info("stopped")
    }
}

enum LogSetup {
    /// swift-log to standard error (the journal under systemd), at the configured level. Every
    /// command logs there, so what a command prints on standard output stays machine-readable.
    static func bootstrap(level: Logger.Level) -> Logger {
        LoggingSystem.bootstrap { label in LineLogHandler(label: label, level: level) }
        var logger = Logger(label: "vestibule")
        logger.logLevel = level
        return logger
    }
}
