import Storage

/// Who acts: a value every team-administration service method takes first.
public enum Principal: Sendable, Equatable {
    /// A person signed in through a browser session.
    case user(UserID)
    /// A person's personal API token (`Authorization: Bearer vst_pat_...`).
    case apiToken(user: UserID, token: APITokenID)
    /// The site's operator at the command line.
    case operatorAtCommandLine

    /// The person behind the principal, if there is one.
    public var userID: UserID? {
        switch self {
        case .user(let id), .apiToken(let id, _): return id
        case .operatorAtCommandLine: return nil
        }
    }

    /// Who did it, for the team's event log.
    var actor: String {
        switch self {
        case .user(let id): return "by user \(id.rawValue)"
        case .apiToken(let id, let token): return "by user \(id.rawValue) (API token \(token.rawValue))"
        case .operatorAtCommandLine: return "by the operator"
        }
    }
}

/// What one may do to a team.
public enum TeamAction: Sendable {
    case view, viewKeys, edit, pause, manageMembers, manageOwners, cycleKeys, delete, revokeGrants

    /// The least role that may (spec: owners do everything; admins settings, members but not
    /// owners, invitations, pause, grants, the keys; members look).
    var requiredRole: TeamRole {
        switch self {
        case .view: return .member
        case .viewKeys, .edit, .pause, .manageMembers, .revokeGrants: return .admin
        case .manageOwners, .cycleKeys, .delete: return .owner
        }
    }
}

/// The one policy for teams, called first by every service method: not a member is 404 (the
/// team's existence is not told), a member without the role is 403.
public enum TeamPolicy {
    public enum Refusal: Error, Equatable {
        case notFound
        case forbidden(TeamAction.RoleNeeded)
    }

    /// The team and the caller's role in it, when `action` is allowed.
    static func authorize(_ tx: any Transaction, _ principal: Principal, _ action: TeamAction, team id: TeamID) throws
        -> (team: Stored<Team>, role: TeamRole)
    {
        guard let team = try tx.teams.team(id) else { throw Refusal.notFound }
        if case .operatorAtCommandLine = principal { return (team, .owner) }
        guard let user = principal.userID else { throw Refusal.notFound }
        guard let membership = try tx.memberships.membership(team: id, user: user) else {
            // Operators see every team (no keys, no changes).
            if action == .view, try tx.accounts.user(user)?.isOperator == true { return (team, .member) }
            throw Refusal.notFound
        }
        guard membership.role >= action.requiredRole else { throw Refusal.forbidden(.init(role: action.requiredRole)) }
        return (team, membership.role)
    }
}

extension TeamAction {
    public struct RoleNeeded: Sendable, Equatable {
        public let role: TeamRole
    }
}
