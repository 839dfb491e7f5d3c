import FastCGI
import Foundation
import Logging

/// Runs the FastCGI server until a shutdown signal, then stops it the graceful way: stop
/// accepting, let accepted requests finish (up to `drainTimeout`), close storage.
struct ServerRun {
    let application: BuiltApplication
    let logger: Logger
    var drainTimeout: Duration = .seconds(9)

    func start() throws -> FastCGIServer {
        let configuration = application.configuration
        let server = FastCGIServer(
            configuration: .init(
                address: configuration.listen, threads: configuration.threads, maxBodySize: configuration.maxBodySize,
                allowedPeers: configuration.allowedPeers),
            responder: application.web, logger: logger)
        try server.start()
        return server
    }

    func stop(_ server: FastCGIServer) {
        server.stop()
        if !server.waitUntilStopped(timeout: drainTimeout) {
            logger.warning("requests still running after the drain timeout; exiting anyway")
        }
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
