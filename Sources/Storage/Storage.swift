import Foundation

/// Where Vestibule keeps its state: SQLite (one node) or PostgreSQL (one or many nodes). Services
/// run one transaction per operation and reach every store through it:
///
///     try storage.write { tx in
///         let grant = try tx.grants.upsert(...)
///         try tx.teamLogs.record(...)
///     }
///
/// A body runs on the calling thread; it must not start another transaction (transactions do
/// not nest) and must not reach outside the database, since a write may be run again after a
/// serialization conflict.
public protocol Storage: Sendable {
    /// Runs `body` with a view of committed data. Its statements must not write.
    @discardableResult func read<T>(_ body: (any Transaction) throws -> T) throws -> T
    /// Runs `body` in one transaction: everything it writes commits together, or nothing does.
    @discardableResult func write<T>(_ body: (any Transaction) throws -> T) throws -> T
    /// Whether the database can be written right now, checked with a small write.
    func checkHealth() -> StorageHealth
    /// What to call this database in messages: the backend and the path or URL, never a password.
    var displayName: String { get }
    /// Applies the migrations that have not run; safe when several processes start at once.
    func migrate() throws -> MigrationReport
    func close()
}

/// The stores, reached inside one transaction.
public protocol Transaction {
    var accounts: any AccountStore { get }
    var sessions: any SessionStore { get }
    var trezorChallenges: any TrezorChallengeStore { get }
    var trusteeAttempts: any TrusteeAttemptStore { get }
    var regulation: any RegulationStore { get }
    var teams: any TeamStore { get }
    var memberships: any MembershipStore { get }
    var apiTokens: any APITokenStore { get }
    var invitations: any InvitationStore { get }
    var connect: any ConnectStore { get }
    var grants: any GrantStore { get }
    var teamLogs: any TeamLogStore { get }
    var nonces: any NonceStore { get }
    var signingKeys: any SigningKeyStore { get }
    var metadata: any MetadataStore { get }

    /// Until this transaction ends, any other transaction serializing on one of `keys`, in this
    /// process or another node's, waits: a rule that reads and then writes (a rate limit) holds
    /// across nodes. The keys are taken at once, in one order everywhere, so two transactions
    /// cannot wait on each other; take every key a transaction needs in one call.
    func serialize(on keys: [String]) throws
}

extension Transaction {
    public func serialize(on key: String) throws { try serialize(on: [key]) }
}

public struct MigrationReport: Sendable, Equatable {
    /// The migrations this call applied, in order.
    public let applied: [String]
    /// True when there was no database (or no schema) before: it was made now.
    public let createdDatabase: Bool

    public init(applied: [String], createdDatabase: Bool) {
        self.applied = applied
        self.createdDatabase = createdDatabase
    }
}

public enum StorageHealth: Sendable, Equatable {
    case ok
    /// Storage cannot be written; the reason is safe to show to an operator.
    case unavailable(reason: String)
}

/// What storage failed with, as services and the web layer need to tell it apart.
public enum StorageError: Error, Sendable, CustomStringConvertible {
    /// The database cannot be reached or written right now (connection lost, disk full, file
    /// gone): the request may succeed later, the answer is 503.
    case unavailable(reason: String)
    /// A uniqueness or reference rule refused the change.
    case conflict(String)
    /// Anything else (a bug, a schema out of step): details for the log only.
    case failed(String)

    public var description: String {
        switch self {
        case .unavailable(let reason): return "storage unavailable: \(reason)"
        case .conflict(let message): return "storage conflict: \(message)"
        case .failed(let message): return "storage failed: \(message)"
        }
    }
}

extension StorageHealth {
    /// A reason's first clause, before any `": "`: what may be shown to anyone (`/api/status`);
    /// the rest (host names, paths, the server's own words) goes to the log only.
    public static func summary(of reason: String) -> String {
        reason.components(separatedBy: ": ").first ?? reason
    }
}
