import Foundation
import Storage

extension TeamRole: SQLBindable, SQLReadable {
    public var sqlValue: SQLValue { .text(rawValue) }
    public init(sqlValue: SQLValue) throws(SQLDecodingError) {
        guard let role = TeamRole(rawValue: try String(sqlValue: sqlValue)) else {
            throw SQLDecodingError(expected: "a team role", found: sqlValue)
        }
        self = role
    }
}

extension Membership: SQLRecord {
    static let sql = TableSQL(table: "team_members", columns: ["team_id", "user_id", "role", "created_at"])

    init(row: inout SQLRow) throws {
        self.init(teamID: try row.next(), userID: try row.next(), role: try row.next(), at: try row.next())
    }

    var values: [SQLValue] { [teamID.sqlValue, userID.sqlValue, role.sqlValue, createdAt.sqlValue] }
}

extension APIToken: SQLRecord {
    static let sql = TableSQL(table: "api_tokens", columns: ["user_id", "name", "lookup", "created_at", "last_used_at"])

    init(row: inout SQLRow) throws {
        self.init(userID: try row.next(), name: try row.next(), lookup: try row.next(), at: try row.next())
        lastUsedAt = try row.next()
    }

    var values: [SQLValue] { [userID.sqlValue, name.sqlValue, lookup.sqlValue, createdAt.sqlValue, lastUsedAt.sqlValue] }
}

struct SQLMembershipStore: MembershipStore {
    let db: any SQLConnection

    func add(_ membership: Membership) throws -> Stored<Membership> {
        Stored(id: try db.insertReturningID(Membership.sql.insert, membership.values), membership)
    }

    func membership(team: TeamID, user: UserID) throws -> Stored<Membership>? {
        try db.first(Membership.sql.select + " WHERE team_id = ? AND user_id = ?", [team.sqlValue, user.sqlValue], Membership.stored)
    }

    func members(of team: TeamID) throws -> [Stored<Membership>] {
        try db.all(Membership.sql.select + " WHERE team_id = ? ORDER BY created_at, id", [team.sqlValue], Membership.stored)
    }

    func teams(of user: UserID) throws -> [Stored<Membership>] {
        try db.all(Membership.sql.select + " WHERE user_id = ? ORDER BY created_at, id", [user.sqlValue], Membership.stored)
    }

    func setRole(team: TeamID, user: UserID, to role: TeamRole) throws -> Bool {
        try db.execute("UPDATE team_members SET role = ? WHERE team_id = ? AND user_id = ?", role, team, user) == 1
    }

    func remove(team: TeamID, user: UserID) throws -> Bool {
        try db.execute("DELETE FROM team_members WHERE team_id = ? AND user_id = ?", team, user) == 1
    }

    func count(team: TeamID, role: TeamRole) throws -> Int {
        try db.first("SELECT count(*) FROM team_members WHERE team_id = ? AND role = ?", [team.sqlValue, role.sqlValue]) { row in
            try row.next(Int.self)
        } ?? 0
    }
}

struct SQLAPITokenStore: APITokenStore {
    let db: any SQLConnection

    func insert(_ token: APIToken) throws -> Stored<APIToken> {
        Stored(id: try db.insertReturningID(APIToken.sql.insert, token.values), token)
    }

    func token(lookup: String) throws -> Stored<APIToken>? {
        try db.first(APIToken.sql.select + " WHERE lookup = ?", [lookup.sqlValue], APIToken.stored)
    }

    func tokens(of user: UserID) throws -> [Stored<APIToken>] {
        try db.all(APIToken.sql.select + " WHERE user_id = ? ORDER BY created_at DESC, id DESC", [user.sqlValue], APIToken.stored)
    }

    func touch(_ id: APITokenID, at time: Date) throws {
        try db.execute("UPDATE api_tokens SET last_used_at = ? WHERE id = ?", time, id)
    }

    func delete(_ id: APITokenID, of user: UserID) throws -> Bool {
        try db.execute("DELETE FROM api_tokens WHERE id = ? AND user_id = ?", id, user) == 1
    }
}

extension Invitation: SQLRecord {
    static let sql = TableSQL(
        table: "invitations",
        columns: ["team_id", "role", "email", "name", "lookup", "created_by", "created_at", "expires_at", "used_at", "used_by"])

    init(row: inout SQLRow) throws {
        self.init(
            teamID: try row.next(), role: try row.next(), email: try row.next(), name: try row.next(), lookup: try row.next(),
            createdBy: try row.next(), at: try row.next(), expiresAt: try row.next())
        usedAt = try row.next()
        usedBy = try row.next()
    }

    var values: [SQLValue] {
        [teamID.sqlValue, role.sqlValue, email.sqlValue, name.sqlValue, lookup.sqlValue, createdBy.sqlValue, createdAt.sqlValue,
         expiresAt.sqlValue, usedAt.sqlValue, usedBy.sqlValue]
    }
}

struct SQLInvitationStore: InvitationStore {
    let db: any SQLConnection

    func insert(_ invitation: Invitation) throws -> Stored<Invitation> {
        Stored(id: try db.insertReturningID(Invitation.sql.insert, invitation.values), invitation)
    }

    func invitation(lookup: String) throws -> Stored<Invitation>? {
        try db.first(Invitation.sql.select + " WHERE lookup = ?", [lookup.sqlValue], Invitation.stored)
    }

    func pending(team: TeamID, now: Date) throws -> [Stored<Invitation>] {
        try db.all(
            Invitation.sql.select + " WHERE team_id = ? AND used_at IS NULL AND expires_at > ? ORDER BY created_at DESC, id DESC",
            [team.sqlValue, now.sqlValue], Invitation.stored)
    }

    func markUsed(_ id: InvitationID, by user: UserID, at time: Date) throws -> Bool {
        try db.execute("UPDATE invitations SET used_at = ?, used_by = ? WHERE id = ? AND used_at IS NULL", time, user, id) == 1
    }

    func delete(_ id: InvitationID, team: TeamID) throws -> Bool {
        try db.execute("DELETE FROM invitations WHERE id = ? AND team_id = ?", id, team) == 1
    }

    func purge(before: Date) throws -> Int {
        try db.execute("DELETE FROM invitations WHERE expires_at <= ?", before)
    }
}

extension ConnectToken: SQLRecord {
    static let sql = TableSQL(table: "connect_tokens", columns: ["user_id", "lookup", "team_ids", "nonce", "created_at", "expires_at"])

    init(row: inout SQLRow) throws {
        let user: UserID = try row.next()
        let lookup: String = try row.next()
        let teams: String = try row.next()
        self.init(
            userID: user, lookup: lookup, teamIDs: teams.split(separator: ",").compactMap { Int64($0) }.map { TeamID(rawValue: $0) },
            nonce: try row.next(), at: try row.next(), expiresAt: try row.next())
    }

    var values: [SQLValue] {
        [userID.sqlValue, lookup.sqlValue, teamIDs.map { String($0.rawValue) }.joined(separator: ",").sqlValue, nonce.sqlValue,
         createdAt.sqlValue, expiresAt.sqlValue]
    }
}

extension TeamToken: SQLRecord {
    static let sql = TableSQL(table: "team_tokens", columns: ["connect_token_id", "team_id", "lookup", "used_at"])

    init(row: inout SQLRow) throws {
        self.init(connectTokenID: try row.next(), teamID: try row.next(), lookup: try row.next())
        usedAt = try row.next()
    }

    var values: [SQLValue] { [connectTokenID.sqlValue, teamID.sqlValue, lookup.sqlValue, usedAt.sqlValue] }
}

struct SQLConnectStore: ConnectStore {
    let db: any SQLConnection

    func insert(_ token: ConnectToken) throws -> Stored<ConnectToken> {
        Stored(id: try db.insertReturningID(ConnectToken.sql.insert, token.values), token)
    }

    func connectToken(lookup: String) throws -> Stored<ConnectToken>? {
        try db.first(ConnectToken.sql.select + " WHERE lookup = ?", [lookup.sqlValue], ConnectToken.stored)
    }

    func insert(_ token: TeamToken) throws -> Stored<TeamToken> {
        Stored(id: try db.insertReturningID(TeamToken.sql.insert, token.values), token)
    }

    func teamToken(lookup: String) throws -> Stored<TeamToken>? {
        try db.first(TeamToken.sql.select + " WHERE lookup = ?", [lookup.sqlValue], TeamToken.stored)
    }

    func markUsed(_ id: TeamTokenID, at time: Date) throws -> Bool {
        try db.execute("UPDATE team_tokens SET used_at = ? WHERE id = ? AND used_at IS NULL", time, id) == 1
    }

    func purge(before: Date) throws -> Int {
        try db.execute("DELETE FROM connect_tokens WHERE expires_at <= ?", before)
    }
}
