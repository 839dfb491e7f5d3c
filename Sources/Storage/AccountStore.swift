import Foundation
import GRDB

/// Users and their identities. Methods take the caller's `Database`, so a login runs in one transaction.
public struct AccountStore: Sendable {
    public init() {}

    public func user(_ db: Database, id: Int64) throws -> User? {
        try User.fetchOne(db, key: id)
    }

    public func createUser(_ db: Database, displayName: String, at time: Date) throws -> User {
        var user = User(displayName: displayName, createdAt: time)
        try user.insert(db)
        return user
    }

    public func rename(_ db: Database, userID: Int64, to name: String) throws {
        try db.execute(sql: "UPDATE users SET display_name = ? WHERE id = ?", arguments: [name, userID])
    }

    public func identity(_ db: Database, method: String, subject: String) throws -> Identity? {
        try Identity.fetchOne(
            db.cachedStatement(sql: "SELECT * FROM identities WHERE method = ? AND subject = ?"), arguments: [method, subject])
    }

    public func identities(_ db: Database, userID: Int64) throws -> [Identity] {
        try Identity.filter(Column("user_id") == userID).order(Column("created_at"), Column("id")).fetchAll(db)
    }

    public func insert(_ db: Database, _ identity: Identity) throws -> Identity {
        return try identity.inserted(db)
    }

    public func touch(_ db: Database, identityID: Int64, detail: String, at time: Date) throws {
        try db.cachedStatement(sql: "UPDATE identities SET last_used_at = ?, detail = ? WHERE id = ?")
            .execute(arguments: [time.timeIntervalSince1970, detail, identityID])
    }
}

public struct TrezorChallengeStore: Sendable {
    public init() {}

    public func insert(_ db: Database, _ challenge: TrezorChallenge) throws -> TrezorChallenge {
        return try challenge.inserted(db)
    }

    public func find(_ db: Database, hidden: String) throws -> TrezorChallenge? {
        try TrezorChallenge.fetchOne(db.cachedStatement(sql: "SELECT * FROM trezor_challenges WHERE hidden = ?"), arguments: [hidden])
    }

    /// Marks the challenge used, if it still is unused; false when another request got there first.
    public func markUsed(_ db: Database, id: Int64, at time: Date) throws -> Bool {
        try db.cachedStatement(sql: "UPDATE trezor_challenges SET used_at = ? WHERE id = ? AND used_at IS NULL")
            .execute(arguments: [time.timeIntervalSince1970, id])
        return db.changesCount == 1
    }

    /// Keeps a session's open challenges few: drops its used and expired ones and all but the
    /// newest `keep - 1` open ones, before a new one is added.
    public func prune(_ db: Database, sessionID: Int64, now: Date, keep: Int) throws {
        try db.execute(
            sql: """
                DELETE FROM trezor_challenges WHERE session_id = ? AND (used_at IS NOT NULL OR expires_at <= ? OR id NOT IN (
                    SELECT id FROM trezor_challenges WHERE session_id = ? ORDER BY id DESC LIMIT ?))
                """,
            arguments: [sessionID, now.timeIntervalSince1970, sessionID, keep - 1])
    }

    @discardableResult
    public func purge(_ db: Database, now: Date) throws -> Int {
        try db.execute(
            sql: "DELETE FROM trezor_challenges WHERE expires_at <= ? OR used_at IS NOT NULL",
            arguments: [now.timeIntervalSince1970])
        return db.changesCount
    }
}
