import ArgumentParser
import FastCGI
import Foundation
import Logging

/// `make run`: nginx with the shipped config and the program, in the foreground, sandbox on.
struct DevCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "dev",
        abstract: "Run the whole stack locally: nginx (shipped config) in front of the program, sandbox on.",
        discussion: """
            nginx listens on 127.0.0.1:$VESTIBULE_HTTP_PORT (default 8080) and runs as the current user, \
            with its config, pid and logs under var/nginx/. Ctrl-C or SIGTERM stops both.
            """)

    @OptionGroup var options: ConfigOptions
    @Option(help: "The folder of shipped nginx files.") var nginxDirectory = "nginx"
    @Option(help: "The folder nginx serves static files from.") var publicDirectory = "public"

    func run() async throws {
        let signals = ShutdownSignals()
        var configuration = try await options.load(developmentDefaults: true)
        if case .inheritedStandardInput = configuration.listen {
            configuration.listen = .unixSocket(path: VestibuleConfiguration.defaultSocketPath, mode: 0o660)
        }
        if configuration.publicURL == PublicURL(string: "http://127.0.0.1:8080"), configuration.httpPort != 8080 {
            configuration.publicURL = PublicURL(string: "http://127.0.0.1:\(configuration.httpPort)")!
        }
        guard case .unixSocket(let socketPath, _) = configuration.listen else {
            throw ValidationError("vestibule dev runs nginx and the program on a unix socket: set socket to a path, not \(configuration.listen)")
        }
        let logger = LogSetup.bootstrap(level: configuration.logLevel)
        let application = try await buildApplication(configuration, logger: logger)
        let run = ServerRun(application: application, logger: logger)
        let server = try run.start()

        var site = NginxSite(
            sourceDirectory: Self.absolute(nginxDirectory), publicDirectory: Self.absolute(publicDirectory),
            socketPath: Self.absolute(socketPath), runtimeDirectory: Self.absolute("var/nginx"),
            port: configuration.httpPort)
        site.sandboxSocketPath = Self.absolute(configuration.sandboxSocket)
        let nginx: NginxProcess
        do {
            try site.render()
            nginx = try NginxProcess.start(site) { signals.trigger(SIGCHLD) }
        } catch {
            run.stop(server)
            throw error
        }
        // Written at once (print would buffer it when the output is a file or a pipe).
        let announcement = "Vestibule is running at http://127.0.0.1:\(configuration.httpPort)/ (sandbox \(configuration.sandbox ? "on" : "off")). Ctrl-C stops it.\n"
        FileHandle.standardOutput.write(Data(announcement.utf8))
        let signal = await signals.wait()
        if signal == SIGCHLD { logger.error("nginx exited; see \(site.errorLogPath)") }
        nginx.stop()
        run.stop(server)
        if signal == SIGCHLD { throw ExitCode.failure }
    }

    static func absolute(_ path: String) -> String {
        path.hasPrefix("/") ? path : FileManager.default.currentDirectoryPath + "/" + path
    }
}
