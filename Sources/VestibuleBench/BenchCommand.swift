import ArgumentParser
import Foundation
import VestibuleApp

@main
struct BenchCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "vestibule-bench",
        abstract: "Helpers for scripts/bench and scripts/soak (not part of the shipped program).",
        subcommands: [NginxConfig.self, Respond.self, Verifier.self, VerifyFixtures.self, FastCGIFloor.self, Soak.self])
}

/// Renders the shipped nginx config for the benchmark: its paths, rate limits lifted, and the
/// baseline's server included. Writes `<runtime>/conf/nginx.conf`.
struct NginxConfig: ParsableCommand {
    static let configuration = CommandConfiguration(commandName: "nginx-config")

    @Option var port: Int
    @Option var socket: String = ""
    @Option var runtimeDirectory: String
    @Option var nginxDirectory = "nginx"
    @Option var publicDirectory = "public"
    @Option var include: [String] = []
    @Option(help: "Replace every limit_req rate (e.g. 1000000r/s).") var rate: String?
    @Option(help: "A node (HOST:PORT) of the cluster config; repeat for several. Without: the socket.") var clusterNode: [String] = []

    func run() throws {
        var site = NginxSite(
            sourceDirectory: absolute(nginxDirectory), publicDirectory: absolute(publicDirectory),
            socketPath: absolute(socket), runtimeDirectory: absolute(runtimeDirectory), port: port)
        site.workerProcesses = "1"
        site.extraIncludes = include.map(absolute)
        site.rateOverride = rate
        if !clusterNode.isEmpty { site.clusterNodes = clusterNode }
        print(try site.render())
    }

    private func absolute(_ path: String) -> String {
        path.hasPrefix("/") ? path : FileManager.default.currentDirectoryPath + "/" + path
    }
}
