import GRDB

/// The schema, as an append-only list of migrations. A migration that has shipped is never edited:
/// a change is a new migration at the end.
public enum Migrations {
    public static var migrator: DatabaseMigrator {
        var migrator = DatabaseMigrator()
        migrator.registerMigration("001-users-and-sessions", migrate: createUsersAndSessions)
        migrator.registerMigration("002-identities-challenges-regulation", migrate: createIdentitiesChallengesRegulation)
        return migrator
    }

    private static func createUsersAndSessions(_ db: Database) throws {
        try db.create(table: "users") { t in
            t.autoIncrementedPrimaryKey("id")
            t.column("display_name", .text).notNull().defaults(to: "")
            t.column("created_at", .double).notNull()
        }
        try db.create(table: "sessions") { t in
            t.autoIncrementedPrimaryKey("id")
            // SHA-256 of the cookie's token: the token itself is never stored.
            t.column("token_hash", .blob).notNull().unique()
            t.column("user_id", .integer).indexed().references("users", onDelete: .cascade)
            t.column("created_at", .double).notNull()
            t.column("last_seen_at", .double).notNull()
            t.column("expires_at", .double).notNull()
            t.column("ip_address", .text).notNull().defaults(to: "")
            t.column("user_agent", .text).notNull().defaults(to: "")
        }
        try db.create(index: "sessions_on_expiry", on: "sessions", columns: ["expires_at"])
    }

    /// One user, many identities: a Trezor public key, later a Trustee `userPublicToken`, a Trinsic
    /// verified person. Trezor challenges belong to the browser session that asked for them.
    /// Regulation counts failed logins per client address and per identity (Authelia's model).
    private static func createIdentitiesChallengesRegulation(_ db: Database) throws {
        try db.create(table: "identities") { t in
            t.autoIncrementedPrimaryKey("id")
            t.column("user_id", .integer).notNull().indexed().references("users", onDelete: .cascade)
            t.column("method", .text).notNull()
            // What the method identifies the person by (for Trezor: the public key, hex).
            t.column("subject", .text).notNull()
            // Shown beside it (for Trezor: the address).
            t.column("detail", .text).notNull().defaults(to: "")
            t.column("created_at", .double).notNull()
            t.column("last_used_at", .double).notNull()
            t.uniqueKey(["method", "subject"])
        }
        try db.create(table: "trezor_challenges") { t in
            t.autoIncrementedPrimaryKey("id")
            t.column("session_id", .integer).notNull().indexed().references("sessions", onDelete: .cascade)
            t.column("hidden", .text).notNull().unique()
            t.column("visual", .text).notNull()
            t.column("created_at", .double).notNull()
            t.column("expires_at", .double).notNull()
            t.column("used_at", .double)
        }
        try db.create(table: "login_failures") { t in
            t.autoIncrementedPrimaryKey("id")
            t.column("method", .text).notNull()
            // "ip" or "identity"
            t.column("scope", .text).notNull()
            t.column("subject", .text).notNull()
            t.column("failed_at", .double).notNull()
            // An attempt being checked right now: counted against the limit, not yet a failure.
            t.column("pending", .boolean).notNull().defaults(to: false)
        }
        try db.create(index: "login_failures_lookup", on: "login_failures", columns: ["method", "scope", "subject", "failed_at"])
        try db.create(table: "login_bans") { t in
            t.column("method", .text).notNull()
            t.column("scope", .text).notNull()
            t.column("subject", .text).notNull()
            t.column("banned_until", .double).notNull()
            t.primaryKey(["method", "scope", "subject"])
        }
    }
}
