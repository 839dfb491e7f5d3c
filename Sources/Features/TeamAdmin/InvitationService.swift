import Foundation
import Storage
import Support
import Web

/// An invitation as the team's admins and the API see it; `url` only right after it was made
/// (the token is shown once).
public struct InvitationView: Sendable, Equatable {
    public let id: InvitationID
    public let email: String
    public let name: String
    public let role: TeamRole
    public let url: String?
    public let expiresAt: Date
}

/// Invitations: random tokens (256 bits), an HMAC of each stored, 7 days, one use, bound to the
/// team and role. No email is sent: the link is given to pass on.
public struct InvitationService: Sendable {
    public static let lifetime: TimeInterval = 7 * 86400

    let storage: any Storage
    let clock: any WallClock
    let random: any RandomSource
    let lookup: CredentialLookup
    /// `<publicURL>/invitations/`
    let urlPrefix: String

    public init(storage: any Storage, clock: any WallClock, random: any RandomSource, secretKey: SecretKey, publicOrigin: String) {
        self.storage = storage
        self.clock = clock
        self.random = random
        lookup = CredentialLookup(secretKey: secretKey, purpose: "invitation-lookup")
        urlPrefix = publicOrigin + "/invitations/"
    }


    /// A new invitation; owners only may invite owners.
    public func invite(_ principal: Principal, _ team: TeamID, email: String, name: String, role: TeamRole) throws -> InvitationView {
        let token = Base64URL.encode(random.bytes(32))
        let now = clock.now()
        let stored = try storage.write { tx in
            _ = try TeamPolicy.authorize(tx, principal, role == .owner ? .manageOwners : .manageMembers, team: team)
            let invitation = try tx.invitations.insert(
                Invitation(
                    teamID: team, role: role, email: email, name: name, lookup: lookup(token), createdBy: principal.userID, at: now,
                    expiresAt: now + Self.lifetime))
            try tx.teamLogs.record(TeamEvent(
                teamID: team, event: "member-invited", detail: "\(email) as \(role.rawValue), \(principal.actor)", at: now))
            return invitation
        }
        return view(stored, url: urlPrefix + token)
    }

    public func pending(_ principal: Principal, _ team: TeamID) throws -> [InvitationView] {
        try storage.read { tx in
            _ = try TeamPolicy.authorize(tx, principal, .manageMembers, team: team)
            return try tx.invitations.pending(team: team, now: clock.now()).map { view($0, url: nil) }
        }
    }

    /// False when the team has no such invitation.
    public func revoke(_ principal: Principal, _ team: TeamID, _ id: InvitationID) throws -> Bool {
        try storage.write { tx in
            _ = try TeamPolicy.authorize(tx, principal, .manageMembers, team: team)
            return try tx.invitations.delete(id, team: team)
        }
    }

    public enum Refusal: Error, Equatable {
        /// Unknown, used, revoked or expired: one plain answer for all.
        case notUsable
        case alreadyAMember
    }

    /// What the invitation page shows before joining: the team's name and the role.
    public func describe(_ token: String) throws -> (team: String, role: TeamRole)? {
        guard Self.isToken(token) else { return nil }
        return try storage.read { tx in
            guard let invitation = try usable(tx, token), let team = try tx.teams.team(invitation.teamID) else { return nil }
            return (team.name, invitation.role)
        }
    }

    /// The signed-in person joins the team with the invitation's role; the invitation is used.
    public func accept(_ principal: Principal, token: String) throws -> (team: TeamID, member: TeamMember) {
        guard let user = principal.userID else { throw TeamAdminService.Failure.needsAPerson }
        guard Self.isToken(token) else { throw Refusal.notUsable }
        let now = clock.now()
        return try storage.write { tx in
            guard let invitation = try usable(tx, token) else { throw Refusal.notUsable }
            if try tx.memberships.membership(team: invitation.teamID, user: user) != nil { throw Refusal.alreadyAMember }
            guard try tx.invitations.markUsed(invitation.id, by: user, at: now) else { throw Refusal.notUsable }
            _ = try tx.memberships.add(Membership(teamID: invitation.teamID, userID: user, role: invitation.role, at: now))
            try tx.teamLogs.record(TeamEvent(
                teamID: invitation.teamID, event: "member-joined", detail: "user \(user.rawValue) as \(invitation.role.rawValue)", at: now))
            let person = try tx.accounts.user(user)
            return (invitation.teamID, TeamMember(id: user, name: person?.displayName ?? "", email: person?.email, role: invitation.role, since: now))
        }
    }

    private func usable(_ tx: any Transaction, _ token: String) throws -> Stored<Invitation>? {
        guard let invitation = try tx.invitations.invitation(lookup: lookup(token)), invitation.usedAt == nil,
            invitation.expiresAt > clock.now()
        else { return nil }
        return invitation
    }

    /// 43 base64url characters.
    static func isToken(_ text: String) -> Bool { text.utf8.count == 43 && text.utf8.allSatisfy(Base64URL.isAlphabet) }

    private func view(_ invitation: Stored<Invitation>, url: String?) -> InvitationView {
        InvitationView(id: invitation.id, email: invitation.email, name: invitation.name, role: invitation.role, url: url, expiresAt: invitation.expiresAt)
    }
}

extension InvitationService.Refusal: HTTPResponseError {
    public var httpError: HTTPError {
        switch self {
        case .notUsable: return HTTPError(.notFound, "This invitation is unknown, used, revoked or expired. Ask the team for a new one.")
        case .alreadyAMember: return HTTPError(.conflict, "You are a member of this team already.")
        }
    }
}
