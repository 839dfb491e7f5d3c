import Foundation
import Storage

struct SQLAccountStore: AccountStore {
    let db: any SQLConnection

    func user(_ id: UserID) throws -> Stored<User>? {
        try db.first(User.sql.select + " WHERE id = ?", [id.sqlValue], User.stored)
    }

    func createUser(displayName: String, at time: Date) throws -> Stored<User> {
        let user = User(displayName: displayName, createdAt: time)
        return Stored(id: try db.insertReturningID(User.sql.insert, user.values), user)
    }

    func rename(_ id: UserID, to name: String) throws {
        try db.execute("UPDATE users SET display_name = ? WHERE id = ?", name, id)
    }

    func users() throws -> [Stored<User>] {
        try db.all(User.sql.select + " ORDER BY id", [], User.stored)
    }

    func deleteUser(_ id: UserID) throws -> Bool {
        try db.execute("DELETE FROM users WHERE id = ?", id) == 1
    }

    func setOperator(_ id: UserID, _ isOperator: Bool) throws -> Bool {
        try db.execute("UPDATE users SET operator = ? WHERE id = ?", isOperator, id) == 1
    }

    func setEmail(_ id: UserID, to email: String?) throws {
        try db.execute("UPDATE users SET email = ? WHERE id = ?", email, id)
    }

    func identity(method: String, subject: String) throws -> Stored<Identity>? {
        try db.first(Identity.sql.select + " WHERE method = ? AND subject = ?", [method.sqlValue, subject.sqlValue], Identity.stored)
    }

    func identities(of user: UserID) throws -> [Stored<Identity>] {
        try db.all(Identity.sql.select + " WHERE user_id = ? ORDER BY created_at, id", [user.sqlValue], Identity.stored)
    }

    func add(_ identity: Identity) throws -> Stored<Identity> {
        Stored(id: try db.insertReturningID(Identity.sql.insert, identity.values), identity)
    }

    func touch(_ id: IdentityID, detail: String, at time: Date) throws {
        try db.execute("UPDATE identities SET last_used_at = ?, detail = ? WHERE id = ?", time, detail, id)
    }
}

struct SQLSessionStore: SessionStore {
    let db: any SQLConnection

    /// On every request that carries a cookie.
    func session(tokenHash: Data) throws -> Stored<Session>? {
        try db.first(Session.sql.select + " WHERE token_hash = ?", [tokenHash.sqlValue], Session.stored)
    }

    func insert(_ session: Session) throws -> Stored<Session> {
        Stored(id: try db.insertReturningID(Session.sql.insert, session.values), session)
    }

    func touch(_ id: SessionID, at time: Date) throws {
        try db.execute("UPDATE sessions SET last_seen_at = ? WHERE id = ?", time, id)
    }

    func delete(_ id: SessionID) throws -> Bool {
        try db.execute("DELETE FROM sessions WHERE id = ?", id) > 0
    }

    func delete(_ id: SessionID, of user: UserID) throws -> Bool {
        try db.execute("DELETE FROM sessions WHERE id = ? AND user_id = ?", id, user) > 0
    }

    func sessions(of user: UserID) throws -> [Stored<Session>] {
        try db.all(Session.sql.select + " WHERE user_id = ? ORDER BY last_seen_at DESC, id DESC", [user.sqlValue], Session.stored)
    }

    func purge(now: Date, idleTimeout: TimeInterval, anonymousLifetime: TimeInterval) throws -> Int {
        try db.execute(
            "DELETE FROM sessions WHERE expires_at <= ? OR last_seen_at <= ? OR (user_id IS NULL AND created_at <= ?)",
            now, now.addingTimeInterval(-idleTimeout), now.addingTimeInterval(-anonymousLifetime))
    }
}

struct SQLTrusteeAttemptStore: TrusteeAttemptStore {
    let db: any SQLConnection

    func insert(_ attempt: TrusteeAttempt) throws -> Stored<TrusteeAttempt> {
        Stored(id: try db.insertReturningID(TrusteeAttempt.sql.insert, attempt.values), attempt)
    }

    func attempt(publicID: String) throws -> Stored<TrusteeAttempt>? {
        try db.first(TrusteeAttempt.sql.select + " WHERE public_id = ?", [publicID.sqlValue], TrusteeAttempt.stored)
    }

    func claimCheck(_ id: TrusteeAttemptID, at time: Date, unlessClaimedAfter since: Date) throws -> Bool {
        try db.execute(
            """
            UPDATE trustee_attempts SET checked_at = ?
            WHERE id = ? AND state = 'pending' AND used_at IS NULL AND (checked_at IS NULL OR checked_at <= ?)
            """, time, id, since) == 1
    }

    func recordCheck(_ id: TrusteeAttemptID, state: TrusteeAttempt.State, lastError: String?, expiresAt: Date) throws {
        try db.execute(
            "UPDATE trustee_attempts SET state = ?, last_error = ?, expires_at = ? WHERE id = ? AND used_at IS NULL",
            state, lastError, expiresAt, id)
    }

    func markUsed(_ id: TrusteeAttemptID, at time: Date) throws -> Bool {
        try db.execute("UPDATE trustee_attempts SET used_at = ? WHERE id = ? AND used_at IS NULL", time, id) == 1
    }

    func close(_ id: TrusteeAttemptID, state: TrusteeAttempt.State, lastError: String?, at time: Date) throws {
        try db.execute(
            "UPDATE trustee_attempts SET state = ?, last_error = ?, used_at = coalesce(used_at, ?) WHERE id = ?",
            state, lastError, time, id)
    }

    func settle(_ id: TrusteeAttemptID, session: SessionID, createdAccount: Bool) throws {
        try db.execute(
            "UPDATE trustee_attempts SET state = 'approved', last_error = NULL, session_id = ?, created_account = ? WHERE id = ?",
            session, createdAccount, id)
    }

    func prune(session: SessionID, keep: Int) throws {
        try db.execute(
            """
            DELETE FROM trustee_attempts WHERE session_id = ? AND id NOT IN (
                SELECT id FROM trustee_attempts WHERE session_id = ? ORDER BY id DESC LIMIT ?)
            """, session, session, keep - 1)
    }

    func purge(before: Date) throws -> Int {
        try db.execute("DELETE FROM trustee_attempts WHERE expires_at <= ?", before)
    }
}

struct SQLTrezorChallengeStore: TrezorChallengeStore {
    let db: any SQLConnection

    func insert(_ challenge: TrezorChallenge) throws -> Stored<TrezorChallenge> {
        Stored(id: try db.insertReturningID(TrezorChallenge.sql.insert, challenge.values), challenge)
    }

    func challenge(hidden: String) throws -> Stored<TrezorChallenge>? {
        try db.first(TrezorChallenge.sql.select + " WHERE hidden = ?", [hidden.sqlValue], TrezorChallenge.stored)
    }

    func markUsed(_ id: TrezorChallengeID, at time: Date) throws -> Bool {
        try db.execute("UPDATE trezor_challenges SET used_at = ? WHERE id = ? AND used_at IS NULL", time, id) == 1
    }

    func prune(session: SessionID, now: Date, keep: Int) throws {
        try db.execute(
            """
            DELETE FROM trezor_challenges WHERE session_id = ? AND (used_at IS NOT NULL OR expires_at <= ? OR id NOT IN (
                SELECT id FROM trezor_challenges WHERE session_id = ? ORDER BY id DESC LIMIT ?))
            """, session, now, session, keep - 1)
    }

    func purge(now: Date) throws -> Int {
        try db.execute("DELETE FROM trezor_challenges WHERE expires_at <= ? OR used_at IS NOT NULL", now)
    }
}

struct SQLRegulationStore: RegulationStore {
    let db: any SQLConnection

    func standing(method: String, subject: RegulationSubject, now: Date, since: Date) throws -> RegulationStanding {
        let arguments = [method.sqlValue, subject.scope.sqlValue, subject.value.sqlValue]
        return try db.first(
            """
            SELECT (SELECT banned_until FROM login_bans WHERE method = ? AND scope = ? AND subject = ? AND banned_until > ?),
                count(*) FILTER (WHERE NOT pending), count(*) FILTER (WHERE pending)
            FROM login_failures WHERE method = ? AND scope = ? AND subject = ? AND failed_at > ?
            """,
            arguments + [now.sqlValue] + arguments + [since.sqlValue]
        ) { row in RegulationStanding(bannedUntil: try row.next(), confirmed: try row.next(), pending: try row.next()) }
            ?? RegulationStanding(bannedUntil: nil, confirmed: 0, pending: 0)
    }

    func ban(method: String, subject: RegulationSubject, until: Date) throws {
        try db.execute(
            """
            INSERT INTO login_bans (method, scope, subject, banned_until) VALUES (?, ?, ?, ?)
            ON CONFLICT (method, scope, subject) DO UPDATE SET banned_until = excluded.banned_until
            """, method, subject.scope, subject.value, until)
    }

    func record(_ attempts: [RegulationAttempt]) throws -> [RegulationAttemptID] {
        guard !attempts.isEmpty else { return [] }
        let rows = Array(repeating: "(?, ?, ?, ?, ?)", count: attempts.count).joined(separator: ", ")
        return try db.all(
            "INSERT INTO login_failures (method, scope, subject, failed_at, pending) VALUES \(rows) RETURNING id",
            attempts.flatMap { attempt in
                [attempt.method.sqlValue, attempt.subject.scope.sqlValue, attempt.subject.value.sqlValue,
                 attempt.failedAt.sqlValue, attempt.pending.sqlValue]
            }) { row in try row.next(RegulationAttemptID.self) }
    }

    func confirm(_ ids: [RegulationAttemptID]) throws {
        guard !ids.isEmpty else { return }
        try db.execute(
            "UPDATE login_failures SET pending = ? WHERE id IN (\(placeholders(ids.count)))",
            [false.sqlValue] + ids.map(\.sqlValue))
    }

    func delete(_ ids: [RegulationAttemptID]) throws {
        guard !ids.isEmpty else { return }
        try db.execute("DELETE FROM login_failures WHERE id IN (\(placeholders(ids.count)))", ids.map(\.sqlValue))
    }

    func purge(now: Date, findTime: TimeInterval) throws -> Int {
        try db.execute("DELETE FROM login_failures WHERE failed_at <= ?", now.addingTimeInterval(-findTime))
            + db.execute("DELETE FROM login_bans WHERE banned_until <= ?", now)
    }
}
