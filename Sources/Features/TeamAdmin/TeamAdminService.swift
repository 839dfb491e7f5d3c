import Foundation
import Storage
import Support
import Web

/// A team as its members see it; `privateKey` only for owners and admins.
public struct TeamDetails: Sendable, Equatable {
    public let id: TeamID
    public let name: String
    public let status: Team.Status
    public let publicKey: String
    public let privateKey: String?
    public let apiEndpoint: String?
    public let supportURL: String?
    public let role: TeamRole
    public let createdAt: Date
    public let members: Int
}

/// A member as the members list shows it: `id` is the user id the member routes take.
public struct TeamMember: Sendable, Equatable {
    public let id: UserID
    public let name: String
    public let email: String?
    public let role: TeamRole
    public let since: Date
}

/// Team administration: the API and the admin pages call these same methods, so each rule is
/// written once. Every method takes the principal first and checks `TeamPolicy` before anything.
public struct TeamAdminService: Sendable {
    let storage: any Storage
    let clock: any WallClock
    let teams: TeamService

    public init(teams: TeamService) {
        storage = teams.storage
        clock = teams.clock
        self.teams = teams
    }

    public enum Failure: Error, Equatable {
        /// A field at fault, with Laravel's message.
        case invalid(field: String, message: String)
        /// A team keeps at least one owner.
        case lastOwner
        /// No such member of the team.
        case noSuchMember
        /// Only a signed-in person (or their token) can do this.
        case needsAPerson
    }

    // MARK: Teams

    public func create(_ principal: Principal, name: String) throws -> TeamDetails {
        guard let owner = principal.userID else { throw Failure.needsAPerson }
        let trimmed = name.trimmingCharacters(in: .whitespacesAndNewlines)
        guard TeamService.isValidName(trimmed) else {
            throw Failure.invalid(field: "name", message: trimmed.isEmpty ? "The name field is required." : "The name field must not be greater than 255 characters.")
        }
        let created = try teams.create(name: trimmed, owner: owner)
        return try team(principal, created.id)
    }

    public func team(_ principal: Principal, _ id: TeamID) throws -> TeamDetails {
        try storage.read { tx in
            let (team, role) = try TeamPolicy.authorize(tx, principal, .view, team: id)
            return try details(tx, team, role: role)
        }
    }

    /// The person's teams with their role, oldest membership first.
    public func teams(of principal: Principal) throws -> [TeamDetails] {
        guard let user = principal.userID else { throw Failure.needsAPerson }
        return try storage.read { tx in
            try tx.memberships.teams(of: user).compactMap { membership in
                guard let team = try tx.teams.team(membership.teamID) else { return nil }
                return try details(tx, team, role: membership.role)
            }
        }
    }

    private func details(_ tx: any Transaction, _ team: Stored<Team>, role: TeamRole) throws -> TeamDetails {
        TeamDetails(
            id: team.id, name: team.name, status: team.status, publicKey: team.publicKey,
            privateKey: role >= TeamAction.viewKeys.requiredRole ? teams.privateKey(of: team) : nil,
            apiEndpoint: team.apiEndpoint, supportURL: team.supportURL, role: role, createdAt: team.createdAt,
            members: try tx.memberships.members(of: team.id).count)
    }

    public struct Settings: Sendable {
        public var name: String?
        public var apiEndpoint: String??
        public var supportURL: String??

        public init(name: String? = nil, apiEndpoint: String?? = nil, supportURL: String?? = nil) {
            self.name = name
            self.apiEndpoint = apiEndpoint
            self.supportURL = supportURL
        }
    }

    /// Changes the fields given (a field given as nil clears it); each is checked first.
    public func update(_ principal: Principal, _ id: TeamID, _ settings: Settings) throws -> TeamDetails {
        if let name = settings.name, !TeamService.isValidName(name.trimmingCharacters(in: .whitespacesAndNewlines)) {
            throw Failure.invalid(field: "name", message: "The name field must be 1 to 255 characters.")
        }
        for (field, value) in [("api_endpoint", settings.apiEndpoint), ("support_url", settings.supportURL)] {
            if case .some(.some(let url)) = value, !Self.isWebURL(url) {
                throw Failure.invalid(field: field, message: "The \(field.replacingOccurrences(of: "_", with: " ")) field must be a valid URL.")
            }
        }
        let now = clock.now()
        try storage.write { tx in
            let (team, _) = try TeamPolicy.authorize(tx, principal, .edit, team: id)
            let name = settings.name?.trimmingCharacters(in: .whitespacesAndNewlines) ?? team.name
            let endpoint = settings.apiEndpoint ?? team.apiEndpoint
            let support = settings.supportURL ?? team.supportURL
            _ = try tx.teams.setSettings(of: id, name: name, apiEndpoint: endpoint.flatMap { $0.isEmpty ? nil : $0 },
                supportURL: support.flatMap { $0.isEmpty ? nil : $0 })
            try tx.teamLogs.record(TeamEvent(teamID: id, event: "settings-changed", detail: principal.actor, at: now))
        }
        return try team(principal, id)
    }

    /// An absolute http or https URL with a host, at most 2048 bytes, or empty (cleared).
    static func isWebURL(_ text: String) -> Bool {
        if text.isEmpty { return true }
        guard text.utf8.count <= 2048, let url = URLComponents(string: text), let scheme = url.scheme?.lowercased(),
            scheme == "http" || scheme == "https", let host = url.host, !host.isEmpty
        else { return false }
        return true
    }

    /// Pause mode on (`paused`) or off.
    public func setPaused(_ principal: Principal, _ id: TeamID, paused: Bool) throws -> TeamDetails {
        _ = try storage.read { tx in try TeamPolicy.authorize(tx, principal, .pause, team: id) }
        if paused { try teams.pause(teamID: id, actor: principal.actor) } else { try teams.resume(teamID: id, actor: principal.actor) }
        return try team(principal, id)
    }

    /// Both keys replaced at once; the old ones fail at once everywhere. Owners only.
    public func cycleKeys(_ principal: Principal, _ id: TeamID) throws -> TeamService.CreatedTeam {
        _ = try storage.read { tx in try TeamPolicy.authorize(tx, principal, .cycleKeys, team: id) }
        return try teams.cycleKeys(teamID: id, actor: principal.actor)
    }

    /// The team, its grants, logs and keys. Owners only.
    public func delete(_ principal: Principal, _ id: TeamID) throws {
        try storage.write { tx in
            _ = try TeamPolicy.authorize(tx, principal, .delete, team: id)
            _ = try tx.teams.delete(id)
        }
    }

    // MARK: Members

    public func members(_ principal: Principal, _ id: TeamID) throws -> [TeamMember] {
        try storage.read { tx in
            _ = try TeamPolicy.authorize(tx, principal, .view, team: id)
            return try tx.memberships.members(of: id).compactMap { membership in
                guard let user = try tx.accounts.user(membership.userID) else { return nil }
                return TeamMember(id: membership.userID, name: user.displayName, email: user.email, role: membership.role, since: membership.createdAt)
            }
        }
    }

    /// A member's new role. Admins change admins and members; only owners make or unmake owners;
    /// the last owner stays one.
    public func changeRole(_ principal: Principal, _ id: TeamID, member: UserID, to role: TeamRole) throws -> TeamMember {
        let now = clock.now()
        try storage.write { tx in
            let (_, callerRole) = try TeamPolicy.authorize(tx, principal, .manageMembers, team: id)
            try tx.serialize(on: "team-owners:\(id.rawValue)")
            guard let current = try tx.memberships.membership(team: id, user: member) else { throw Failure.noSuchMember }
            if current.role == .owner || role == .owner, callerRole < .owner {
                _ = try TeamPolicy.authorize(tx, principal, .manageOwners, team: id)
            }
            if current.role == .owner, role != .owner, try tx.memberships.count(team: id, role: .owner) <= 1 { throw Failure.lastOwner }
            _ = try tx.memberships.setRole(team: id, user: member, to: role)
            try tx.teamLogs.record(TeamEvent(
                teamID: id, event: "role-changed", detail: "user \(member.rawValue): \(current.role.rawValue) → \(role.rawValue), \(principal.actor)", at: now))
        }
        guard let changed = try members(principal, id).first(where: { $0.id == member }) else { throw Failure.noSuchMember }
        return changed
    }

    /// Removes a member. Admins remove admins and members, owners anyone; anyone may leave; the
    /// last owner stays.
    public func removeMember(_ principal: Principal, _ id: TeamID, member: UserID) throws {
        let now = clock.now()
        try storage.write { tx in
            let leaving = principal.userID == member
            let (_, callerRole) = try TeamPolicy.authorize(tx, principal, leaving ? .view : .manageMembers, team: id)
            try tx.serialize(on: "team-owners:\(id.rawValue)")
            guard let current = try tx.memberships.membership(team: id, user: member) else { throw Failure.noSuchMember }
            if current.role == .owner {
                if !leaving, callerRole < .owner { _ = try TeamPolicy.authorize(tx, principal, .manageOwners, team: id) }
                if try tx.memberships.count(team: id, role: .owner) <= 1 { throw Failure.lastOwner }
            }
            _ = try tx.memberships.remove(team: id, user: member)
            try tx.teamLogs.record(TeamEvent(
                teamID: id, event: leaving ? "member-left" : "member-removed", detail: "user \(member.rawValue), \(principal.actor)", at: now))
        }
    }

    // MARK: The person

    /// `DELETE users`: the caller's account, and every team where the caller is the only owner
    /// (with its grants, logs and keys). How many teams went with it.
    public func deleteAccount(_ principal: Principal) throws -> Int {
        guard let user = principal.userID else { throw Failure.needsAPerson }
        return try storage.write { tx in
            var deleted = 0
            for membership in try tx.memberships.teams(of: user) where membership.role == .owner {
                try tx.serialize(on: "team-owners:\(membership.teamID.rawValue)")
                if try tx.memberships.count(team: membership.teamID, role: .owner) <= 1 {
                    _ = try tx.teams.delete(membership.teamID)
                    deleted += 1
                }
            }
            _ = try tx.accounts.deleteUser(user)
            return deleted
        }
    }
}
