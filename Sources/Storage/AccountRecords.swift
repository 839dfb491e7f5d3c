import Foundation
import GRDB

/// A way one user signs in: a Trezor key, a Trustee token, a verified identity.
public struct Identity: TimestampedRecord, Sendable, Identifiable {
    public static let databaseTableName = "identities"
    public var id: Int64?
    public var userID: Int64
    public var method: String
    public var subject: String
    public var detail: String
    public var createdAt: Date
    public var lastUsedAt: Date

    enum CodingKeys: String, CodingKey {
        case id, method, subject, detail
        case userID = "user_id"
        case createdAt = "created_at"
        case lastUsedAt = "last_used_at"
    }

    public init(userID: Int64, method: String, subject: String, detail: String, at time: Date) {
        self.userID = userID
        self.method = method
        self.subject = subject
        self.detail = detail
        createdAt = time
        lastUsedAt = time
    }

    public mutating func didInsert(_ inserted: InsertionSuccess) { id = inserted.rowID }
}

public struct TrezorChallenge: TimestampedRecord, Sendable, Identifiable {
    public static let databaseTableName = "trezor_challenges"
    public var id: Int64?
    public var sessionID: Int64
    public var hidden: String
    public var visual: String
    public var createdAt: Date
    public var expiresAt: Date
    public var usedAt: Date?

    enum CodingKeys: String, CodingKey {
        case id, hidden, visual
        case sessionID = "session_id"
        case createdAt = "created_at"
        case expiresAt = "expires_at"
        case usedAt = "used_at"
    }

    public init(sessionID: Int64, hidden: String, visual: String, createdAt: Date, expiresAt: Date) {
        self.sessionID = sessionID
        self.hidden = hidden
        self.visual = visual
        self.createdAt = createdAt
        self.expiresAt = expiresAt
    }

    public mutating func didInsert(_ inserted: InsertionSuccess) { id = inserted.rowID }
}
