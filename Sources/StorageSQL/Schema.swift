import Storage

/// Every table Vestibule keeps, parents before children, with every column: what
/// `vestibule import-sqlite` copies, and what the schema tests hold both dialects' migrations to.
public struct SchemaTable: Sendable {
    public let name: String
    public let columns: [String]
    /// The columns that order a copy and identify a row.
    public let key: [String]
    /// True when `id` is numbered by the database (PostgreSQL's identity sequence is moved past
    /// the copied ids).
    public let numbered: Bool

    init(_ sql: TableSQL) {
        name = sql.table
        columns = ["id"] + sql.columns
        key = ["id"]
        numbered = true
    }

    init(name: String, columns: [String], key: [String], numbered: Bool = false) {
        self.name = name
        self.columns = columns
        self.key = key
        self.numbered = numbered
    }
}

public enum Schema {
    public static let tables: [SchemaTable] = [
        SchemaTable(User.sql),
        SchemaTable(Session.sql),
        SchemaTable(Identity.sql),
        SchemaTable(TrezorChallenge.sql),
        SchemaTable(TrusteeAttempt.sql),
        SchemaTable(
            name: "login_failures", columns: ["id", "method", "scope", "subject", "failed_at", "pending"], key: ["id"],
            numbered: true),
        SchemaTable(name: "login_bans", columns: ["method", "scope", "subject", "banned_until"], key: ["method", "scope", "subject"]),
        SchemaTable(Team.sql),
        SchemaTable(Membership.sql),
        SchemaTable(APIToken.sql),
        SchemaTable(Invitation.sql),
        SchemaTable(ConnectToken.sql),
        SchemaTable(TeamToken.sql),
        SchemaTable(Grant.sql),
        SchemaTable(SupportLogin.sql),
        SchemaTable(name: "login_attempts", columns: LoginAttempt.columns, key: ["id"]),
        SchemaTable(TeamEvent.sql),
        SchemaTable(name: "vendor_nonces", columns: ["team_id", "nonce", "seen_at"], key: ["team_id", "nonce"]),
        SchemaTable(
            name: "signing_keys", columns: ["id", "purpose", "public_key", "private_key_sealed", "created_at"], key: ["id"],
            numbered: true),
        SchemaTable(name: "vestibule_meta", columns: ["name", "value"], key: ["name"]),
    ]
}
