import Foundation
import Storage
import Support

/// One database connection inside one transaction, as a backend gives it to the shared stores.
/// SQL is written once, with `?` placeholders; a backend rewrites what its dialect needs (the
/// PostgreSQL driver numbers the placeholders) and prepares each statement once per connection.
/// A class: a store holding it then fits in an existential's inline buffer, so reaching a store
/// (`tx.sessions`) allocates nothing.
public protocol SQLConnection: AnyObject {
    /// Runs a statement; the rows it returns.
    func query(_ sql: String, _ arguments: [SQLValue]) throws -> [SQLRow]
    /// Runs a statement; how many rows it inserted, changed or deleted.
    @discardableResult func execute(_ sql: String, _ arguments: [SQLValue]) throws -> Int
    /// Holds a lock on each key, taken in the order given, until the transaction ends
    /// (PostgreSQL: `pg_advisory_xact_lock`). SQLite needs none: its write transactions already
    /// run one at a time.
    func serialize(on keys: [Int64]) throws
}

extension SQLConnection {
    func query(_ sql: String, _ arguments: any SQLBindable...) throws -> [SQLRow] {
        try query(sql, arguments.map(\.sqlValue))
    }

    @discardableResult
    func execute(_ sql: String, _ arguments: any SQLBindable...) throws -> Int {
        try execute(sql, arguments.map(\.sqlValue))
    }

    /// The first row's values decoded by `decode`, or nil when there is none.
    func first<T>(_ sql: String, _ arguments: [SQLValue], _ decode: (inout SQLRow) throws -> T) throws -> T? {
        guard var row = try query(sql, arguments).first else { return nil }
        return try decode(&row)
    }

    func all<T>(_ sql: String, _ arguments: [SQLValue], _ decode: (inout SQLRow) throws -> T) throws -> [T] {
        try query(sql, arguments).map { row in
            var row = row
            return try decode(&row)
        }
    }

    /// Runs an `INSERT ... RETURNING id`; the new row's id.
    func insertReturningID<Record>(_ sql: String, _ arguments: [SQLValue]) throws -> RecordID<Record> {
        guard var row = try query(sql, arguments).first else { throw StorageError.failed("INSERT returned no id: \(sql)") }
        return try row.next()
    }
}

/// `n` placeholders for an `IN (...)` list: `?, ?, ?`.
func placeholders(_ count: Int) -> String {
    Array(repeating: "?", count: count).joined(separator: ", ")
}

/// The transaction the shared stores run in: every store over the same connection.
public struct SQLTransaction: Transaction {
    let connection: any SQLConnection

    public init(_ connection: any SQLConnection) {
        self.connection = connection
    }

    public var accounts: any AccountStore { SQLAccountStore(db: connection) }
    public var sessions: any SessionStore { SQLSessionStore(db: connection) }
    public var trezorChallenges: any TrezorChallengeStore { SQLTrezorChallengeStore(db: connection) }
    public var trusteeAttempts: any TrusteeAttemptStore { SQLTrusteeAttemptStore(db: connection) }
    public var regulation: any RegulationStore { SQLRegulationStore(db: connection) }
    public var teams: any TeamStore { SQLTeamStore(db: connection) }
    public var memberships: any MembershipStore { SQLMembershipStore(db: connection) }
    public var apiTokens: any APITokenStore { SQLAPITokenStore(db: connection) }
    public var invitations: any InvitationStore { SQLInvitationStore(db: connection) }
    public var connect: any ConnectStore { SQLConnectStore(db: connection) }
    public var grants: any GrantStore { SQLGrantStore(db: connection) }
    public var teamLogs: any TeamLogStore { SQLTeamLogStore(db: connection) }
    public var nonces: any NonceStore { SQLNonceStore(db: connection) }
    public var signingKeys: any SigningKeyStore { SQLSigningKeyStore(db: connection) }
    public var metadata: any MetadataStore { SQLMetadataStore(db: connection) }

    public func serialize(on keys: [String]) throws {
        try connection.serialize(on: Set(keys.map(LockKey.hash)).sorted())
    }
}

/// The 64-bit number a lock name becomes (FNV-1a): stable across processes and releases, which
/// Swift's `hashValue` is not. Two names sharing a number only wait for each other needlessly.
public enum LockKey {
    public static func hash(_ name: String) -> Int64 {
        var hash: UInt64 = 0xcbf2_9ce4_8422_2325
        for byte in name.utf8 {
            hash ^= UInt64(byte)
            hash = hash &* 0x0000_0100_0000_01b3
        }
        return Int64(bitPattern: hash)
    }
}

/// A backend whose stores are the shared SQL ones: it only has to provide connections inside
/// transactions. `read` and `write` are written once, here.
public protocol SQLStorage: Storage {
    /// Runs `body` on a connection seeing committed data; it must not write.
    func readSQL<T>(_ body: (any SQLConnection) throws -> T) throws -> T
    /// Runs `body` in one transaction on one connection.
    func writeSQL<T>(_ body: (any SQLConnection) throws -> T) throws -> T
}

extension SQLStorage {
    @discardableResult
    public func read<T>(_ body: (any Transaction) throws -> T) throws -> T {
        try readSQL { connection in try body(SQLTransaction(connection)) }
    }

    @discardableResult
    public func write<T>(_ body: (any Transaction) throws -> T) throws -> T {
        try writeSQL { connection in try body(SQLTransaction(connection)) }
    }

    /// Records when the database was made, the first time it is migrated.
    public func recordCreation(at time: Date) throws {
        _ = try write { tx in try tx.metadata.insertIfAbsent(.createdAt, UTCDate.iso8601(time)) }
    }
}

/// The small write behind `checkHealth`: it fails the way a real write would.
public enum SQLProbe {
    public static func write(_ db: any SQLConnection, at time: Date) throws {
        try db.execute(
            "INSERT INTO vestibule_meta (name, value) VALUES ('health_probe', ?) ON CONFLICT (name) DO UPDATE SET value = excluded.value",
            String(time.timeIntervalSince1970))
    }
}
