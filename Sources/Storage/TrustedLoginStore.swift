import Foundation
import GRDB

/// Teams, grants and their logs. Methods take the caller's `Database`: one transaction per call.
public struct TrustedLoginStore: Sendable {
    public init() {}

    // MARK: Teams

    public func team(_ db: Database, id: Int64) throws -> Team? {
        try Team.fetchOne(db.cachedStatement(sql: "SELECT * FROM teams WHERE id = ?"), arguments: [id])
    }

    public func teams(_ db: Database) throws -> [Team] {
        try Team.order(Column("id")).fetchAll(db)
    }

    /// The team whose lookup column holds `value` (`public_key`, `bearer_lookup`, `token_lookup`, `api_key_lookup`).
    public func team(_ db: Database, where column: TeamLookup, is value: String) throws -> Team? {
        try Team.fetchOne(db.cachedStatement(sql: "SELECT * FROM teams WHERE \(column.rawValue) = ?"), arguments: [value])
    }

    public enum TeamLookup: String, Sendable {
        case publicKey = "public_key"
        case bearer = "bearer_lookup"
        case token = "token_lookup"
        case apiKey = "api_key_lookup"
    }

    public func insert(_ db: Database, _ team: Team) throws -> Team {
        return try team.inserted(db)
    }

    public func save(_ db: Database, _ team: Team) throws {
        try team.update(db)
    }

    public func setStatus(_ db: Database, teamID: Int64, _ status: Team.Status) throws -> Bool {
        try db.execute(sql: "UPDATE teams SET status = ? WHERE id = ?", arguments: [status.rawValue, teamID])
        return db.changesCount > 0
    }

    public func record(_ db: Database, _ event: TeamEvent) throws {
        _ = try event.inserted(db)
    }

    public func events(_ db: Database, teamID: Int64) throws -> [TeamEvent] {
        try TeamEvent.filter(Column("team_id") == teamID).order(Column("occurred_at").desc, Column("id").desc).fetchAll(db)
    }

    // MARK: Grants

    /// The team's grant for `secretID`; other teams' grants are never seen.
    public func grant(_ db: Database, teamID: Int64, secretID: String) throws -> Grant? {
        try Grant.fetchOne(
            db.cachedStatement(sql: "SELECT * FROM grants WHERE team_id = ? AND secret_id = ?"), arguments: [teamID, secretID])
    }

    public func save(_ db: Database, _ grant: Grant) throws -> Grant {
        var grant = grant
        try grant.save(db)
        return grant
    }

    @discardableResult
    /// Deletes the team's grant for `secretID`; false when the team has none.
    public func deleteGrant(_ db: Database, teamID: Int64, secretID: String) throws -> Bool {
        try Grant.filter(Column("team_id") == teamID && Column("secret_id") == secretID).deleteAll(db) > 0
    }

    /// Live grants of a team whose access key is one of `accessKeys`, oldest first.
    public func liveGrants(_ db: Database, teamID: Int64, accessKeys: [String], now: Date) throws -> [Grant] {
        guard !accessKeys.isEmpty else { return [] }
        return try Grant.filter(Column("team_id") == teamID && accessKeys.contains(Column("access_key")))
            .filter(Column("expires_at") == nil || Column("expires_at") > now.timeIntervalSince1970)
            .order(Column("created_at"), Column("id")).fetchAll(db)
    }

    /// Deletes grants past their expiry: all of them, or one team's.
    @discardableResult
    public func purgeExpiredGrants(_ db: Database, now: Date, teamID: Int64? = nil) throws -> Int {
        var expired = Grant.filter(Column("expires_at") != nil && Column("expires_at") <= now.timeIntervalSince1970)
        if let teamID { expired = expired.filter(Column("team_id") == teamID) }
        return try expired.deleteAll(db)
    }

    // MARK: Logs

    public func record(_ db: Database, _ login: SupportLogin) throws {
        _ = try login.inserted(db)
    }

    /// Support logins of a team in `[since, before)`, newest first; optionally of one site (its
    /// secret id, or the grant's numeric id) and of one vendor user.
    public func supportLogins(
        _ db: Database, teamID: Int64, since: Date, before: Date, site: String? = nil, userID: Int64? = nil
    ) throws -> [SupportLogin] {
        var request = SupportLogin.filter(
            Column("team_id") == teamID && Column("occurred_at") >= since.timeIntervalSince1970
                && Column("occurred_at") < before.timeIntervalSince1970)
        if let site {
            let bySecret = Column("secret_id") == site
            request = request.filter(Int64(site).map { bySecret || Column("grant_id") == $0 } ?? bySecret)
        }
        if let userID { request = request.filter(Column("user_id") == userID) }
        return try request.order(Column("occurred_at").desc, Column("id").desc).fetchAll(db)
    }

    public func insert(_ db: Database, _ attempt: LoginAttempt) throws {
        _ = try attempt.inserted(db)
    }

    public func loginAttempts(_ db: Database, teamID: Int64, limit: Int, offset: Int) throws -> [LoginAttempt] {
        try LoginAttempt.filter(Column("team_id") == teamID)
            .order(Column("received_at").desc, Column("id").desc).limit(limit, offset: offset).fetchAll(db)
    }

    public func loginAttemptCount(_ db: Database, teamID: Int64) throws -> Int {
        try LoginAttempt.filter(Column("team_id") == teamID).fetchCount(db)
    }

    public func loginAttempt(_ db: Database, id: String, teamID: Int64) throws -> LoginAttempt? {
        try LoginAttempt.filter(Column("id") == id && Column("team_id") == teamID).fetchOne(db)
    }

    /// How many attempts a team reported since `since`, for one of its secrets or in all.
    public func recentAttempts(_ db: Database, teamID: Int64, secretID: String? = nil, since: Date) throws -> (count: Int, oldest: Date?) {
        let row = try Row.fetchOne(
            db,
            sql: """
                SELECT count(*) AS n, min(received_at) AS oldest FROM login_attempts
                WHERE team_id = ? AND (? IS NULL OR secret_id = ?) AND received_at > ?
                """,
            arguments: [teamID, secretID, secretID, since.timeIntervalSince1970])
        let oldest: Double? = row?["oldest"]
        return (row?["n"] ?? 0, oldest.map(Date.init(timeIntervalSince1970:)))
    }

    /// Records a nonce for the team; false when it was seen before (a replay).
    public func useNonce(_ db: Database, teamID: Int64, nonce: String, at time: Date) throws -> Bool {
        try db.execute(
            sql: "INSERT OR IGNORE INTO vendor_nonces (team_id, nonce, seen_at) VALUES (?, ?, ?)",
            arguments: [teamID, nonce, time.timeIntervalSince1970])
        return db.changesCount == 1
    }

    /// Deletes log records older than `before`.
    @discardableResult
    public func purgeLogs(_ db: Database, before: Date) throws -> Int {
        var removed = 0
        for (table, column) in [("support_logins", "occurred_at"), ("login_attempts", "received_at"), ("team_events", "occurred_at")] {
            try db.execute(sql: "DELETE FROM \(table) WHERE \(column) < ?", arguments: [before.timeIntervalSince1970])
            removed += db.changesCount
        }
        return removed
    }

    /// Deletes v2 request nonces seen before `before`: once their timestamp window has passed, the
    /// timestamp check refuses a replay anyway. Envelope nonces carry no time and are kept.
    @discardableResult
    public func purgeRequestNonces(_ db: Database, before: Date) throws -> Int {
        try db.execute(
            sql: "DELETE FROM vendor_nonces WHERE nonce LIKE 'v2:%' AND seen_at < ?", arguments: [before.timeIntervalSince1970])
        return db.changesCount
    }

    // MARK: Signing keys

    public func signingKey(_ db: Database, purpose: String) throws -> SigningKeyRecord? {
        try SigningKeyRecord.filter(Column("purpose") == purpose).fetchOne(db)
    }

    public func insert(_ db: Database, _ key: SigningKeyRecord) throws -> SigningKeyRecord {
        return try key.inserted(db)
    }
}
