import GRDB

/// The schema, as an append-only list of migrations. A migration that has shipped is never edited:
/// a change is a new migration at the end.
public enum Migrations {
    public static var migrator: DatabaseMigrator {
        var migrator = DatabaseMigrator()
        migrator.registerMigration("001-users-and-sessions", migrate: createUsersAndSessions)
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
}
