import Foundation
import Storage

/// The SQL a record's table is read and written with, worked out once from its column list.
struct TableSQL: Sendable {
    let table: String
    /// The columns after `id`, in the order a record reads and writes them.
    let columns: [String]
    /// `SELECT id, <columns> FROM <table>`
    let select: String
    /// `INSERT INTO <table> (<columns>) VALUES (?, ...)`
    let insertRow: String
    /// The same, `RETURNING id`.
    let insert: String

    init(table: String, columns: [String]) {
        self.table = table
        self.columns = columns
        select = "SELECT id, \(columns.joined(separator: ", ")) FROM \(table)"
        insertRow = "INSERT INTO \(table) (\(columns.joined(separator: ", "))) VALUES (\(placeholders(columns.count)))"
        insert = insertRow + " RETURNING id"
    }
}

/// A record stored in one table under a numeric id, mapped by hand: the columns in `sql.columns`
/// order, read by `init(row:)` and written by `values`.
protocol SQLRecord: Sendable {
    static var sql: TableSQL { get }
    init(row: inout SQLRow) throws
    var values: [SQLValue] { get }
}

extension SQLRecord {
    /// Reads `id, <columns>`.
    static func stored(_ row: inout SQLRow) throws -> Stored<Self> {
        Stored(id: try row.next(), try Self(row: &row))
    }
}

extension User: SQLRecord {
    static let sql = TableSQL(table: "users", columns: ["display_name", "created_at", "email", "operator"])

    init(row: inout SQLRow) throws {
        self.init(displayName: try row.next(), createdAt: try row.next())
        email = try row.next()
        isOperator = try row.next()
    }

    var values: [SQLValue] { [displayName.sqlValue, createdAt.sqlValue, email.sqlValue, isOperator.sqlValue] }
}

extension Identity: SQLRecord {
    static let sql = TableSQL(
        table: "identities", columns: ["user_id", "method", "subject", "detail", "created_at", "last_used_at"])

    init(row: inout SQLRow) throws {
        self.init(userID: try row.next(), method: try row.next(), subject: try row.next(), detail: try row.next(), at: try row.next())
        lastUsedAt = try row.next()
    }

    var values: [SQLValue] {
        [userID.sqlValue, method.sqlValue, subject.sqlValue, detail.sqlValue, createdAt.sqlValue, lastUsedAt.sqlValue]
    }
}

extension Session: SQLRecord {
    static let sql = TableSQL(
        table: "sessions",
        columns: ["token_hash", "user_id", "created_at", "last_seen_at", "expires_at", "ip_address", "user_agent"])

    init(row: inout SQLRow) throws {
        self.init(
            tokenHash: try row.next(), userID: try row.next(), createdAt: try row.next(), lastSeenAt: try row.next(),
            expiresAt: try row.next(), ipAddress: try row.next(), userAgent: try row.next())
    }

    var values: [SQLValue] {
        [tokenHash.sqlValue, userID.sqlValue, createdAt.sqlValue, lastSeenAt.sqlValue, expiresAt.sqlValue,
         ipAddress.sqlValue, userAgent.sqlValue]
    }
}

extension TrezorChallenge: SQLRecord {
    static let sql = TableSQL(
        table: "trezor_challenges", columns: ["session_id", "hidden", "visual", "created_at", "expires_at", "used_at"])

    init(row: inout SQLRow) throws {
        self.init(
            sessionID: try row.next(), hidden: try row.next(), visual: try row.next(), createdAt: try row.next(),
            expiresAt: try row.next())
        usedAt = try row.next()
    }

    var values: [SQLValue] {
        [sessionID.sqlValue, hidden.sqlValue, visual.sqlValue, createdAt.sqlValue, expiresAt.sqlValue, usedAt.sqlValue]
    }
}

extension TrusteeAttempt: SQLRecord {
    static let sql = TableSQL(
        table: "trustee_attempts",
        columns: [
            "public_id", "session_id", "unique_key", "link", "state", "last_error", "created_at", "expires_at", "checked_at",
            "used_at", "created_account",
        ])

    init(row: inout SQLRow) throws {
        self.init(
            publicID: try row.next(), sessionID: try row.next(), uniqueKey: try row.next(), link: try row.next(),
            createdAt: .distantPast, expiresAt: .distantPast)
        state = try row.next()
        lastError = try row.next()
        createdAt = try row.next()
        expiresAt = try row.next()
        checkedAt = try row.next()
        usedAt = try row.next()
        createdAccount = try row.next()
    }

    var values: [SQLValue] {
        [publicID.sqlValue, sessionID.sqlValue, uniqueKey.sqlValue, link.sqlValue, state.sqlValue, lastError.sqlValue,
         createdAt.sqlValue, expiresAt.sqlValue, checkedAt.sqlValue, usedAt.sqlValue, createdAccount.sqlValue]
    }
}

extension Team: SQLRecord {
    static let sql = TableSQL(
        table: "teams",
        columns: [
            "name", "status", "public_key", "bearer_lookup", "token_lookup", "api_key_lookup", "private_key_sealed",
            "lookup_scheme", "api_endpoint", "signature_key", "verified_at", "created_at", "keys_cycled_at", "support_url",
        ])

    init(row: inout SQLRow) throws {
        let name: String = try row.next()
        let status: Status = try row.next()
        let credentials = TeamCredentials(
            publicKey: try row.next(), bearerLookup: try row.next(), tokenLookup: try row.next(),
            apiKeyLookup: try row.next(), privateKeySealed: try row.next(), lookupScheme: try row.next())
        let apiEndpoint: String? = try row.next()
        let signatureKey: String? = try row.next()
        let verifiedAt: Date? = try row.next()
        self.init(name: name, credentials: credentials, createdAt: try row.next())
        self.status = status
        self.apiEndpoint = apiEndpoint
        self.signatureKey = signatureKey
        self.verifiedAt = verifiedAt
        keysCycledAt = try row.next()
        supportURL = try row.next()
    }

    var values: [SQLValue] {
        [name.sqlValue, status.sqlValue] + credentials.values
            + [apiEndpoint.sqlValue, signatureKey.sqlValue, verifiedAt.sqlValue, createdAt.sqlValue, keysCycledAt.sqlValue,
               supportURL.sqlValue]
    }
}

extension TeamCredentials {
    /// `public_key, bearer_lookup, token_lookup, api_key_lookup, private_key_sealed, lookup_scheme`
    var values: [SQLValue] {
        [publicKey.sqlValue, bearerLookup.sqlValue, tokenLookup.sqlValue, apiKeyLookup.sqlValue, privateKeySealed.sqlValue,
         lookupScheme.sqlValue]
    }
}

extension Grant: SQLRecord {
    static let sql = TableSQL(
        table: "grants",
        columns: [
            "team_id", "secret_id", "access_key", "identifier", "site_url", "client_public_key", "nonce", "meta_data",
            "wp_user_id", "expires_at", "version", "created_at", "updated_at",
        ])

    init(row: inout SQLRow) throws {
        self.init(
            teamID: try row.next(), secretID: try row.next(), accessKey: try row.next(), identifier: try row.next(),
            siteURL: try row.next(), clientPublicKey: try row.next(), nonce: try row.next(), metaData: try row.next(),
            wpUserID: try row.next(), expiresAt: try row.next(), version: try row.next(), at: try row.next())
        updatedAt = try row.next()
    }

    var values: [SQLValue] {
        [teamID.sqlValue, secretID.sqlValue, accessKey.sqlValue, identifier.sqlValue, siteURL.sqlValue,
         clientPublicKey.sqlValue, nonce.sqlValue, metaData.sqlValue, wpUserID.sqlValue, expiresAt.sqlValue,
         version.sqlValue, createdAt.sqlValue, updatedAt.sqlValue]
    }
}

extension SupportLogin: SQLRecord {
    static let sql = TableSQL(
        table: "support_logins",
        columns: [
            "team_id", "grant_id", "secret_id", "site_url", "event", "user_id", "user_name", "user_agent", "ip_address",
            "occurred_at",
        ])

    init(row: inout SQLRow) throws {
        self.init(
            teamID: try row.next(), grantID: try row.next(), secretID: try row.next(), siteURL: try row.next(),
            event: try row.next(), userID: try row.next(), userName: try row.next(), userAgent: try row.next(),
            ipAddress: try row.next(), at: try row.next())
    }

    var values: [SQLValue] {
        [teamID.sqlValue, grantID.sqlValue, secretID.sqlValue, siteURL.sqlValue, event.sqlValue, userID.sqlValue,
         userName.sqlValue, userAgent.sqlValue, ipAddress.sqlValue, occurredAt.sqlValue]
    }
}

extension TeamEvent: SQLRecord {
    static let sql = TableSQL(
        table: "team_events", columns: ["team_id", "event", "detail", "site_url", "user_agent", "ip_address", "occurred_at"])

    init(row: inout SQLRow) throws {
        self.init(
            teamID: try row.next(), event: try row.next(), detail: try row.next(), siteURL: try row.next(),
            userAgent: try row.next(), ipAddress: try row.next(), at: try row.next())
    }

    var values: [SQLValue] {
        [teamID.sqlValue, event.sqlValue, detail.sqlValue, siteURL.sqlValue, userAgent.sqlValue, ipAddress.sqlValue,
         occurredAt.sqlValue]
    }
}

/// Login attempts keep the id the API shows (`lpat_<uuid>`), chosen by Vestibule, not the database.
extension LoginAttempt {
    static let columns = [
        "id", "team_id", "secret_id", "code", "detailed_reason", "identifier_hash", "client_site_url",
        "client_user_agent", "client_ip", "attempted_at", "received_at",
    ]
    static let select = "SELECT \(columns.joined(separator: ", ")) FROM login_attempts"
    static let insert = "INSERT INTO login_attempts (\(columns.joined(separator: ", "))) VALUES (\(placeholders(columns.count)))"

    init(row: inout SQLRow) throws {
        self.init(
            id: try row.next(), teamID: try row.next(), secretID: try row.next(), code: try row.next(),
            detailedReason: try row.next(), identifierHash: try row.next(), clientSiteURL: try row.next(),
            clientUserAgent: try row.next(), clientIP: try row.next(), attemptedAt: try row.next(),
            receivedAt: try row.next())
    }

    var values: [SQLValue] {
        [id.sqlValue, teamID.sqlValue, secretID.sqlValue, code.sqlValue, detailedReason.sqlValue,
         identifierHash.sqlValue, clientSiteURL.sqlValue, clientUserAgent.sqlValue, clientIP.sqlValue,
         attemptedAt.sqlValue, receivedAt.sqlValue]
    }
}

extension SigningKey {
    static let select = "SELECT purpose, public_key, private_key_sealed, created_at FROM signing_keys"

    init(row: inout SQLRow) throws {
        self.init(purpose: try row.next(), publicKey: try row.next(), privateKeySealed: try row.next(), createdAt: try row.next())
    }

    var values: [SQLValue] { [purpose.sqlValue, publicKey.sqlValue, privateKeySealed.sqlValue, createdAt.sqlValue] }
}
