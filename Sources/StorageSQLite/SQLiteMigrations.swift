internal import GRDB
import StorageSQL

/// SQLite's schema, as an append-only list of migrations. A migration that has shipped is never
/// edited: a change is a new migration at the end, with the same version in
/// `PostgresMigrations` (StoragePostgres) and the tables it adds in `Schema.tables`.
enum SQLiteMigrations {
    static var migrator: DatabaseMigrator {
        var migrator = DatabaseMigrator()
        migrator.registerMigration("001-users-and-sessions", migrate: createUsersAndSessions)
        migrator.registerMigration("002-identities-challenges-regulation", migrate: createIdentitiesChallengesRegulation)
        migrator.registerMigration("003-trustedlogin", migrate: createTrustedLogin)
        migrator.registerMigration("004-metadata", migrate: createMetadata)
        migrator.registerMigration("005-team-lookup-scheme", migrate: addTeamLookupScheme)
        migrator.registerMigration("006-trustee-attempts", migrate: createTrusteeAttempts)
        migrator.registerMigration("007-team-members-and-api-tokens", migrate: createTeamMembersAndAPITokens)
        migrator.registerMigration("008-invitations", migrate: createInvitations)
        migrator.registerMigration("009-operators", migrate: addOperators)
        migrator.registerMigration("010-connect-tokens", migrate: createConnectTokens)
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

    /// TrustedLogin: teams (their keys hashed for lookup, the private key sealed for v2 HMAC),
    /// grants from customer sites, what happened to them, and the envelope signing key.
    private static func createTrustedLogin(_ db: Database) throws {
        try db.create(table: "teams") { t in
            t.autoIncrementedPrimaryKey("id")
            t.column("name", .text).notNull()
            // active, paused (after a brute-force report), or inactive (not in good standing)
            t.column("status", .text).notNull().defaults(to: "active")
            t.column("public_key", .text).notNull().unique()
            // SHA-256 of the v1 bearer (itself SHA-256 of the private key) and of X-TL-TOKEN, and of
            // the private key itself (the logs' api_key): what arrives is hashed and looked up.
            t.column("bearer_lookup", .text).notNull().unique()
            t.column("token_lookup", .text).notNull().unique()
            t.column("api_key_lookup", .text).notNull().unique()
            // AES-GCM of the private key: the v2 bearer is an HMAC keyed with it.
            t.column("private_key_sealed", .blob).notNull()
            t.column("api_endpoint", .text)
            t.column("signature_key", .text)
            t.column("verified_at", .double)
            t.column("created_at", .double).notNull()
            t.column("keys_cycled_at", .double)
        }
        try db.create(table: "grants") { t in
            t.autoIncrementedPrimaryKey("id")
            t.column("team_id", .integer).notNull().references("teams", onDelete: .cascade)
            // Chosen by the client: unique within a team, so one team learns nothing of another's.
            t.column("secret_id", .text).notNull()
            t.column("access_key", .text).notNull()
            t.column("identifier", .text).notNull()
            t.column("site_url", .text).notNull()
            t.column("client_public_key", .text).notNull()
            t.column("nonce", .text).notNull()
            // metaData as PHP's json_encode writes it, members in the order the client sent them.
            t.column("meta_data", .text).notNull().defaults(to: "[]")
            t.column("wp_user_id", .integer)
            // NULL: no expiry (expiresAt false).
            t.column("expires_at", .double)
            t.column("version", .text)
            t.column("created_at", .double).notNull()
            t.column("updated_at", .double).notNull()
        }
        try db.create(index: "grants_by_secret", on: "grants", columns: ["team_id", "secret_id"], unique: true)
        try db.create(index: "grants_by_access_key", on: "grants", columns: ["team_id", "access_key"])
        try db.create(index: "grants_by_expiry", on: "grants", columns: ["expires_at"])
        try db.create(table: "support_logins") { t in
            t.autoIncrementedPrimaryKey("id")
            t.column("team_id", .integer).notNull().references("teams", onDelete: .cascade)
            t.column("grant_id", .integer)
            t.column("secret_id", .text).notNull()
            t.column("site_url", .text).notNull().defaults(to: "")
            // "login" (verify-identifier, the customer site) or "envelope" (get-envelope, the vendor)
            t.column("event", .text).notNull()
            t.column("user_id", .integer)
            t.column("user_name", .text)
            t.column("user_agent", .text)
            t.column("ip_address", .text)
            t.column("occurred_at", .double).notNull()
        }
        try db.create(index: "support_logins_by_team", on: "support_logins", columns: ["team_id", "occurred_at"])
        try db.create(table: "login_attempts") { t in
            t.primaryKey("id", .text)
            t.column("team_id", .integer).notNull().references("teams", onDelete: .cascade)
            t.column("secret_id", .text).notNull()
            t.column("code", .text).notNull()
            t.column("detailed_reason", .text).notNull().defaults(to: "")
            t.column("identifier_hash", .text)
            t.column("client_site_url", .text).notNull()
            t.column("client_user_agent", .text)
            t.column("client_ip", .text)
            t.column("attempted_at", .double).notNull()
            t.column("received_at", .double).notNull()
        }
        try db.create(index: "login_attempts_by_team", on: "login_attempts", columns: ["team_id", "received_at"])
        try db.create(index: "login_attempts_by_secret", on: "login_attempts", columns: ["team_id", "secret_id", "received_at"])
        try db.create(table: "team_events") { t in
            t.autoIncrementedPrimaryKey("id")
            t.column("team_id", .integer).notNull().references("teams", onDelete: .cascade)
            // verified, verification-failed, brute-force-reported, resumed, keys-cycled, ...
            t.column("event", .text).notNull()
            t.column("detail", .text).notNull().defaults(to: "")
            t.column("site_url", .text)
            t.column("user_agent", .text)
            t.column("ip_address", .text)
            t.column("occurred_at", .double).notNull()
        }
        try db.create(index: "team_events_by_team", on: "team_events", columns: ["team_id", "occurred_at"])
        // Nonces vendors signed (get-envelope) and v2 request nonces: each is good once.
        try db.create(table: "vendor_nonces") { t in
            t.column("team_id", .integer).notNull().references("teams", onDelete: .cascade)
            t.column("nonce", .text).notNull()
            t.column("seen_at", .double).notNull()
            t.primaryKey(["team_id", "nonce"])
        }
        try db.create(table: "signing_keys") { t in
            t.autoIncrementedPrimaryKey("id")
            t.column("purpose", .text).notNull().unique()
            t.column("public_key", .text).notNull()
            t.column("private_key_sealed", .blob).notNull()
            t.column("created_at", .double).notNull()
        }
    }

    /// How a team's lookup values were made: 1 (SHA-256, the rows before) until the program, which
    /// holds the secret key, makes them anew as HMACs (2) at start.
    private static func addTeamLookupScheme(_ db: Database) throws {
        try db.alter(table: "teams") { t in
            t.add(column: "lookup_scheme", .integer).notNull().defaults(to: 1)
        }
    }

    /// Facts about the database itself (when it was made, the secret key's check value), so a
    /// reset is visible and a node with another key refuses to start.
    private static func createMetadata(_ db: Database) throws {
        try db.create(table: "vestibule_meta") { t in
            t.primaryKey("name", .text)
            t.column("value", .text).notNull()
        }
    }

    /// Trustee sign-ins in progress. `session_id` has no foreign key: an approval rotates the
    /// session, deleting the old row, and the attempt moves to the new one in that transaction.
    private static func createTrusteeAttempts(_ db: Database) throws {
        try db.create(table: "trustee_attempts") { t in
            t.autoIncrementedPrimaryKey("id")
            t.column("public_id", .text).notNull().unique()
            t.column("session_id", .integer).notNull().indexed()
            t.column("unique_key", .text).notNull().unique()
            t.column("link", .text).notNull()
            // pending, approved, denied, expired
            t.column("state", .text).notNull()
            t.column("last_error", .text)
            t.column("created_at", .double).notNull()
            t.column("expires_at", .double).notNull().indexed()
            t.column("checked_at", .double)
            t.column("used_at", .double)
            t.column("created_account", .boolean).notNull().defaults(to: false)
        }
    }

    /// Team administration: who belongs to which team with which role, and personal API tokens
    /// (only an HMAC of each is kept).
    private static func createTeamMembersAndAPITokens(_ db: Database) throws {
        try db.alter(table: "teams") { t in t.add(column: "support_url", .text) }
        try db.alter(table: "users") { t in t.add(column: "email", .text) }
        try db.create(table: "team_members") { t in
            t.autoIncrementedPrimaryKey("id")
            t.column("team_id", .integer).notNull().references("teams", onDelete: .cascade)
            t.column("user_id", .integer).notNull().indexed().references("users", onDelete: .cascade)
            // owner, admin, member
            t.column("role", .text).notNull()
            t.column("created_at", .double).notNull()
            t.uniqueKey(["team_id", "user_id"])
        }
        try db.create(table: "api_tokens") { t in
            t.autoIncrementedPrimaryKey("id")
            t.column("user_id", .integer).notNull().indexed().references("users", onDelete: .cascade)
            t.column("name", .text).notNull()
            t.column("lookup", .text).notNull().unique()
            t.column("created_at", .double).notNull()
            t.column("last_used_at", .double)
        }
    }

    /// Invitations to teams: one use, expiring; only an HMAC of the token is kept.
    private static func createInvitations(_ db: Database) throws {
        try db.create(table: "invitations") { t in
            t.autoIncrementedPrimaryKey("id")
            t.column("team_id", .integer).notNull().indexed().references("teams", onDelete: .cascade)
            t.column("role", .text).notNull()
            t.column("email", .text).notNull()
            t.column("name", .text).notNull().defaults(to: "")
            t.column("lookup", .text).notNull().unique()
            t.column("created_by", .integer).references("users", onDelete: .setNull)
            t.column("created_at", .double).notNull()
            t.column("expires_at", .double).notNull()
            t.column("used_at", .double)
            t.column("used_by", .integer).references("users", onDelete: .setNull)
        }
    }

    /// Site operators, set at the command line (`vestibule user operator ID`).
    private static func addOperators(_ db: Database) throws {
        try db.alter(table: "users") { t in t.add(column: "operator", .boolean).notNull().defaults(to: false) }
    }

    /// The Connector's one-click connect: connect tokens (10 minutes) and one-use team tokens.
    private static func createConnectTokens(_ db: Database) throws {
        try db.create(table: "connect_tokens") { t in
            t.autoIncrementedPrimaryKey("id")
            t.column("user_id", .integer).notNull().indexed().references("users", onDelete: .cascade)
            t.column("lookup", .text).notNull().unique()
            // The team ids allowed, comma-separated.
            t.column("team_ids", .text).notNull()
            t.column("nonce", .text).notNull()
            t.column("created_at", .double).notNull()
            t.column("expires_at", .double).notNull()
        }
        try db.create(table: "team_tokens") { t in
            t.autoIncrementedPrimaryKey("id")
            t.column("connect_token_id", .integer).notNull().indexed().references("connect_tokens", onDelete: .cascade)
            t.column("team_id", .integer).notNull().references("teams", onDelete: .cascade)
            t.column("lookup", .text).notNull().unique()
            t.column("used_at", .double)
        }
    }
}
