import Foundation

/// A TrustedLogin team: a vendor's account, with the keys its plugin and Connector use.
public struct Team: Codable, Sendable, Equatable {
    public enum Status: String, Sendable, Codable { case active, paused, inactive }

    public var name: String
    /// active, paused (after a brute-force report), or inactive (not in good standing)
    public var status: Status
    public var credentials: TeamCredentials
    public var apiEndpoint: String?
    public var signatureKey: String?
    public var verifiedAt: Date?
    public var createdAt: Date
    public var keysCycledAt: Date?
    /// Where the team's customers ask for help (team settings).
    public var supportURL: String?

    public init(name: String, credentials: TeamCredentials, createdAt: Date) {
        self.name = name
        status = .active
        self.credentials = credentials
        self.createdAt = createdAt
    }

    public var publicKey: String { credentials.publicKey }
}

/// What a team is found by: its public key, and lookup values of its secret credentials (never
/// the credentials themselves); the private key itself only sealed.
public struct TeamCredentials: Codable, Sendable, Equatable {
    public var publicKey: String
    public var bearerLookup: String
    public var tokenLookup: String
    public var apiKeyLookup: String
    public var privateKeySealed: Data
    /// How the lookup values were made: 1, SHA-256 of the credential (before 0.x; the api-key
    /// lookup was then the Connector's v1 bearer itself); 2, an HMAC under a subkey of the secret key.
    public var lookupScheme: Int

    public static let currentLookupScheme = 2

    public init(
        publicKey: String, bearerLookup: String, tokenLookup: String, apiKeyLookup: String, privateKeySealed: Data,
        lookupScheme: Int = TeamCredentials.currentLookupScheme
    ) {
        self.publicKey = publicKey
        self.bearerLookup = bearerLookup
        self.tokenLookup = tokenLookup
        self.apiKeyLookup = apiKeyLookup
        self.privateKeySealed = privateKeySealed
        self.lookupScheme = lookupScheme
    }
}

/// The column a team is looked up by.
public enum TeamLookup: String, Sendable, CaseIterable {
    case publicKey = "public_key"
    case bearer = "bearer_lookup"
    case token = "token_lookup"
    case apiKey = "api_key_lookup"
}

/// A support-access grant from one customer site (the SaaS calls it a site or a secret).
public struct Grant: Codable, Sendable, Equatable {
    public var teamID: TeamID
    /// Chosen by the client: unique within a team, so one team learns nothing of another's.
    public var secretID: String
    public var accessKey: String
    public var identifier: String
    public var siteURL: String
    public var clientPublicKey: String
    public var nonce: String
    /// metaData as PHP's json_encode writes it, members in the order the client sent them.
    public var metaData: String
    /// The customer site's WordPress user id (theirs, not ours).
    public var wpUserID: Int64?
    /// nil: no expiry (expiresAt false).
    public var expiresAt: Date?
    public var version: String?
    public var createdAt: Date
    public var updatedAt: Date

    public init(
        teamID: TeamID, secretID: String, accessKey: String, identifier: String, siteURL: String,
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

    public func isLive(at now: Date) -> Bool { expiresAt.map { $0 > now } ?? true }
}

/// A support login: the customer site checked an agent in (`login`), or the vendor fetched the
/// envelope (`envelope`).
public struct SupportLogin: Codable, Sendable, Equatable {
    public var teamID: TeamID
    public var grantID: GrantID?
    public var secretID: String
    public var siteURL: String
    public var event: String
    /// The vendor's WordPress user, as the Connector sent it.
    public var userID: Int64?
    public var userName: String?
    public var userAgent: String?
    public var ipAddress: String?
    public var occurredAt: Date

    public init(
        teamID: TeamID, grantID: GrantID?, secretID: String, siteURL: String, event: String, userID: Int64? = nil,
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
}

/// A failed support login a customer site reported. Its id (`lpat_<uuid>`) is the one the API shows.
public struct LoginAttempt: Codable, Sendable, Equatable {
    public var id: String
    public var teamID: TeamID
    public var secretID: String
    public var code: String
    public var detailedReason: String
    public var identifierHash: String?
    public var clientSiteURL: String
    public var clientUserAgent: String?
    public var clientIP: String?
    public var attemptedAt: Date
    public var receivedAt: Date

    public init(
        id: String, teamID: TeamID, secretID: String, code: String, detailedReason: String, identifierHash: String?,
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

/// Something that happened to a team: verified, verification-failed, brute-force-reported,
/// resumed, keys-cycled, ...
public struct TeamEvent: Codable, Sendable, Equatable {
    public var teamID: TeamID
    public var event: String
    public var detail: String
    public var siteURL: String?
    public var userAgent: String?
    public var ipAddress: String?
    public var occurredAt: Date

    public init(
        teamID: TeamID, event: String, detail: String = "", siteURL: String? = nil, userAgent: String? = nil,
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
}

/// A key of Vestibule's own (the envelope signing key), the private half sealed.
public struct SigningKey: Codable, Sendable, Equatable {
    public var purpose: String
    public var publicKey: String
    public var privateKeySealed: Data
    public var createdAt: Date

    public init(purpose: String, publicKey: String, privateKeySealed: Data, createdAt: Date) {
        self.purpose = purpose
        self.publicKey = publicKey
        self.privateKeySealed = privateKeySealed
        self.createdAt = createdAt
    }
}
