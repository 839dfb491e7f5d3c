import Foundation
import GRDB
import TestSupport
import VestibuleApp

/// The real stack for one test: `vestibule serve` (the built binary) behind nginx running the
/// shipped config, on a free port, with a temporary socket, database and secret key.
final class Stack: @unchecked Sendable {
    static let repositoryRoot = TestPaths.repositoryRoot

    /// The program under test: $VESTIBULE_BINARY (set by `make test`), else the debug build.
    static var binary: String {
        ProcessInfo.processInfo.environment["VESTIBULE_BINARY"] ?? repositoryRoot + "/.build/debug/vestibule"
    }

    let directory: String
    let port: Int
    let socketPath: String
    let databasePath: String
    var extraEnvironment: [String: String]
    private(set) var program: Process?
    private(set) var nginx: NginxProcess?
    private var programLogHandle: FileHandle?

    var http: HTTPClient { HTTPClient(port: port) }
    var programLogPath: String { directory + "/program.log" }
    var programLog: String { (try? String(contentsOfFile: programLogPath, encoding: .utf8)) ?? "" }

    init(environment: [String: String] = [:]) {
        directory = TemporaryDirectory(prefix: "vestibule-it-").path
        port = Self.freePort()
        // Unix socket paths are limited to 108 bytes: keep it short.
        socketPath = directory + "/v.sock"
        databasePath = directory + "/v.sqlite"
        extraEnvironment = environment
    }

    /// Starts the program and nginx; throws with the logs if either does not come up.
    static func start(environment: [String: String] = [:]) throws -> Stack {
        let stack = Stack(environment: environment)
        try stack.startProgram()
        try stack.startNginx()
        return stack
    }

    var programEnvironment: [String: String] {
        var environment = [
            "PATH": ProcessInfo.processInfo.environment["PATH"] ?? "/usr/bin:/bin",
            "VESTIBULE_DATABASE": databasePath,
            "VESTIBULE_SOCKET": socketPath,
            "VESTIBULE_SECRET_KEY_FILE": directory + "/secret.key",
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
        let process = Process()
        process.executableURL = URL(fileURLWithPath: executable)
        process.arguments = arguments
        process.environment = programEnvironment
        process.currentDirectoryURL = URL(fileURLWithPath: directory)
        if !FileManager.default.fileExists(atPath: programLogPath) {
            _ = FileManager.default.createFile(atPath: programLogPath, contents: nil)
        }
        let log = try FileHandle(forWritingTo: URL(fileURLWithPath: programLogPath))
        let logStart = Int(log.seekToEndOfFile())
        process.standardOutput = log
        process.standardError = log
        process.standardInput = FileHandle.nullDevice
        try process.run()
        program = process
        programLogHandle = log
        try waitUntilListening(process, logStart: logStart)
    }

    /// Waits for this start's "listening" line (an earlier run's line in the same log does not count).
    private func waitUntilListening(_ process: Process, logStart: Int) throws {
        let deadline = Date().addingTimeInterval(30)
        while Date() < deadline {
            if !process.isRunning { throw TestFailure("the program exited at start:\n\(programLog)") }
            if String(programLog.utf8.dropFirst(logStart))?.contains("listening") == true { return }
            usleep(20_000)
        }
        throw TestFailure("the program did not listen within 30 s:\n\(programLog)")
    }

    func startNginx(tls: NginxSite.TLS? = nil, extraIncludes: [String] = []) throws {
        var site = NginxSite(
            sourceDirectory: Self.repositoryRoot + "/nginx", publicDirectory: Self.repositoryRoot + "/public",
            socketPath: socketPath, runtimeDirectory: directory + "/nginx", port: port)
        site.workerProcesses = "1"
        site.tls = tls
        site.extraIncludes = extraIncludes
        try site.render()
        nginx = try NginxProcess.start(site)
    }

    /// Reads the stack's database directly (another connection, as an operator would).
    func database<T>(_ body: (GRDB.Database) throws -> T) throws -> T {
        try DatabaseQueue(path: databasePath).read(body)
    }

    /// Sends `signal` to the program and waits up to `timeout` for it to exit; returns its status.
    @discardableResult
    func signalProgram(_ signal: Int32, timeout: TimeInterval = 15) throws -> Int32 {
        guard let program else { throw TestFailure("no program running") }
        kill(program.processIdentifier, signal)
        let deadline = Date().addingTimeInterval(timeout)
        while program.isRunning && Date() < deadline { usleep(10_000) }
        guard !program.isRunning else { throw TestFailure("the program did not exit within \(timeout) s") }
        self.program = nil
        return program.terminationReason == .uncaughtSignal ? -program.terminationStatus : program.terminationStatus
    }

    func stop() {
        nginx?.stop()
        nginx = nil
        if program != nil { _ = try? signalProgram(SIGTERM) }
        try? programLogHandle?.close()
        try? FileManager.default.removeItem(atPath: directory)
    }

    deinit { stop() }

    static func freePort() -> Int {
        let fd = socket(AF_INET, Int32(SOCK_STREAM.rawValue), 0)
        defer { close(fd) }
        var address = sockaddr_in()
        address.sin_family = sa_family_t(AF_INET)
        address.sin_port = 0
        address.sin_addr.s_addr = inet_addr("127.0.0.1")
        var length = socklen_t(MemoryLayout<sockaddr_in>.size)
        _ = withUnsafeMutablePointer(to: &address) {
            $0.withMemoryRebound(to: sockaddr.self, capacity: 1) { pointer in
                bind(fd, pointer, length)
                return getsockname(fd, pointer, &length)
            }
        }
        return Int(UInt16(bigEndian: address.sin_port))
    }
}
