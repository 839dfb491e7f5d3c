import Foundation
import HTTPTypes
import Storage
import Support
import Web

extension TeamPolicy.Refusal: HTTPResponseError {
    public var httpError: HTTPError {
        switch self {
        case .notFound: return HTTPError(.notFound, "Team Not Found")
        case .forbidden(let needed):
            return HTTPError(.forbidden, "This needs the \(needed.role.rawValue) role in this team.")
        }
    }
}

extension TeamAdminService.Failure: HTTPResponseError {
    public var httpError: HTTPError {
        switch self {
        case .invalid(let field, let message):
            var error = HTTPError.validation([(field, [message])])
            error.message = message
            return error
        case .lastOwner: return HTTPError(.unprocessableContent, "A team keeps at least one owner: make someone else owner first.", field: "role")
        case .noSuchMember: return HTTPError(.notFound, "That person is not a member of this team.")
        case .needsAPerson: return HTTPError(.forbidden, "This needs a signed-in person.")
        }
    }
}

/// The team and user management routes of `/api/v1` (spec: "Team and user management"),
/// authenticated by personal API tokens, on the same services as the admin pages.
public struct TeamAdminAPIFeature: Feature {
    let service: TeamAdminService
    let invitations: InvitationService
    let tokens: APITokenService
    let accounts: AccountService

    public init(service: TeamAdminService, invitations: InvitationService, tokens: APITokenService, accounts: AccountService) {
        self.service = service
        self.invitations = invitations
        self.tokens = tokens
        self.accounts = accounts
    }

    static let unauthenticated = HTTPError(
        .unauthorized, "Unauthenticated.", headers: [.wwwAuthenticate: "Bearer"])

    /// The principal of the request's personal API token; 401 without a live one.
    func principal(_ context: RequestContext) throws -> Principal {
        let header = context.request.head.headerFields[.authorization] ?? ""
        guard header.hasPrefix("Bearer "), let principal = try tokens.principal(bearer: String(header.dropFirst(7))) else {
            throw Self.unauthenticated
        }
        return principal
    }

    static func teamID(_ context: RequestContext) throws -> TeamID {
        guard let id = TeamID(try context.parameter("teamId")) else { throw TeamPolicy.Refusal.notFound }
        return id
    }

    public func register(_ routes: inout Routes) {
        routes.api(.put, "/api/v1/teams") { context in
            var body = try BodyFields(context.request)
            let name = body.string("name", max: 255)
            try body.check()
            return .json(Self.teamJSON(try service.create(try principal(context), name: name ?? "")), status: .created)
        }
        routes.api(.get, "/api/v1/teams/:teamId") { context in
            .json(Self.teamJSON(try service.team(try principal(context), try Self.teamID(context))))
        }
        routes.api(.post, "/api/v1/teams/:teamId") { context in
            let caller = try principal(context)
            let id = try Self.teamID(context)
            var body = try BodyFields(context.request)
            var settings = TeamAdminService.Settings()
            if body.value("name") != nil { settings.name = body.string("name", max: 255) }
            for field in ["api_endpoint", "support_url"] where body.value(field) != nil {
                let value: String?? = body.value(field)?.isNull == true ? .some(nil) : .some(body.string(field, allowEmpty: true, format: TeamAdminService.isWebURL, formatRule: .url))
                if field == "api_endpoint" { settings.apiEndpoint = value } else { settings.supportURL = value }
            }
            try body.check()
            return .json(Self.teamJSON(try service.update(caller, id, settings)))
        }
        routes.api(.delete, "/api/v1/teams/:teamId") { context in
            try service.delete(try principal(context), try Self.teamID(context))
            return .json(JSONValue.object([("deleted", .bool(true))]))
        }
        routes.api(.post, "/api/v1/teams/:teamId/pause") { context in
            let caller = try principal(context)
            let id = try Self.teamID(context)
            let body = try BodyFields(context.request)
            let paused: Bool
            switch body.value("paused") {
            case nil, .null?: paused = true
            case .bool(let value)?: paused = value
            default: throw HTTPError.validation([("paused", ["The paused field must be true or false."])])
            }
            return .json(Self.teamJSON(try service.setPaused(caller, id, paused: paused)))
        }
        routes.api(.post, "/api/v1/teams/:teamId/cycle-keys") { context in
            let keys = try service.cycleKeys(try principal(context), try Self.teamID(context))
            return .json(JSONValue.object([("publicKey", .string(keys.publicKey)), ("privateKey", .string(keys.privateKey))]))
        }
        registerMembers(&routes)
        routes.api(.post, "/api/v1/users") { context in
            let caller = try principal(context)
            guard let user = caller.userID else { throw TeamAdminService.Failure.needsAPerson }
            var body = try BodyFields(context.request)
            let name = body.value("name") == nil ? nil : body.string("name", max: 64)
            let email = body.value("email") == nil ? nil : body.string("email", max: 254, allowEmpty: true, format: Self.isEmail)
            try body.check()
            if let name { try accounts.rename(userID: user, to: name) }
            if let email { try accounts.setEmail(userID: user, to: email.isEmpty ? nil : email) }
            guard let overview = try accounts.overview(userID: user) else { throw Self.unauthenticated }
            return .json(JSONValue.object([
                ("id", .number(String(user.rawValue))), ("name", .string(overview.user.displayName)),
                ("email", overview.user.email.map(JSONValue.string) ?? .null),
            ]))
        }
        routes.api(.delete, "/api/v1/users") { context in
            _ = try service.deleteAccount(try principal(context))
            return .json(JSONValue.object([("deleted", .bool(true))]))
        }
        routes.api(.get, "/logout/remote") { context in
            guard case .apiToken(let user, let token) = try principal(context) else { throw Self.unauthenticated }
            _ = try tokens.revoke(token, of: user)
            return .json(JSONValue.object([("success", .bool(true))]))
        }
    }

    private func registerMembers(_ routes: inout Routes) {
        routes.api(.post, "/api/v1/teams/:teamId/members") { context in
            let caller = try principal(context)
            let id = try Self.teamID(context)
            var body = try BodyFields(context.request)
            let email = body.string("email", max: 254, format: Self.isEmail, formatRule: .format)
            let name = body.value("name") == nil ? nil : body.string("name", max: 64, allowEmpty: true)
            let role = body.value("role") == nil ? .member : Self.role(&body) ?? .member
            try body.check()
            let invitation = try invitations.invite(caller, id, email: email ?? "", name: name ?? "", role: role)
            return .json(JSONValue.object([("invitation", Self.invitationJSON(invitation))]), status: .created)
        }
        routes.api(.post, "/api/v1/teams/accept/:invitation") { context in
            let joined = try invitations.accept(try principal(context), token: try context.parameter("invitation"))
            var body = Self.memberJSON(joined.member)
            if case .object(var members) = body {
                members.insert(("team", .number(String(joined.team.rawValue))), at: 0)
                body = .object(members)
            }
            return .json(body)
        }
        routes.api(.get, "/api/v1/teams/:teamId/members") { context in
            let members = try service.members(try principal(context), try Self.teamID(context))
            return .json(JSONValue.array(members.map(Self.memberJSON)))
        }
        routes.api(.delete, "/api/v1/teams/:teamId/members/:userId") { context in
            let caller = try principal(context)
            let id = try Self.teamID(context)
            guard let member = UserID(try context.parameter("userId")) else { throw TeamAdminService.Failure.noSuchMember }
            try service.removeMember(caller, id, member: member)
            return .json(JSONValue.object([("deleted", .bool(true))]))
        }
        routes.api(.post, "/api/v1/teams/:teamId/members/:userId/change-role") { context in
            let caller = try principal(context)
            let id = try Self.teamID(context)
            guard let member = UserID(try context.parameter("userId")) else { throw TeamAdminService.Failure.noSuchMember }
            var body = try BodyFields(context.request)
            let role = Self.role(&body)
            try body.check()
            let changed = try service.changeRole(caller, id, member: member, to: role ?? .member)
            return .json(Self.memberJSON(changed), status: .created)
        }
    }

    /// The body's `role`: one of the spec's names (`editor` as member), else Laravel's "The
    /// selected role is invalid."
    static func role(_ body: inout BodyFields) -> TeamRole? {
        body.string("role", format: { TeamRole(named: $0) != nil }, formatRule: .selection).flatMap(TeamRole.init(named:))
    }

    static func isEmail(_ text: String) -> Bool {
        text.isEmpty || (text.wholeMatch(of: /[^@\s]+@[^@\s]+\.[^@\s]+/) != nil)
    }

    static func teamJSON(_ team: TeamDetails) -> JSONValue {
        var members: [(key: String, value: JSONValue)] = [
            ("id", .number(String(team.id.rawValue))), ("name", .string(team.name)), ("status", .string(team.status.rawValue)),
            ("publicKey", .string(team.publicKey)),
            ("apiEndpoint", team.apiEndpoint.map(JSONValue.string) ?? .null),
            ("supportUrl", team.supportURL.map(JSONValue.string) ?? .null),
            ("role", .string(team.role.rawValue)), ("createdAt", .string(UTCDate.iso8601(team.createdAt))),
            ("members", .number(String(team.members))),
        ]
        if let privateKey = team.privateKey { members.append(("privateKey", .string(privateKey))) }
        return .object(members)
    }

    static func invitationJSON(_ invitation: InvitationView) -> JSONValue {
        .object([
            ("id", .number(String(invitation.id.rawValue))), ("email", .string(invitation.email)),
            ("role", .string(invitation.role.rawValue)), ("url", invitation.url.map(JSONValue.string) ?? .null),
            ("expiresAt", .string(UTCDate.iso8601(invitation.expiresAt))),
        ])
    }

    static func memberJSON(_ member: TeamMember) -> JSONValue {
        .object([
            ("id", .number(String(member.id.rawValue))), ("name", .string(member.name)),
            ("email", member.email.map(JSONValue.string) ?? .null), ("role", .string(member.role.rawValue)),
        ])
    }
}
