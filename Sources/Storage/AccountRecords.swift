import Foundation

/// A person with an account. They sign in with one or more identities.
public struct User: Codable, Sendable, Equatable {
    public var displayName: String
    public var createdAt: Date
    /// A label the person may give (team member lists); never verified, never mailed.
    public var email: String?
    /// A site operator (set at the command line): sees every team.
    public var isOperator = false

    public init(displayName: String, createdAt: Date) {
        self.displayName = displayName
        self.createdAt = createdAt
    }
}

/// A way one user signs in: a Trezor key, a Trustee token, a verified identity.
public struct Identity: Codable, Sendable, Equatable {
    public var userID: UserID
    public var method: String
    /// What the method identifies the person by (for Trezor: the public key, hex).
    public var subject: String
    /// Shown beside it (for Trezor: the address).
    public var detail: String
    public var createdAt: Date
    public var lastUsedAt: Date

    public init(userID: UserID, method: String, subject: String, detail: String, at time: Date) {
        self.userID = userID
        self.method = method
        self.subject = subject
        self.detail = detail
        createdAt = time
        lastUsedAt = time
    }
}

/// A browser session, anonymous (`userID == nil`) or signed in. Only the SHA-256 of the cookie's
/// token is stored.
public struct Session: Codable, Sendable, Equatable {
    public var tokenHash: Data
    public var userID: UserID?
    public var createdAt: Date
    public var lastSeenAt: Date
    /// The absolute end, however active the session is.
    public var expiresAt: Date
    public var ipAddress: String
    public var userAgent: String

    public init(
        tokenHash: Data, userID: UserID?, createdAt: Date, lastSeenAt: Date, expiresAt: Date, ipAddress: String,
        userAgent: String
    ) {
        self.tokenHash = tokenHash
        self.userID = userID
        self.createdAt = createdAt
        self.lastSeenAt = lastSeenAt
        self.expiresAt = expiresAt
        self.ipAddress = ipAddress
        self.userAgent = userAgent
    }

    /// Still valid at `now` under an idle limit of `idleTimeout` seconds.
    public func isLive(at now: Date, idleTimeout: TimeInterval) -> Bool {
        now < expiresAt && now.timeIntervalSince(lastSeenAt) < idleTimeout
    }
}

/// A Trezor sign-in challenge, bound to the browser session that asked for it.
public struct TrezorChallenge: Codable, Sendable, Equatable {
    public var sessionID: SessionID
    public var hidden: String
    public var visual: String
    public var createdAt: Date
    public var expiresAt: Date
    public var usedAt: Date?

    public init(sessionID: SessionID, hidden: String, visual: String, createdAt: Date, expiresAt: Date) {
        self.sessionID = sessionID
        self.hidden = hidden
        self.visual = visual
        self.createdAt = createdAt
        self.expiresAt = expiresAt
    }
}

/// Who a sign-in attempt is counted against: a client address (`ip`) or an identity.
public struct RegulationSubject: Sendable, Hashable, Codable {
    public let scope: String
    public let value: String

    public init(scope: String, value: String) {
        self.scope = scope
        self.value = value
    }
}

/// Where a subject stands with regulation.
public struct RegulationStanding: Sendable, Equatable {
    /// The end of the ban in force, if any.
    public let bannedUntil: Date?
    public let confirmed: Int
    public let pending: Int

    public init(bannedUntil: Date?, confirmed: Int, pending: Int) {
        self.bannedUntil = bannedUntil
        self.confirmed = confirmed
        self.pending = pending
    }
}

/// A sign-in attempt regulation counts: pending while it is checked, then a failure (or deleted).
public struct RegulationAttempt: Codable, Sendable, Equatable {
    public var method: String
    public var subject: RegulationSubject
    public var failedAt: Date
    public var pending: Bool

    public init(method: String, subject: RegulationSubject, failedAt: Date, pending: Bool) {
        self.method = method
        self.subject = subject
        self.failedAt = failedAt
        self.pending = pending
    }
}

/// A Trustee wallet sign-in in progress, bound to the browser session that started it. The
/// browser knows it by `publicID` only; `uniqueKey` is the `uniqueKeyForRequest` sent to Trustee.
public struct TrusteeAttempt: Codable, Sendable, Equatable {
    public enum State: String, Sendable, Codable { case pending, approved, denied, expired }

    public var publicID: String
    public var sessionID: SessionID
    public var uniqueKey: String
    /// What the QR code encodes.
    public var link: String
    public var state: State
    /// The last upstream failure, in words for the person (the attempt stays pending).
    public var lastError: String?
    public var createdAt: Date
    public var expiresAt: Date
    /// When the last upstream check was claimed: at most one per check interval.
    public var checkedAt: Date?
    public var usedAt: Date?
    /// True when the approval made a new account.
    public var createdAccount: Bool

    public init(publicID: String, sessionID: SessionID, uniqueKey: String, link: String, createdAt: Date, expiresAt: Date) {
        self.publicID = publicID
        self.sessionID = sessionID
        self.uniqueKey = uniqueKey
        self.link = link
        state = .pending
        self.createdAt = createdAt
        self.expiresAt = expiresAt
        createdAccount = false
    }
}
