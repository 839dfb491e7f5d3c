import CTestSupport
import Foundation
import Synchronization

/// A throwaway PostgreSQL cluster for one test run: `initdb` in a temporary folder, `postgres`
/// listening on 127.0.0.1 and a free port (and a unix socket in the folder), stopped when the
/// test process exits. Run as the `postgres` user when the tests run as root (initdb refuses
/// root). Each test asks for a database of its own (`makeDatabase`), so tests run in parallel.
///
/// Not a stand-in: the tests run the same server operators run, from Debian's `postgresql`
/// package (`make test` installs it when missing).
public final class PostgresServer: Sendable {
    public let port: Int
    public let directory: String
    private let binaries: String
    private let user: String?
    /// A role that must give a password (scram-sha-256) over TCP: for the password settings.
    public static let passwordUser = (name: "vestibule_pw", password: "s3cret-Pa55word")

    /// The cluster, started on first use. Throws (each test that needs it fails, saying why)
    /// when PostgreSQL is not installed.
    public static func shared() throws -> PostgresServer {
        try started.withLock { state in
            if let server = state.server { return server }
            if let failure = state.failure { throw TestFailure(failure) }
            do {
                let server = try PostgresServer()
                state.server = server
                atexit { PostgresServer.stopShared() }
                return server
            } catch {
                state.failure = "\(error)"
                throw error
            }
        }
    }

    private static let started = Mutex<(server: PostgresServer?, failure: String?)>((nil, nil))

    private static func stopShared() {
        started.withLock { $0.server }?.stop()
    }

    private init() throws {
        guard let bin = Self.binaryDirectory() else {
            throw TestFailure("PostgreSQL is not installed (no /usr/lib/postgresql/*/bin/initdb): `make test` installs it (apt install postgresql)")
        }
        binaries = bin
        user = getuid() == 0 ? "postgres" : nil
        directory = NSTemporaryDirectory() + "vestibule-pg-" + UUID().uuidString.prefix(8)
        port = Self.freePort()
        try FileManager.default.createDirectory(atPath: directory + "/data", withIntermediateDirectories: true)
        if let user { try Self.run("/bin/chown", ["-R", "\(user):\(user)", directory]) }
        try runAsOwner(bin + "/initdb", ["-D", directory + "/data", "-U", "postgres", "--auth=trust", "-E", "UTF8", "--no-sync"])
        try """
            local all all trust
            host all \(Self.passwordUser.name) 127.0.0.1/32 scram-sha-256
            host all all 127.0.0.1/32 trust
            """.write(toFile: directory + "/data/pg_hba.conf", atomically: false, encoding: .utf8)
        // Durability is not what these tests measure: fsync off keeps them quick.
        let options = "-k \(directory) -p \(port) -h 127.0.0.1 -c fsync=off -c synchronous_commit=off -c full_page_writes=off -c max_connections=300"
        try runAsOwner(bin + "/pg_ctl", ["-D", directory + "/data", "-o", options, "-l", directory + "/server.log", "-w", "-t", "60", "start"])
        try sql("CREATE ROLE \(Self.passwordUser.name) LOGIN SUPERUSER PASSWORD '\(Self.passwordUser.password)'")
    }

    /// A new, empty database; its URL (`postgresql://postgres@127.0.0.1:PORT/NAME`).
    public func makeDatabase() throws -> String {
        let name = "vt_" + UUID().uuidString.prefix(12).lowercased().replacingOccurrences(of: "-", with: "")
        try sql("CREATE DATABASE \(name)")
        return url(database: name)
    }

    public func url(database: String, user: String = "postgres") -> String {
        "postgresql://\(user)@127.0.0.1:\(port)/\(database)"
    }

    /// Runs SQL as the superuser with psql (on the `postgres` database unless told).
    @discardableResult
    public func sql(_ statement: String, database: String = "postgres") throws -> String {
        try Self.run(binaries + "/psql", ["-h", directory, "-p", String(port), "-U", "postgres", "-d", database, "-XAtq", "-v", "ON_ERROR_STOP=1", "-c", statement])
    }

    /// Stops the server (immediately: a test run leaves nothing to keep) and removes its folder.
    public func stop() {
        _ = try? runAsOwner(binaries + "/pg_ctl", ["-D", directory + "/data", "-m", "immediate", "-w", "stop"])
        // Plain rm: this runs at exit, when Foundation may be half torn down.
        _ = try? Self.run("/bin/rm", ["-rf", directory])
    }

    /// The server's log, for a failing test's message.
    public var log: String { (try? String(contentsOfFile: directory + "/server.log", encoding: .utf8)) ?? "" }

    private func runAsOwner(_ executable: String, _ arguments: [String]) throws {
        if let user {
            try Self.run("/usr/sbin/runuser", ["-u", user, "--", executable] + arguments)
        } else {
            try Self.run(executable, arguments)
        }
    }

    /// Runs a command to its end; its output (through a file). Not with Foundation's `Process`:
    /// it notices a child's end when a socket the child inherited closes, and the server that
    /// `pg_ctl start` leaves running would keep that socket, so the wait would never end. Here
    /// the child gets no descriptor but its output (`closefrom(3)`), and `waitpid` reaps it.
    @discardableResult
    static func run(_ executable: String, _ arguments: [String]) throws -> String {
        let outputPath = NSTemporaryDirectory() + "vestibule-run-" + UUID().uuidString
        defer { try? FileManager.default.removeItem(atPath: outputPath) }
        var actions = posix_spawn_file_actions_t()
        posix_spawn_file_actions_init(&actions)
        defer { posix_spawn_file_actions_destroy(&actions) }
        posix_spawn_file_actions_addopen(&actions, 0, "/dev/null", O_RDONLY, 0)
        posix_spawn_file_actions_addopen(&actions, 1, outputPath, O_WRONLY | O_CREAT | O_TRUNC, 0o644)
        posix_spawn_file_actions_adddup2(&actions, 1, 2)
        ctestsupport_spawn_closefrom(&actions, 3)
        let argv = ([executable] + arguments).map { strdup($0) } + [nil]
        defer { argv.forEach { free($0) } }
        var pid = pid_t()
        let spawned = posix_spawn(&pid, executable, &actions, nil, argv, environ)
        guard spawned == 0 else { throw TestFailure("cannot run \(executable): \(String(cString: strerror(spawned)))") }
        var status: Int32 = 0
        while waitpid(pid, &status, 0) < 0 && errno == EINTR {}
        let text = ((try? String(contentsOfFile: outputPath, encoding: .utf8)) ?? "").trimmingCharacters(in: .whitespacesAndNewlines)
        // WIFEXITED and WEXITSTATUS, which Swift does not import (they are macros).
        guard status & 0x7f == 0, (status >> 8) & 0xff == 0 else {
            throw TestFailure("\(executable) \(arguments.joined(separator: " ")) failed (status \(status)):\n\(text)")
        }
        return text
    }

    static func binaryDirectory() -> String? {
        let root = "/usr/lib/postgresql"
        let versions = ((try? FileManager.default.contentsOfDirectory(atPath: root)) ?? [])
            .compactMap(Int.init).sorted(by: >)
        return versions.map { "\(root)/\($0)/bin" }.first { FileManager.default.isExecutableFile(atPath: $0 + "/initdb") }
    }

    /// A port nothing listens on right now (the kernel's pick).
    public static func freePort() -> Int {
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

/// The backends a test runs against (`@Test(arguments: Backend.allCases)`).
public enum Backend: String, CaseIterable, Sendable, CustomStringConvertible {
    case sqlite
    case postgres

    public var description: String { rawValue }

    /// A fresh database of this backend: a file in `directory`, or a new PostgreSQL database.
    public func makeDatabase(in directory: String) throws -> String {
        switch self {
        case .sqlite: return directory + "/v.sqlite"
        case .postgres: return try PostgresServer.shared().makeDatabase()
        }
    }
}
