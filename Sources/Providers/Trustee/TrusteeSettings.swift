import Foundation

/// How Vestibule talks to Trustee. Most of Trustee's answer format is unpublished: every unknown
/// is a setting here, with the default `spec/providers.md` fixes (docs/trustee.md).
public struct TrusteeSettings: Sendable {
    /// The GraphQL endpoint; nil when Trustee is not set up on this server.
    public var endpoint: String?
    /// The only credential: server-side only, never sent to a browser or logged.
    public var merchantWebKey: String?
    public var requestType: String
    /// The field of siteStartRequest's result that holds the QR code's link.
    public var linkField: String
    /// The link to build when the result has no `linkField`: `{uniqueKeyForRequest}` is replaced.
    public var linkTemplate: String?
    public var statusCodes: TrusteeStatusCodes
    /// At most one siteCheckRequest per attempt per this many seconds, however often browsers poll.
    public var checkInterval: TimeInterval
    /// An attempt's life when Trustee does not say when it expires.
    public var attemptLifetime: TimeInterval
    /// Every call to Trustee gives up after this long.
    public var timeout: Duration

    public init(
        endpoint: String? = nil, merchantWebKey: String? = nil, requestType: String = "login", linkField: String = "link",
        linkTemplate: String? = nil, statusCodes: TrusteeStatusCodes = .defaults, checkInterval: TimeInterval = 2,
        attemptLifetime: TimeInterval = 300, timeout: Duration = .seconds(5)
    ) {
        self.endpoint = endpoint
        self.merchantWebKey = merchantWebKey
        self.requestType = requestType
        self.linkField = linkField
        self.linkTemplate = linkTemplate
        self.statusCodes = statusCodes
        self.checkInterval = checkInterval
        self.attemptLifetime = attemptLifetime
        self.timeout = timeout
    }

    /// Offered only with both an endpoint and a key.
    public var isConfigured: Bool { endpoint != nil && !(merchantWebKey ?? "").isEmpty }
}

/// Which `statusCode` values of siteCheckRequest mean what, compared case-insensitively (a
/// number and its text are the same code). A code in none of the lists counts as pending.
public struct TrusteeStatusCodes: Sendable, Equatable {
    public var pending: [String]
    public var approved: [String]
    public var denied: [String]
    public var expired: [String]

    public init(pending: [String], approved: [String], denied: [String], expired: [String]) {
        self.pending = pending.map { $0.lowercased() }
        self.approved = approved.map { $0.lowercased() }
        self.denied = denied.map { $0.lowercased() }
        self.expired = expired.map { $0.lowercased() }
    }

    public static let defaults = TrusteeStatusCodes(
        pending: ["0", "pending", "waiting", "new"],
        approved: ["1", "approved", "confirmed", "success"],
        denied: ["2", "denied", "rejected", "declined", "canceled", "cancelled"],
        expired: ["3", "expired", "timeout"])
}
