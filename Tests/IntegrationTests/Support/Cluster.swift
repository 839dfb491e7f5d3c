import Foundation
import TestSupport
import VestibuleApp

/// Several `vestibule serve` nodes on one PostgreSQL database, each on its own TCP port, with
/// the same secret key file, behind the shipped cluster config (`upstream-cluster.conf`). Each
/// node also gets an nginx of its own (the same config with one node), so a test can choose the
/// node a request reaches.
final class Cluster: @unchecked Sendable {
    let directory: String
    let database: String
    let nodePorts: [Int]
    /// The nginx over every node, and one nginx per node.
    let clusterPort: Int
    let nodeHTTPPorts: [Int]
    private var nodes: [ProgramProcess] = []
    private var nginxes: [NginxProcess] = []

    init(nodes count: Int = 2) throws {
        directory = TemporaryDirectory(prefix: "vestibule-cl-").path
        database = try PostgresServer.shared().makeDatabase()
        nodePorts = (0..<count).map { _ in PostgresServer.freePort() }
        clusterPort = PostgresServer.freePort()
        nodeHTTPPorts = (0..<count).map { _ in PostgresServer.freePort() }
        nodes = (0..<count).map { ProgramProcess(logPath: "\(directory)/node\($0).log") }
    }

    static func start(nodes: Int = 2) throws -> Cluster {
        let cluster = try Cluster(nodes: nodes)
        do {
            for index in 0..<nodes { try cluster.startNode(index) }
            try cluster.startNginx()
        } catch {
            cluster.stop()
            throw error
        }
        return cluster
    }

    var http: HTTPClient { HTTPClient(port: clusterPort) }
    func http(node index: Int) -> HTTPClient { HTTPClient(port: nodeHTTPPorts[index]) }
    func log(node index: Int) -> String { nodes[index].log }

    func environment(node index: Int) -> [String: String] {
        [
            "PATH": ProcessInfo.processInfo.environment["PATH"] ?? "/usr/bin:/bin",
            "VESTIBULE_DATABASE": database,
            "VESTIBULE_SOCKET": "127.0.0.1:\(nodePorts[index])",
            "VESTIBULE_SECRET_KEY_FILE": directory + "/secret.key",
            "VESTIBULE_TEMPLATES": Stack.repositoryRoot + "/templates",
            "VESTIBULE_PUBLIC_URL": "http://127.0.0.1:\(clusterPort)",
            "VESTIBULE_SANDBOX": "true",
            // Each node's emulators on a socket of their own (the nodes share a folder here).
            "VESTIBULE_SANDBOX_SOCKET": directory + "/sandbox-\(index).sock",
            "VESTIBULE_THREADS": "4",
            "VESTIBULE_OUTBOUND_ALLOW_PRIVATE_NETWORKS": "true",
        ]
    }

    func startNode(_ index: Int) throws {
        try nodes[index].start(executable: Stack.binary, arguments: ["serve"], environment: environment(node: index), directory: directory)
    }

    @discardableResult
    func signal(node index: Int, _ signal: Int32) throws -> Int32 {
        try nodes[index].signal(signal)
    }

    func isRunning(node index: Int) -> Bool { nodes[index].isRunning }

    private func startNginx() throws {
        let all = nodePorts.map { "127.0.0.1:\($0)" }
        let sites = [(clusterPort, all, "nginx")] + nodePorts.indices.map { (nodeHTTPPorts[$0], [all[$0]], "nginx\($0)") }
        for (port, upstream, folder) in sites {
            var site = NginxSite(
                sourceDirectory: Stack.repositoryRoot + "/nginx", publicDirectory: Stack.repositoryRoot + "/public",
                socketPath: "", runtimeDirectory: "\(directory)/\(folder)", port: port)
            site.workerProcesses = "1"
            site.clusterNodes = upstream
            try site.render()
            nginxes.append(try NginxProcess.start(site))
        }
    }

    /// The program's command line on the cluster's database and key.
    func cli(_ arguments: [String]) throws -> CommandResult {
        try runVestibule(arguments, environment: environment(node: 0))
    }

    func stop() {
        nginxes.forEach { $0.stop() }
        nginxes = []
        nodes.forEach { $0.stop() }
        try? FileManager.default.removeItem(atPath: directory)
    }

    deinit { stop() }
}
