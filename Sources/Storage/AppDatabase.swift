import Foundation
import GRDB
import Logging

/// The SQLite database: one `DatabasePool` (WAL: readers never wait for the writer), migrated on open.
public final class AppDatabase: Sendable {
    public let pool: DatabasePool
    public let path: String

    /// Opens (creating if needed) the database at `path`. Does not migrate: call `migrate()`.
    /// - Parameter readers: how many connections may read at once; the server passes its thread count.
    public init(path: String, readers: Int = 8) throws {
        let directory = (path as NSString).deletingLastPathComponent
        if !directory.isEmpty {
            try FileManager.default.createDirectory(atPath: directory, withIntermediateDirectories: true)
        }
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
        pool = try DatabasePool(path: path, configuration: configuration)
    }

    /// Applies the migrations that have not run yet; returns their names.
    @discardableResult
    public func migrate() throws -> [String] {
        let pending = try pool.read { db in try Migrations.migrator.appliedIdentifiers(db) }
        try Migrations.migrator.migrate(pool)
        return Migrations.migrator.migrations.filter { !pending.contains($0) }
    }

    public func read<T>(_ body: (Database) throws -> T) throws -> T {
        try pool.read(body)
    }

    /// Runs `body` in one transaction: everything it writes commits together or not at all.
    public func write<T>(_ body: (Database) throws -> T) throws -> T {
        try pool.write(body)
    }

    /// True when the database answers a read of its schema: the check behind `/api/status`.
    public func isUsable() -> Bool {
        do {
            return try pool.read { db in
                try Int.fetchOne(db, sql: "SELECT count(*) FROM sqlite_master") != nil
            }
        } catch {
            return false
        }
    }

    public func close() throws {
        try pool.close()
    }
}
