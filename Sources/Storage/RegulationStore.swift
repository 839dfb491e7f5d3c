import Foundation
import GRDB

/// Failed logins and the bans they cause, per method, scope ("ip", "identity") and subject.
public struct RegulationStore: Sendable {
    public init() {}

    public struct Subject: Sendable, Hashable {
        public let scope: String
        public let value: String

        public init(scope: String, value: String) {
            self.scope = scope
            self.value = value
        }
    }

    /// When the ban on `subject` ends, if one is in force at `now`.
    public func bannedUntil(_ db: Database, method: String, subject: Subject, now: Date) throws -> Date? {
        let until = try Double.fetchOne(
            db.cachedStatement(
                sql: "SELECT banned_until FROM login_bans WHERE method = ? AND scope = ? AND subject = ? AND banned_until > ?"),
            arguments: [method, subject.scope, subject.value, now.timeIntervalSince1970])
        return until.map(Date.init(timeIntervalSince1970:))
    }

    /// Failures since `since`: confirmed ones, and attempts still pending.
    public func failures(_ db: Database, method: String, subject: Subject, since: Date) throws -> (confirmed: Int, pending: Int) {
        let row = try Row.fetchOne(
            db.cachedStatement(sql: """
                SELECT count(*) FILTER (WHERE NOT pending) AS confirmed, count(*) FILTER (WHERE pending) AS pending
                FROM login_failures WHERE method = ? AND scope = ? AND subject = ? AND failed_at > ?
                """),
            arguments: [method, subject.scope, subject.value, since.timeIntervalSince1970])
        return (row?["confirmed"] ?? 0, row?["pending"] ?? 0)
    }

    public func ban(_ db: Database, method: String, subject: Subject, until: Date) throws {
        try db.execute(
            sql: "INSERT OR REPLACE INTO login_bans (method, scope, subject, banned_until) VALUES (?, ?, ?, ?)",
            arguments: [method, subject.scope, subject.value, until.timeIntervalSince1970])
    }

    /// Records an attempt being checked (`pending`), or a failure.
    public func recordAttempt(_ db: Database, method: String, subject: Subject, at time: Date, pending: Bool) throws -> Int64 {
        try db.cachedStatement(sql: "INSERT INTO login_failures (method, scope, subject, failed_at, pending) VALUES (?, ?, ?, ?, ?)")
            .execute(arguments: [method, subject.scope, subject.value, time.timeIntervalSince1970, pending])
        return db.lastInsertedRowID
    }

    /// Pending attempts that turned out to be failures.
    public func confirm(_ db: Database, ids: [Int64]) throws {
        guard !ids.isEmpty else { return }
        try db.execute(
            sql: "UPDATE login_failures SET pending = 0 WHERE id IN (\(databaseQuestionMarks(count: ids.count)))",
            arguments: StatementArguments(ids))
    }

    public func deleteFailures(_ db: Database, ids: [Int64]) throws {
        let statement = try db.cachedStatement(sql: "DELETE FROM login_failures WHERE id = ?")
        for id in ids { try statement.execute(arguments: [id]) }
    }

    /// Deletes failures older than `findTime` and bans that ended.
    @discardableResult
    public func purge(_ db: Database, now: Date, findTime: TimeInterval) throws -> Int {
        try db.execute(sql: "DELETE FROM login_failures WHERE failed_at <= ?", arguments: [now.timeIntervalSince1970 - findTime])
        var removed = db.changesCount
        try db.execute(sql: "DELETE FROM login_bans WHERE banned_until <= ?", arguments: [now.timeIntervalSince1970])
        removed += db.changesCount
        return removed
    }
}
