import Foundation
import GRDB

/// Dates are stored as seconds since 1970 (REAL), so SQL can compare them.
public protocol TimestampedRecord: Codable, FetchableRecord, MutablePersistableRecord {}

extension TimestampedRecord {
    public static func databaseDateEncodingStrategy(for column: String) -> DatabaseDateEncodingStrategy {
        .timeIntervalSince1970
    }

    public static func databaseDateDecodingStrategy(for column: String) -> DatabaseDateDecodingStrategy {
        .timeIntervalSince1970
    }
}

public struct User: TimestampedRecord, MutablePersistableRecord, Sendable, Identifiable {
    public static let databaseTableName = "users"
    public var id: Int64?
    public var displayName: String
    public var createdAt: Date

    enum CodingKeys: String, CodingKey {
        case id
        case displayName = "display_name"
        case createdAt = "created_at"
    }

    public init(id: Int64? = nil, displayName: String, createdAt: Date) {
        self.id = id
        self.displayName = displayName
        self.createdAt = createdAt
    }

    public mutating func didInsert(_ inserted: InsertionSuccess) { id = inserted.rowID }
}

/// A browser session, anonymous (`userID == nil`) or signed in.
public struct StoredSession: TimestampedRecord, MutablePersistableRecord, Sendable, Identifiable {
    public static let databaseTableName = "sessions"
    public var id: Int64?
    public var tokenHash: Data
    public var userID: Int64?
    public var createdAt: Date
    public var lastSeenAt: Date
    /// The absolute end, however active the session is.
    public var expiresAt: Date
    public var ipAddress: String
    public var userAgent: String

    enum CodingKeys: String, CodingKey {
        case id
        case tokenHash = "token_hash"
        case userID = "user_id"
        case createdAt = "created_at"
        case lastSeenAt = "last_seen_at"
        case expiresAt = "expires_at"
        case ipAddress = "ip_address"
        case userAgent = "user_agent"
    }

    public init(
        id: Int64? = nil, tokenHash: Data, userID: Int64?, createdAt: Date, lastSeenAt: Date,
        expiresAt: Date, ipAddress: String, userAgent: String
    ) {
        self.id = id
        self.tokenHash = tokenHash
        self.userID = userID
        self.createdAt = createdAt
        self.lastSeenAt = lastSeenAt
        self.expiresAt = expiresAt
        self.ipAddress = ipAddress
        self.userAgent = userAgent
    }

    public mutating func didInsert(_ inserted: InsertionSuccess) { id = inserted.rowID }

    /// Still valid at `now` under an idle limit of `idleTimeout` seconds.
    public func isLive(at now: Date, idleTimeout: TimeInterval) -> Bool {
        now < expiresAt && now.timeIntervalSince(lastSeenAt) < idleTimeout
    }
}
