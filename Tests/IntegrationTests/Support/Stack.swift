import Foundation
import Logging
import StoragePostgres
import StorageSQL
import StorageSQLite
import TestSupport
import VestibuleApp

/// The real stack for one test: `vestibule serve` (the built binary) behind nginx running the
/// shipped config, on a free port, with a temporary socket, secret key and database: an SQLite
/// file, or a fresh database on the test run's PostgreSQL server.
final class Stack: @unchecked Sendable {
    static let repositoryRoot = TestPaths.repositoryRoot

    /// The program under test: $VESTIBULE_BINARY (set by `make test`), else the debug build.
    static var binary: String {
        ProcessInfo.processInfo.environment["VESTIBULE_BINARY"] ?? repositoryRoot + "/.build/debug/vestibule"
    }

    let backend: Backend
    let directory: String
    let port: Int
    let socketPath: String
    /// The `database` setting: the SQLite file's path, or the PostgreSQL URL.
    let database: String
    var extraEnvironment: [String: String]
    private let main: ProgramProcess
    private(set) var nginx: NginxProcess?

    var http: HTTPClient { HTTPClient(port: port) }
    var programLogPath: String { main.logPath }
    var programLog: String { main.log }
    var program: Process? { main.process }
    var secretKeyPath: String { directory + "/secret.key" }

    init(backend: Backend = .sqlite, environment: [String: String] = [:]) throws {
        self.backend = backend
        directory = TemporaryDirectory(prefix: "vestibule-it-").path
        port = PostgresServer.freePort()
        // Unix socket paths are limited to 108 bytes: keep it short.
        socketPath = directory + "/v.sock"
        database = try backend.makeDatabase(in: directory)
        extraEnvironment = environment
        main = ProgramProcess(logPath: directory + "/program.log")
    }

    /// Starts the program and nginx; throws with the logs if either does not come up.
    static func start(backend: Backend = .sqlite, environment: [String: String] = [:]) throws -> Stack {
        let stack = try Stack(backend: backend, environment: environment)
        try stack.startProgram()
        try stack.startNginx()
        return stack
    }

    var programEnvironment: [String: String] {
        var environment = [
            "PATH": ProcessInfo.processInfo.environment["PATH"] ?? "/usr/bin:/bin",
            "VESTIBULE_DATABASE": database,
            "VESTIBULE_SOCKET": socketPath,
            "VESTIBULE_SECRET_KEY_FILE": secretKeyPath,
            "VESTIBULE_TEMPLATES": Self.repositoryRoot + "/templates",
            "VESTIBULE_PUBLIC_URL": "http://127.0.0.1:\(port)",
            "VESTIBULE_SANDBOX": "true",
            "VESTIBULE_THREADS": "4",
        ]
        environment.merge(extraEnvironment) { _, new in new }
        return environment
    }

    /// Starts `vestibule serve`, or `executable` with `arguments` (a launcher like spawn-fcgi).
    func startProgram(executable: String = Stack.binary, arguments: [String] = ["serve"]) throws {
        guard FileManager.default.isExecutableFile(atPath: Self.binary) else {
            throw TestFailure("\(Self.binary) is not built: run `swift build` (make test does)")
        }
        try main.start(executable: executable, arguments: arguments, environment: programEnvironment, directory: directory)
    }

    func startNginx(tls: NginxSite.TLS? = nil, extraIncludes: [String] = [], clusterNodes: [String]? = nil) throws {
        var site = NginxSite(
            sourceDirectory: Self.repositoryRoot + "/nginx", publicDirectory: Self.repositoryRoot + "/public",
            socketPath: socketPath, runtimeDirectory: directory + "/nginx", port: port)
        site.workerProcesses = "1"
        site.tls = tls
        site.extraIncludes = extraIncludes
        site.clusterNodes = clusterNodes
        try site.render()
        nginx = try NginxProcess.start(site)
    }

    /// Runs the program's command line against this stack's database and secret key.
    func cli(_ arguments: [String], environment: [String: String] = [:]) throws -> CommandResult {
        try runVestibule(arguments, environment: programEnvironment.merging(environment) { _, new in new })
    }

    // MARK: Looking at the database, as an operator would (another connection)

    /// The first column of every row of a query.
    /// Another connection to the stack's database, as an operator's.
    private func operatorStorage() throws -> any SQLStorage {
        switch backend {
        case .sqlite: return try SQLiteStorage(path: database, readers: 1, logger: Logger(label: "test"))
        case .postgres: return PostgresStorage(location: PostgresLocation(url: database)!, connections: 1, logger: Logger(label: "test"))
        }
    }

    func column<T: SQLReadable>(_ sql: String, as type: T.Type = T.self) throws -> [T] {
        let storage = try operatorStorage()
        defer { storage.close() }
        return try storage.readSQL { db in
            try db.query(sql, []).map { row in
                var row = row
                return try row.next(T.self)
            }
        }
    }

    /// Runs one statement, as an operator at the database would (test set-up only).
    func execute(_ sql: String) throws {
        let storage = try operatorStorage()
        defer { storage.close() }
        try storage.writeSQL { db in _ = try db.execute(sql, []) }
    }

    func scalar<T: SQLReadable>(_ sql: String, as type: T.Type = T.self) throws -> T? {
        try column(sql, as: type).first
    }

    func count(_ table: String, where condition: String = "true") throws -> Int {
        try scalar("SELECT count(*) FROM \(table) WHERE \(condition)") ?? 0
    }

    /// Sends `signal` to the program and waits up to `timeout` for it to exit; returns its status.
    @discardableResult
    func signalProgram(_ signal: Int32, timeout: TimeInterval = 15) throws -> Int32 {
        try main.signal(signal, timeout: timeout)
    }

    func stop() {
        nginx?.stop()
        nginx = nil
        main.stop()
        try? FileManager.default.removeItem(atPath: directory)
    }

    deinit { stop() }

    static func freePort() -> Int { PostgresServer.freePort() }
}
