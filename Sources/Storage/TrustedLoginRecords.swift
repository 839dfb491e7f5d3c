import Foundation
import GRDB

public struct Team: TimestampedRecord, Sendable, Identifiable {
    public static let databaseTableName = "teams"
    public enum Status: String, Sendable, Codable { case active, paused, inactive }

    public var id: Int64?
    public var name: String
    public var status: Status
    public var publicKey: String
    public var bearerLookup: String
    public var tokenLookup: String
    public var apiKeyLookup: String
    public var privateKeySealed: Data
    public var apiEndpoint: String?
    public var signatureKey: String?
    public var verifiedAt: Date?
    public var createdAt: Date
    public var keysCycledAt: Date?

    enum CodingKeys: String, CodingKey {
        case id, name, status
        case publicKey = "public_key"
        case bearerLookup = "bearer_lookup"
        case tokenLookup = "token_lookup"
        case apiKeyLookup = "api_key_lookup"
        case privateKeySealed = "private_key_sealed"
        case apiEndpoint = "api_endpoint"
        case signatureKey = "signature_key"
        case verifiedAt = "verified_at"
        case createdAt = "created_at"
        case keysCycledAt = "keys_cycled_at"
    }

    public init(
        name: String, publicKey: String, bearerLookup: String, tokenLookup: String, apiKeyLookup: String,
        privateKeySealed: Data, createdAt: Date
    ) {
        self.name = name
        status = .active
        self.publicKey = publicKey
        self.bearerLookup = bearerLookup
        self.tokenLookup = tokenLookup
        self.apiKeyLookup = apiKeyLookup
        self.privateKeySealed = privateKeySealed
        self.createdAt = createdAt
    }

    public mutating func didInsert(_ inserted: InsertionSuccess) { id = inserted.rowID }
}

/// A support-access grant from one customer site (the SaaS calls it a site or a secret).
public struct Grant: TimestampedRecord, Sendable, Identifiable {
    public static let databaseTableName = "grants"
    public var id: Int64?
    public var teamID: Int64
    public var secretID: String
    public var accessKey: String
    public var identifier: String
    public var siteURL: String
    public var clientPublicKey: String
    public var nonce: String
    public var metaData: String
    public var wpUserID: Int64?
    public var expiresAt: Date?
    public var version: String?
    public var createdAt: Date
    public var updatedAt: Date

    enum CodingKeys: String, CodingKey {
        case id, identifier, nonce, version
        case teamID = "team_id"
        case secretID = "secret_id"
        case accessKey = "access_key"
        case siteURL = "site_url"
        case clientPublicKey = "client_public_key"
        case metaData = "meta_data"
        case wpUserID = "wp_user_id"
        case expiresAt = "expires_at"
        case createdAt = "created_at"
        case updatedAt = "updated_at"
    }

    public init(
        teamID: Int64, secretID: String, accessKey: String, identifier: String, siteURL: String,
        clientPublicKey: String, nonce: String, metaData: String, wpUserID: Int64?, expiresAt: Date?,
        version: String?, at time: Date
    ) {
        self.teamID = teamID
        self.secretID = secretID
        self.accessKey = accessKey
        self.identifier = identifier
        self.siteURL = siteURL
        self.clientPublicKey = clientPublicKey
        self.nonce = nonce
        self.metaData = metaData
        self.wpUserID = wpUserID
        self.expiresAt = expiresAt
        self.version = version
        createdAt = time
        updatedAt = time
    }

    public mutating func didInsert(_ inserted: InsertionSuccess) { id = inserted.rowID }

    public func isLive(at now: Date) -> Bool { expiresAt.map { $0 > now } ?? true }
}

public struct SupportLogin: TimestampedRecord, Sendable, Identifiable {
    public static let databaseTableName = "support_logins"
    public var id: Int64?
    public var teamID: Int64
    public var grantID: Int64?
    public var secretID: String
    public var siteURL: String
    public var event: String
    public var userID: Int64?
    public var userName: String?
    public var userAgent: String?
    public var ipAddress: String?
    public var occurredAt: Date

    enum CodingKeys: String, CodingKey {
        case id, event
        case teamID = "team_id"
        case grantID = "grant_id"
        case secretID = "secret_id"
        case siteURL = "site_url"
        case userID = "user_id"
        case userName = "user_name"
        case userAgent = "user_agent"
        case ipAddress = "ip_address"
        case occurredAt = "occurred_at"
    }

    public init(
        teamID: Int64, grantID: Int64?, secretID: String, siteURL: String, event: String, userID: Int64? = nil,
        userName: String? = nil, userAgent: String? = nil, ipAddress: String? = nil, at time: Date
    ) {
        self.teamID = teamID
        self.grantID = grantID
        self.secretID = secretID
        self.siteURL = siteURL
        self.event = event
        self.userID = userID
        self.userName = userName
        self.userAgent = userAgent
        self.ipAddress = ipAddress
        occurredAt = time
    }

    public mutating func didInsert(_ inserted: InsertionSuccess) { id = inserted.rowID }
}

/// A failed support login a customer site reported (`lpat_<uuid>`).
public struct LoginAttempt: TimestampedRecord, Sendable, Identifiable {
    public static let databaseTableName = "login_attempts"
    public var id: String
    public var teamID: Int64
    public var secretID: String
    public var code: String
    public var detailedReason: String
    public var identifierHash: String?
    public var clientSiteURL: String
    public var clientUserAgent: String?
    public var clientIP: String?
    public var attemptedAt: Date
    public var receivedAt: Date

    enum CodingKeys: String, CodingKey {
        case id, code
        case teamID = "team_id"
        case secretID = "secret_id"
        case detailedReason = "detailed_reason"
        case identifierHash = "identifier_hash"
        case clientSiteURL = "client_site_url"
        case clientUserAgent = "client_user_agent"
        case clientIP = "client_ip"
        case attemptedAt = "attempted_at"
        case receivedAt = "received_at"
    }

    public init(
        id: String, teamID: Int64, secretID: String, code: String, detailedReason: String, identifierHash: String?,
        clientSiteURL: String, clientUserAgent: String?, clientIP: String?, attemptedAt: Date, receivedAt: Date
    ) {
        self.id = id
        self.teamID = teamID
        self.secretID = secretID
        self.code = code
        self.detailedReason = detailedReason
        self.identifierHash = identifierHash
        self.clientSiteURL = clientSiteURL
        self.clientUserAgent = clientUserAgent
        self.clientIP = clientIP
        self.attemptedAt = attemptedAt
        self.receivedAt = receivedAt
    }
}

public struct TeamEvent: TimestampedRecord, Sendable, Identifiable {
    public static let databaseTableName = "team_events"
    public var id: Int64?
    public var teamID: Int64
    public var event: String
    public var detail: String
    public var siteURL: String?
    public var userAgent: String?
    public var ipAddress: String?
    public var occurredAt: Date

    enum CodingKeys: String, CodingKey {
        case id, event, detail
        case teamID = "team_id"
        case siteURL = "site_url"
        case userAgent = "user_agent"
        case ipAddress = "ip_address"
        case occurredAt = "occurred_at"
    }

    public init(
        teamID: Int64, event: String, detail: String = "", siteURL: String? = nil, userAgent: String? = nil,
        ipAddress: String? = nil, at time: Date
    ) {
        self.teamID = teamID
        self.event = event
        self.detail = detail
        self.siteURL = siteURL
        self.userAgent = userAgent
        self.ipAddress = ipAddress
        occurredAt = time
    }

    public mutating func didInsert(_ inserted: InsertionSuccess) { id = inserted.rowID }
}

public struct SigningKeyRecord: TimestampedRecord, Sendable {
    public static let databaseTableName = "signing_keys"
    public var id: Int64?
    public var purpose: String
    public var publicKey: String
    public var privateKeySealed: Data
    public var createdAt: Date

    enum CodingKeys: String, CodingKey {
        case id, purpose
        case publicKey = "public_key"
        case privateKeySealed = "private_key_sealed"
        case createdAt = "created_at"
    }

    public init(purpose: String, publicKey: String, privateKeySealed: Data, createdAt: Date) {
        self.purpose = purpose
        self.publicKey = publicKey
        self.privateKeySealed = privateKeySealed
        self.createdAt = createdAt
    }

    public mutating func didInsert(_ inserted: InsertionSuccess) { id = inserted.rowID }
}
