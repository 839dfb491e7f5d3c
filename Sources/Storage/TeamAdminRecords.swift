import Foundation

/// A person's role in a team (spec: owner, admin, member; `editor` is read as member).
public enum TeamRole: String, Sendable, Codable, CaseIterable, Comparable {
    case member, admin, owner

    /// The role a client names, with the Connector branch's `editor` as member.
    public init?(named name: String) {
        let lowered = name.lowercased()
        if lowered == "editor" { self = .member; return }
        self.init(rawValue: lowered)
    }

    private var rank: Int {
        switch self {
        case .member: return 0
        case .admin: return 1
        case .owner: return 2
        }
    }

    public static func < (lhs: TeamRole, rhs: TeamRole) -> Bool { lhs.rank < rhs.rank }
}

/// A user's membership of a team.
public struct Membership: Codable, Sendable, Equatable {
    public var teamID: TeamID
    public var userID: UserID
    public var role: TeamRole
    public var createdAt: Date

    public init(teamID: TeamID, userID: UserID, role: TeamRole, at time: Date) {
        self.teamID = teamID
        self.userID = userID
        self.role = role
        createdAt = time
    }
}

/// A personal API token (`vst_pat_...`): shown once; only an HMAC of it is kept, to find it by.
public struct APIToken: Codable, Sendable, Equatable {
    public var userID: UserID
    public var name: String
    public var lookup: String
    public var createdAt: Date
    public var lastUsedAt: Date?

    public init(userID: UserID, name: String, lookup: String, at time: Date) {
        self.userID = userID
        self.name = name
        self.lookup = lookup
        createdAt = time
    }
}

/// An invitation to join a team with a role: one use, 7 days; only an HMAC of its token is kept.
/// The email is a label for the team's list (people sign in with wallets here, not emails).
public struct Invitation: Codable, Sendable, Equatable {
    public var teamID: TeamID
    public var role: TeamRole
    public var email: String
    public var name: String
    public var lookup: String
    public var createdBy: UserID?
    public var createdAt: Date
    public var expiresAt: Date
    public var usedAt: Date?
    public var usedBy: UserID?

    public init(teamID: TeamID, role: TeamRole, email: String, name: String, lookup: String, createdBy: UserID?, at time: Date, expiresAt: Date) {
        self.teamID = teamID
        self.role = role
        self.email = email
        self.name = name
        self.lookup = lookup
        self.createdBy = createdBy
        createdAt = time
        self.expiresAt = expiresAt
    }
}

/// What a person allowed on the Connector's connect page: the teams it may fetch keys for, for
/// 10 minutes. Only an HMAC of the token is kept.
public struct ConnectToken: Codable, Sendable, Equatable {
    public var userID: UserID
    public var lookup: String
    public var teamIDs: [TeamID]
    public var nonce: String
    public var createdAt: Date
    public var expiresAt: Date

    public init(userID: UserID, lookup: String, teamIDs: [TeamID], nonce: String, at time: Date, expiresAt: Date) {
        self.userID = userID
        self.lookup = lookup
        self.teamIDs = teamIDs
        self.nonce = nonce
        createdAt = time
        self.expiresAt = expiresAt
    }
}

/// One team's token from `POST token`: good for one `token/exchange`.
public struct TeamToken: Codable, Sendable, Equatable {
    public var connectTokenID: RecordID<ConnectToken>
    public var teamID: TeamID
    public var lookup: String
    public var usedAt: Date?

    public init(connectTokenID: RecordID<ConnectToken>, teamID: TeamID, lookup: String) {
        self.connectTokenID = connectTokenID
        self.teamID = teamID
        self.lookup = lookup
    }
}
