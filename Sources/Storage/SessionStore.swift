import Foundation
import GRDB

/// Sessions in SQLite. Methods that take a `Database` run inside the caller's transaction,
/// so a sign-in can rotate the session in the same commit as the login it accepts.
public struct SessionStore: Sendable {
    public init() {}

    /// On every request that carries a cookie: a cached statement, compiled once per connection.
    public func find(_ db: Database, tokenHash: Data) throws -> StoredSession? {
        try StoredSession.fetchOne(db.cachedStatement(sql: "SELECT * FROM sessions WHERE token_hash = ?"), arguments: [tokenHash])
    }

    public func insert(_ db: Database, _ session: StoredSession) throws -> StoredSession {
        return try session.inserted(db)
    }

    public func touch(_ db: Database, id: Int64, at time: Date) throws {
        try db.cachedStatement(sql: "UPDATE sessions SET last_seen_at = ? WHERE id = ?")
            .execute(arguments: [time.timeIntervalSince1970, id])
    }

    @discardableResult
    public func delete(_ db: Database, id: Int64) throws -> Bool {
        try db.cachedStatement(sql: "DELETE FROM sessions WHERE id = ?").execute(arguments: [id])
        return db.changesCount > 0
    }

    /// Deletes one of `userID`'s sessions; another user's session id deletes nothing.
    @discardableResult
    public func delete(_ db: Database, id: Int64, userID: Int64) throws -> Bool {
        try StoredSession.filter(Column("id") == id && Column("user_id") == userID).deleteAll(db) > 0
    }

    public func sessions(_ db: Database, userID: Int64) throws -> [StoredSession] {
        try StoredSession.filter(Column("user_id") == userID)
            .order(Column("last_seen_at").desc).fetchAll(db)
    }

    /// Deletes sessions past their absolute end or idle for longer than `idleTimeout`.
    @discardableResult
    public func purge(_ db: Database, now: Date, idleTimeout: TimeInterval) throws -> Int {
        try db.execute(
            sql: "DELETE FROM sessions WHERE expires_at <= ? OR last_seen_at <= ?",
            arguments: [now.timeIntervalSince1970, now.timeIntervalSince1970 - idleTimeout])
        return db.changesCount
    }
}
