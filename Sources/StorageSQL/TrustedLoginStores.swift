import Foundation
import Storage

struct SQLTeamStore: TeamStore {
    let db: any SQLConnection

    func team(_ id: TeamID) throws -> Stored<Team>? {
        try db.first(Team.sql.select + " WHERE id = ?", [id.sqlValue], Team.stored)
    }

    func teams() throws -> [Stored<Team>] {
        try db.all(Team.sql.select + " ORDER BY id", [], Team.stored)
    }

    func team(where column: TeamLookup, is value: String) throws -> Stored<Team>? {
        // The column name comes from the enum, never from input; the value is bound.
        try db.first(Team.sql.select + " WHERE \(column.rawValue) = ?", [value.sqlValue], Team.stored)
    }

    func insert(_ team: Team) throws -> Stored<Team> {
        Stored(id: try db.insertReturningID(Team.sql.insert, team.values), team)
    }

    func replaceCredentials(of id: TeamID, with credentials: TeamCredentials, at time: Date) throws -> Bool {
        try db.execute(
            """
            UPDATE teams SET public_key = ?, bearer_lookup = ?, token_lookup = ?, api_key_lookup = ?,
                private_key_sealed = ?, lookup_scheme = ?, keys_cycled_at = ? WHERE id = ?
            """, credentials.values + [time.sqlValue, id.sqlValue]) > 0
    }

    func teams(withLookupSchemeBelow scheme: Int) throws -> [Stored<Team>] {
        try db.all(Team.sql.select + " WHERE lookup_scheme < ? ORDER BY id", [scheme.sqlValue], Team.stored)
    }

    func setLookups(of id: TeamID, to credentials: TeamCredentials) throws {
        try db.execute(
            "UPDATE teams SET bearer_lookup = ?, token_lookup = ?, api_key_lookup = ?, lookup_scheme = ? WHERE id = ?",
            credentials.bearerLookup, credentials.tokenLookup, credentials.apiKeyLookup, credentials.lookupScheme, id)
    }

    func setStatus(of id: TeamID, to status: Team.Status) throws -> Bool {
        try db.execute("UPDATE teams SET status = ? WHERE id = ?", status, id) > 0
    }

    func setVerification(of id: TeamID, apiEndpoint: String, signatureKey: String, at time: Date) throws {
        try db.execute(
            "UPDATE teams SET api_endpoint = ?, signature_key = ?, verified_at = ? WHERE id = ?",
            apiEndpoint, signatureKey, time, id)
    }

    func setSignatureKey(of id: TeamID, to key: String) throws {
        try db.execute("UPDATE teams SET signature_key = ? WHERE id = ?", key, id)
    }

    func setSettings(of id: TeamID, name: String, apiEndpoint: String?, supportURL: String?) throws -> Bool {
        try db.execute("UPDATE teams SET name = ?, api_endpoint = ?, support_url = ? WHERE id = ?", name, apiEndpoint, supportURL, id) == 1
    }

    func delete(_ id: TeamID) throws -> Bool {
        try db.execute("DELETE FROM teams WHERE id = ?", id) == 1
    }
}

struct SQLGrantStore: GrantStore {
    let db: any SQLConnection

    func grant(team: TeamID, secretID: String) throws -> Stored<Grant>? {
        try db.first(Grant.sql.select + " WHERE team_id = ? AND secret_id = ?", [team.sqlValue, secretID.sqlValue], Grant.stored)
    }

    /// One statement, so two requests for the same secret (on any node) leave one grant.
    static let upsertSQL = Grant.sql.insertRow + " ON CONFLICT (team_id, secret_id) DO UPDATE SET "
        + Grant.sql.columns.filter { !["team_id", "secret_id", "created_at"].contains($0) }
            .map { "\($0) = excluded.\($0)" }.joined(separator: ", ")
        + " RETURNING id, created_at"

    func upsert(_ grant: Grant) throws -> Stored<Grant> {
        guard var row = try db.query(Self.upsertSQL, grant.values).first else {
            throw StorageError.failed("the grant upsert returned no row")
        }
        var saved = Stored(id: try row.next(), grant)
        saved.createdAt = try row.next()
        return saved
    }

    func delete(team: TeamID, secretID: String) throws -> Bool {
        try db.execute("DELETE FROM grants WHERE team_id = ? AND secret_id = ?", team, secretID) > 0
    }

    func liveGrants(team: TeamID, accessKeys: [String], now: Date) throws -> [Stored<Grant>] {
        guard !accessKeys.isEmpty else { return [] }
        return try db.all(
            Grant.sql.select + """
                 WHERE team_id = ? AND access_key IN (\(placeholders(accessKeys.count)))
                AND (expires_at IS NULL OR expires_at > ?) ORDER BY created_at, id
                """,
            [team.sqlValue] + accessKeys.map(\.sqlValue) + [now.sqlValue], Grant.stored)
    }

    func liveGrants(team: TeamID, search: String?, now: Date, limit: Int, offset: Int) throws -> [Stored<Grant>] {
        var sql = Grant.sql.select + " WHERE team_id = ? AND (expires_at IS NULL OR expires_at > ?)"
        var arguments = [team.sqlValue, now.sqlValue]
        if let search, !search.isEmpty {
            // LIKE with its wildcards escaped: the search is text, not a pattern.
            let escaped = search.lowercased().replacingOccurrences(of: "\\", with: "\\\\")
                .replacingOccurrences(of: "%", with: "\\%").replacingOccurrences(of: "_", with: "\\_")
            sql += " AND (lower(site_url) LIKE ? ESCAPE '\\' OR lower(secret_id) LIKE ? ESCAPE '\\')"
            arguments += ["%\(escaped)%".sqlValue, "%\(escaped)%".sqlValue]
        }
        sql += " ORDER BY updated_at DESC, id DESC LIMIT ? OFFSET ?"
        arguments += [limit.sqlValue, offset.sqlValue]
        return try db.all(sql, arguments, Grant.stored)
    }

    func purgeExpired(now: Date, team: TeamID?) throws -> Int {
        guard let team else {
            return try db.execute("DELETE FROM grants WHERE expires_at IS NOT NULL AND expires_at <= ?", now)
        }
        return try db.execute("DELETE FROM grants WHERE team_id = ? AND expires_at IS NOT NULL AND expires_at <= ?", team, now)
    }
}

struct SQLTeamLogStore: TeamLogStore {
    let db: any SQLConnection

    func record(_ event: TeamEvent) throws {
        let _: RecordID<TeamEvent> = try db.insertReturningID(TeamEvent.sql.insert, event.values)
    }

    func events(team: TeamID) throws -> [Stored<TeamEvent>] {
        try db.all(TeamEvent.sql.select + " WHERE team_id = ? ORDER BY occurred_at DESC, id DESC", [team.sqlValue], TeamEvent.stored)
    }

    func record(_ login: SupportLogin) throws {
        let _: RecordID<SupportLogin> = try db.insertReturningID(SupportLogin.sql.insert, login.values)
    }

    func supportLogins(
        team: TeamID, since: Date, before: Date, site: String?, vendorUser: Int64?
    ) throws -> [Stored<SupportLogin>] {
        var sql = SupportLogin.sql.select + " WHERE team_id = ? AND occurred_at >= ? AND occurred_at < ?"
        var arguments = [team.sqlValue, since.sqlValue, before.sqlValue]
        if let site {
            // A site is named by its secret id, or by the grant's numeric id.
            if let grantID = Int64(site) {
                sql += " AND (secret_id = ? OR grant_id = ?)"
                arguments += [site.sqlValue, grantID.sqlValue]
            } else {
                sql += " AND secret_id = ?"
                arguments.append(site.sqlValue)
            }
        }
        if let vendorUser {
            sql += " AND user_id = ?"
            arguments.append(vendorUser.sqlValue)
        }
        return try db.all(sql + " ORDER BY occurred_at DESC, id DESC", arguments, SupportLogin.stored)
    }

    func record(_ attempt: LoginAttempt) throws {
        try db.execute(LoginAttempt.insert, attempt.values)
    }

    func loginAttempts(team: TeamID, limit: Int, offset: Int) throws -> [LoginAttempt] {
        try db.all(
            LoginAttempt.select + " WHERE team_id = ? ORDER BY received_at DESC, id DESC LIMIT ? OFFSET ?",
            [team.sqlValue, limit.sqlValue, offset.sqlValue], LoginAttempt.init(row:))
    }

    func lastSupportLogins(team: TeamID) throws -> [String: Date] {
        let rows = try db.all("SELECT secret_id, max(occurred_at) FROM support_logins WHERE team_id = ? GROUP BY secret_id", [team.sqlValue]) { row in
            (try row.next(String.self), try row.next(Date.self))
        }
        return Dictionary(rows, uniquingKeysWith: max)
    }

    func loginAttempts(team: TeamID, secretID: String?, limit: Int, offset: Int) throws -> (page: [LoginAttempt], total: Int) {
        var filter = " WHERE team_id = ?"
        var arguments = [team.sqlValue]
        if let secretID {
            filter += " AND secret_id = ?"
            arguments.append(secretID.sqlValue)
        }
        let total = try db.first("SELECT count(*) FROM login_attempts" + filter, arguments) { try $0.next(Int.self) } ?? 0
        let page = try db.all(
            LoginAttempt.select + filter + " ORDER BY received_at DESC, id DESC LIMIT ? OFFSET ?",
            arguments + [limit.sqlValue, offset.sqlValue], LoginAttempt.init(row:))
        return (page, total)
    }

    func loginAttemptTimes(team: TeamID, since: Date) throws -> [Date] {
        try db.all("SELECT received_at FROM login_attempts WHERE team_id = ? AND received_at >= ?", [team.sqlValue, since.sqlValue]) { row in
            try row.next(Date.self)
        }
    }

    func loginAttemptCount(team: TeamID) throws -> Int {
        try db.first("SELECT count(*) FROM login_attempts WHERE team_id = ?", [team.sqlValue]) { try $0.next(Int.self) } ?? 0
    }

    func loginAttempt(id: String, team: TeamID) throws -> LoginAttempt? {
        try db.first(LoginAttempt.select + " WHERE id = ? AND team_id = ?", [id.sqlValue, team.sqlValue], LoginAttempt.init(row:))
    }

    func recentAttempts(team: TeamID, secretID: String?, since: Date) throws -> (count: Int, oldest: Date?) {
        var sql = "SELECT count(*), min(received_at) FROM login_attempts WHERE team_id = ? AND received_at > ?"
        var arguments = [team.sqlValue, since.sqlValue]
        if let secretID {
            sql += " AND secret_id = ?"
            arguments.append(secretID.sqlValue)
        }
        return try db.first(sql, arguments) { row in (try row.next(Int.self), try row.next(Date?.self)) } ?? (0, nil)
    }

    func purge(before: Date) throws -> Int {
        try db.execute("DELETE FROM support_logins WHERE occurred_at < ?", before)
            + db.execute("DELETE FROM login_attempts WHERE received_at < ?", before)
            + db.execute("DELETE FROM team_events WHERE occurred_at < ?", before)
    }
}

struct SQLNonceStore: NonceStore {
    let db: any SQLConnection

    func use(_ nonce: String, team: TeamID, at time: Date) throws -> Bool {
        try db.execute(
            "INSERT INTO vendor_nonces (team_id, nonce, seen_at) VALUES (?, ?, ?) ON CONFLICT (team_id, nonce) DO NOTHING",
            team, nonce, time) == 1
    }

    func purgeRequestNonces(before: Date) throws -> Int {
        try db.execute("DELETE FROM vendor_nonces WHERE nonce LIKE 'v2:%' AND seen_at < ?", before)
    }
}

struct SQLSigningKeyStore: SigningKeyStore {
    let db: any SQLConnection

    func key(purpose: String) throws -> SigningKey? {
        try db.first(SigningKey.select + " WHERE purpose = ?", [purpose.sqlValue], SigningKey.init(row:))
    }

    /// Two nodes making the key at once: one insert wins, and both read the winner's key.
    func insertIfAbsent(_ key: SigningKey) throws -> SigningKey {
        try db.execute(
            """
            INSERT INTO signing_keys (purpose, public_key, private_key_sealed, created_at) VALUES (?, ?, ?, ?)
            ON CONFLICT (purpose) DO NOTHING
            """, key.values)
        guard let stored = try self.key(purpose: key.purpose) else {
            throw StorageError.failed("the signing key for \(key.purpose) was neither inserted nor found")
        }
        return stored
    }
}

struct SQLMetadataStore: MetadataStore {
    let db: any SQLConnection

    func value(_ name: MetadataName) throws -> String? {
        try db.first("SELECT value FROM vestibule_meta WHERE name = ?", [name.rawValue.sqlValue]) { try $0.next(String.self) }
    }

    func insertIfAbsent(_ name: MetadataName, _ value: String) throws -> String {
        try db.execute("INSERT INTO vestibule_meta (name, value) VALUES (?, ?) ON CONFLICT (name) DO NOTHING", name.rawValue, value)
        guard let stored = try self.value(name) else { throw StorageError.failed("\(name.rawValue) was neither inserted nor found") }
        return stored
    }
}
