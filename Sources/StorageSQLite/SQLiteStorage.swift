import Dispatch
import Foundation
internal import GRDB
import Logging
import Storage
import StorageSQL
import Synchronization

/// The embedded backend: one SQLite file through a GRDB `DatabasePool` (WAL: readers never wait
/// for the writer), for one node.
public final class SQLiteStorage: SQLStorage {
    public let path: String
    private let pool: DatabasePool
    /// True when the file did not exist until this process opened it.
    private let createdFile: Bool
    private let file: WatchedFile
    private let failures = WriteHealth()
    private let closed = Atomic<Bool>(false)
    private let readers: ReadConnections

    /// Opens (creating if needed) the database at `path`. Does not migrate: call `migrate()`.
    /// - Parameter readers: how many connections may read at once; the server passes its thread count.
    public init(path: String, readers: Int = 8, logger: Logger) throws {
        let directory = (path as NSString).deletingLastPathComponent
        if !directory.isEmpty {
            try FileManager.default.createDirectory(atPath: directory, withIntermediateDirectories: true)
        }
        createdFile = !FileManager.default.fileExists(atPath: path)
        var configuration = Configuration()
        configuration.foreignKeysEnabled = true
        configuration.busyMode = .timeout(5)
        configuration.maximumReaderCount = max(2, readers)
        configuration.prepareDatabase { db in
            // WAL + NORMAL: a committed transaction survives a crash of the process (kill -9);
            // a power cut may lose the last commits, never the database's integrity.
            try db.execute(sql: "PRAGMA synchronous = NORMAL")
            try db.execute(sql: "PRAGMA wal_autocheckpoint = 10000")
        }
        self.path = path
        pool = try SQLiteErrors.mapped { try DatabasePool(path: path, configuration: configuration) }
        file = WatchedFile(path: path, logger: logger)
        self.readers = ReadConnections(path: path, capacity: max(2, readers))
    }

    public var displayName: String { "SQLite \(path)" }

    public func readSQL<T>(_ body: (any SQLConnection) throws -> T) throws -> T {
        try checkOpen()
        return try SQLiteErrors.mapped { try readers.read { db in try body(GRDBConnection(db: db)) } }
    }

    /// A closed pool must not be touched again (GRDB leaves that undefined).
    private func checkOpen() throws {
        if closed.load(ordering: .acquiring) { throw StorageError.unavailable(reason: "the database is closed") }
    }

    public func writeSQL<T>(_ body: (any SQLConnection) throws -> T) throws -> T {
        try write(body, probe: false)
    }

    private func write<T>(_ body: (any SQLConnection) throws -> T, probe: Bool) throws -> T {
        try checkOpen()
        try file.check()
        return try failures.watching(clears: !probe) {
            try SQLiteErrors.mapped { try pool.write { db in try body(GRDBConnection(db: db)) } }
        }
    }

    /// The file is still the one opened, a small write commits, and no real write failed lately.
    public func checkHealth() -> StorageHealth {
        failures.health {
            try file.check()
            _ = try write({ db in try SQLProbe.write(db, at: Date()) }, probe: true)
        }
    }

    /// Applies what has not run yet. Several processes may start on a new file at once: a
    /// migration another process committed between our look and our try makes ours fail, and
    /// we look again (each migration is one transaction, so the schema is never half made).
    public func migrate() throws -> MigrationReport {
        let migrator = SQLiteMigrations.migrator
        let initial = try applied(migrator)
        var attempts = 0
        while true {
            let before = try applied(migrator)
            do {
                try migrator.migrate(pool)
                break
            } catch let error as DatabaseError {
                attempts += 1
                guard try applied(migrator).count > before.count, attempts <= migrator.migrations.count else {
                    throw SQLiteErrors.storageError(error)
                }
            }
        }
        try recordCreation(at: Date())
        return MigrationReport(
            applied: migrator.migrations.filter { !initial.contains($0) }, createdDatabase: createdFile)
    }

    private func applied(_ migrator: DatabaseMigrator) throws -> Set<String> {
        try SQLiteErrors.mapped { try pool.read { db in try migrator.appliedIdentifiers(db) } }
    }

    /// Folds the WAL into the file (so the file alone is a complete copy), then closes.
    public func close() {
        guard !closed.exchange(true, ordering: .acquiringAndReleasing) else { return }
        readers.close()
        _ = try? pool.writeWithoutTransaction { db in try db.checkpoint(.truncate) }
        try? pool.close()
    }
}

/// The database file as it was opened. Deleted or replaced under the running program, writes
/// would go on into an unlinked file and be lost at the next start: once seen (checked at most
/// once a second, before a write), every write is refused until the program is restarted.
final class WatchedFile: Sendable {
    private let path: String
    private let identity: FileIdentity?
    private let logger: Logger
    private let state = Mutex<(checkedAt: ContinuousClock.Instant?, lost: String?)>((nil, nil))

    init(path: String, logger: Logger) {
        self.path = path
        identity = FileIdentity(path: path)
        self.logger = logger
    }

    func check() throws {
        let now = ContinuousClock.now
        let lost: String? = state.withLock { state in
            if let lost = state.lost { return lost }
            if let checkedAt = state.checkedAt, now - checkedAt < .seconds(1) { return nil }
            state.checkedAt = now
            let current = FileIdentity(path: path)
            guard current != identity else { return nil }
            state.lost = current == nil
                ? "the database file \(path) was deleted or moved while the program ran; restore it and restart"
                : "the database file \(path) was replaced while the program ran; restart to use the new file"
            logger.error("database file lost: writes are refused", metadata: ["path": "\(path)", "reason": "\(state.lost!)"])
            return state.lost
        }
        if let lost { throw StorageError.unavailable(reason: lost) }
    }
}

struct FileIdentity: Equatable {
    let device: UInt64
    let inode: UInt64

    init?(path: String) {
        var info = stat()
        guard stat(path, &info) == 0 else { return nil }
        device = UInt64(info.st_dev)
        inode = UInt64(info.st_ino)
    }
}

/// Connections for reading (GRDB `DatabaseQueue`s, `query_only`), one per thread reading at a time. A read
/// through the `DatabasePool` passes its barrier queue, its semaphore and a reader's serial queue,
/// and with 16 workers reading at once those waits (futexes) were a fifth of a page's cost; a
/// connection of one's own is a plain call. Each statement sees the latest commit (WAL), as
/// PostgreSQL's reads at READ COMMITTED do; writes stay with the pool's one writer.
final class ReadConnections: Sendable {
    private let path: String
    private let slots: DispatchSemaphore
    private let idle = Mutex<[DatabaseQueue]>([])

    init(path: String, capacity: Int) {
        self.path = path
        slots = DispatchSemaphore(value: capacity)
    }

    func read<T>(_ body: (Database) throws -> T) throws -> T {
        slots.wait()
        defer { slots.signal() }
        let queue = try idle.withLock { $0.popLast() } ?? open()
        defer { idle.withLock { $0.append(queue) } }
        return try queue.inDatabase(body)
    }

    private func open() throws -> DatabaseQueue {
        var configuration = Configuration()
        // Not SQLITE_OPEN_READONLY: read-only connections made the writer's page cache start
        // over on every transaction (measured: a madvise and twice the preads per sign-in).
        // query_only still refuses any write on them.
        configuration.prepareDatabase { db in try db.execute(sql: "PRAGMA query_only = 1") }
        configuration.busyMode = .timeout(5)
        return try DatabaseQueue(path: path, configuration: configuration)
    }

    func close() {
        let queues = idle.withLock { queues in
            defer { queues.removeAll() }
            return queues
        }
        for queue in queues { try? queue.close() }
    }
}
