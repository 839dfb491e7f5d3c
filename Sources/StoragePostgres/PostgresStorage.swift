import Foundation
import Logging
import Storage
import StorageSQL
import Synchronization

/// The backend for one or many nodes: PostgreSQL through libpq's synchronous client, which fits
/// the worker-thread model (a worker waits for its own query, nothing else does).
///
/// Reads run as single statements (autocommit), which sees what a READ COMMITTED transaction
/// would, in fewer round trips; writes run in `BEGIN ... COMMIT` at READ COMMITTED, and the rules
/// that read before they write take advisory locks (`Transaction.serialize(on:)`).
public final class PostgresStorage: SQLStorage {
    private let location: PostgresLocation
    private let pool: ConnectionPool
    private let failures = WriteHealth()
    private let logger: Logger
    private let closed = Atomic<Bool>(false)

    /// The lock two nodes migrating at once queue on (`pg_advisory_lock`).
    static let migrationLock = LockKey.hash("vestibule:migrations")

    /// - Parameter connections: at most this many connections; the server passes its thread count.
    public init(location: PostgresLocation, connections: Int, logger: Logger) {
        self.location = location
        pool = ConnectionPool(location: location, capacity: connections)
        self.logger = logger
    }

    public var displayName: String { "PostgreSQL \(location.redacted)" }

    public func readSQL<T>(_ body: (any SQLConnection) throws -> T) throws -> T {
        try reconnectingOnce { connection in try body(PGSQLConnection(connection: connection)) }
    }

    public func writeSQL<T>(_ body: (any SQLConnection) throws -> T) throws -> T {
        try failures.watching(clears: true) { try transaction(body) }
    }

    /// BEGIN, `body`, COMMIT; again (up to three times) after a serialization failure or a
    /// deadlock, which PostgreSQL resolves by failing one of the transactions.
    private func transaction<T>(_ body: (any SQLConnection) throws -> T) throws -> T {
        var attempt = 1
        while true {
            do {
                return try reconnectingOnce { connection in
                    try connection.run("BEGIN")
                    do {
                        let result = try body(PGSQLConnection(connection: connection))
                        try connection.run("COMMIT")
                        return result
                    } catch {
                        if connection.isUsable { _ = try? connection.run("ROLLBACK") }
                        throw error
                    }
                }
            } catch let error as StorageError where PGErrors.isRetryable(error) && attempt < 3 {
                attempt += 1
            }
        }
    }

    /// Runs `body` on a pooled connection. A connection that was idle in the pool may have been
    /// cut (the server restarted, a failover): when it turns out dead, `body` runs once more on
    /// a new one. Nothing it did on the dead one was committed (a lost COMMIT is not retried:
    /// its outcome is unknown, so it is a 503).
    private func reconnectingOnce<T>(_ body: (PGConnection) throws -> T) throws -> T {
        if closed.load(ordering: .acquiring) { throw StorageError.unavailable(reason: "the database is closed") }
        var reused = false
        do {
            return try pool.withConnection { connection in
                reused = connection.wasReused
                return try body(connection)
            }
        } catch StorageError.unavailable(let reason) where reused && !reason.contains("COMMIT") {
            logger.warning("PostgreSQL connection lost; reconnecting", metadata: ["reason": "\(reason)"])
            return try pool.withConnection(body)
        }
    }

    public func checkHealth() -> StorageHealth {
        failures.health { try transaction { db in try SQLProbe.write(db, at: Date()) } }
    }

    /// Applies what has not run yet, holding a session advisory lock: nodes starting at once
    /// wait for each other, and each migration is one transaction.
    public func migrate() throws -> MigrationReport {
        let (applied, created) = try pool.withConnection { connection -> ([String], Bool) in
            try connection.run("SELECT pg_advisory_lock(\(Self.migrationLock))")
            defer { _ = try? connection.run("SELECT pg_advisory_unlock(\(Self.migrationLock))") }
            try connection.run(
                "CREATE TABLE IF NOT EXISTS vestibule_migrations (identifier text PRIMARY KEY, applied_at double precision NOT NULL)")
            let done = Set(try connection.run("SELECT identifier FROM vestibule_migrations").rows.map { row in
                var row = row
                return try row.next(String.self)
            })
            var applied: [String] = []
            for migration in PostgresMigrations.all where !done.contains(migration.identifier) {
                try connection.run("BEGIN")
                do {
                    try connection.run(migration.sql)
                    _ = try connection.execute(
                        "INSERT INTO vestibule_migrations (identifier, applied_at) VALUES (?, ?)",
                        [.text(migration.identifier), Date().sqlValue])
                    try connection.run("COMMIT")
                } catch {
                    _ = try? connection.run("ROLLBACK")
                    throw error
                }
                applied.append(migration.identifier)
            }
            return (applied, done.isEmpty)
        }
        try recordCreation(at: Date())
        return MigrationReport(applied: applied, createdDatabase: created)
    }

    public func close() {
        closed.store(true, ordering: .releasing)
        pool.drain()
    }
}

/// The shared stores' connection on a libpq connection.
final class PGSQLConnection: SQLConnection {
    let connection: PGConnection

    init(connection: PGConnection) {
        self.connection = connection
    }

    func query(_ sql: String, _ arguments: [SQLValue]) throws -> [SQLRow] {
        try connection.execute(sql, arguments).rows
    }

    func execute(_ sql: String, _ arguments: [SQLValue]) throws -> Int {
        try connection.execute(sql, arguments).changed
    }

    /// One statement for all the keys (PostgreSQL evaluates a target list left to right).
    func serialize(on keys: [Int64]) throws {
        guard !keys.isEmpty else { return }
        let locks = Array(repeating: "pg_advisory_xact_lock(?)", count: keys.count).joined(separator: ", ")
        _ = try connection.execute("SELECT \(locks)", keys.map(SQLValue.integer))
    }
}
