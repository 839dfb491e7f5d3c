import ArgumentParser
import Foundation

struct ServeCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "serve",
        abstract: "Serve FastCGI on the configured unix socket, or on the socket inherited on fd 0.",
        discussion: "SIGTERM or SIGINT: stop accepting, finish the requests in flight, close the database, exit 0.")

    @OptionGroup var options: ConfigOptions

    func run() async throws {
        let signals = ShutdownSignals()
        let configuration = try await options.load()
        let logger = LogSetup.bootstrap(level: configuration.logLevel)
        let application = try await buildApplication(configuration, logger: logger)
        let run = ServerRun(application: application, logger: logger)
        let server = try run.start()
        let signal = await signals.wait()
        logger.info("stopping", metadata: ["signal": "\(signal)"])
        run.stop(server)
    }
}
