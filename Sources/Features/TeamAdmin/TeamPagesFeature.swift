import Foundation
import HTTPTypes
import Storage
import Support
import Web

/// The admin pages: `/teams`, `/teams/{id}`, `/teams/{id}/members`, `/invitations/{token}`, on
/// the same service methods as the API (the principal is the signed-in person).
public struct TeamPagesFeature: Feature {
    let service: TeamAdminService
    let invitations: InvitationService

    public init(service: TeamAdminService, invitations: InvitationService) {
        self.service = service
        self.invitations = invitations
    }

    static let notices = [
        "saved": "The team's settings are saved.", "paused": "The team is paused: support logins are refused until you resume.",
        "resumed": "The team is active again.", "deleted": "The team is deleted, with its grants, logs and keys.",
        "role-changed": "The role is changed.", "removed": "The member is removed.", "revoked": "The invitation is revoked.",
        "joined": "You have joined the team.",
    ]

    /// A page for signed-in people: the handler gets the person as its principal; anyone else is
    /// sent to the login page, which comes back here.
    static func signedIn(
        _ routes: inout Routes, _ method: HTTPRequest.Method, _ path: String,
        _ handler: @escaping @Sendable (RequestContext, Principal) throws -> Response
    ) {
        routes.page(method, path) { context in
            guard let user = try context.userID() else {
                return .redirect(to: "/login?next=\(URLEncoding.component(context.request.path))")
            }
            return try handler(context, .user(user))
        }
    }

    static func teamID(_ context: RequestContext) throws -> TeamID {
        guard let id = TeamID(try context.parameter("teamId")) else { throw TeamPolicy.Refusal.notFound }
        return id
    }

    public func register(_ routes: inout Routes) {
        Self.signedIn(&routes, .get, "/teams") { context, person in
            return try teamsPage(context, person)
        }
        Self.signedIn(&routes, .post, "/teams") { context, person in
            do {
                let team = try service.create(person, name: try context.form()["name"] ?? "")
                return .redirect(to: "/teams/\(team.id.rawValue)")
            } catch let failure as TeamAdminService.Failure {
                return try teamsPage(context, person, error: failure.httpError.message, status: .unprocessableContent)
            }
        }
        registerTeam(&routes)
        registerMembers(&routes)
        registerActivity(&routes)
        registerInvitation(&routes)
    }

    private func teamsPage(_ context: RequestContext, _ person: Principal, error: String? = nil, status: HTTPResponse.Status = .ok) throws -> Response {
        let teams = try service.teams(of: person).map { team -> [String: Any] in
            ["id": team.id.rawValue, "name": team.name, "role": team.role.rawValue, "status": team.status.rawValue,
             "active": team.status == .active]
        }
        var values: [String: Any] = ["teams": teams, "none": teams.isEmpty]
        if let notice = Self.notices[context.request.query["notice"] ?? ""] { values["notice"] = notice }
        if let error { values["error"] = error }
        return try context.page("teams", title: "Your teams", values, status: status, csrf: true)
    }

    // MARK: One team

    private func registerTeam(_ routes: inout Routes) {
        Self.signedIn(&routes, .get, "/teams/:teamId") { context, person in
            return try teamPage(context, person, try Self.teamID(context))
        }
        Self.signedIn(&routes, .post, "/teams/:teamId") { context, person in
            let id = try Self.teamID(context)
            let form = try context.form()
            let settings = TeamAdminService.Settings(
                name: form["name"] ?? "", apiEndpoint: .some(form["api_endpoint"] ?? ""), supportURL: .some(form["support_url"] ?? ""))
            do {
                _ = try service.update(person, id, settings)
            } catch let failure as TeamAdminService.Failure {
                return try teamPage(context, person, id, error: failure.httpError.message, status: .unprocessableContent)
            }
            return .redirect(to: "/teams/\(id.rawValue)?notice=saved")
        }
        Self.signedIn(&routes, .post, "/teams/:teamId/pause") { context, person in
            let id = try Self.teamID(context)
            let pause = try context.form()["paused"] != "false"
            _ = try service.setPaused(person, id, paused: pause)
            return .redirect(to: "/teams/\(id.rawValue)?notice=\(pause ? "paused" : "resumed")")
        }
        Self.signedIn(&routes, .post, "/teams/:teamId/cycle-keys") { context, person in
            let id = try Self.teamID(context)
            guard try context.form()["confirm"] == "yes" else {
                return try teamPage(context, person, id, error: "Tick the box to confirm: the old keys stop working at once.", status: .unprocessableContent)
            }
            _ = try service.cycleKeys(person, id)
            return try teamPage(context, person, id, keysCycled: true)
        }
        Self.signedIn(&routes, .post, "/teams/:teamId/delete") { context, person in
            let id = try Self.teamID(context)
            let team = try service.team(person, id)
            guard try context.form()["confirm"] == team.name else {
                return try teamPage(context, person, id, error: "Type the team's name to confirm that it is to be deleted.", status: .unprocessableContent)
            }
            try service.delete(person, id)
            return .redirect(to: "/teams?notice=deleted")
        }
    }

    private func teamPage(
        _ context: RequestContext, _ person: Principal, _ id: TeamID, error: String? = nil, status: HTTPResponse.Status = .ok,
        keysCycled: Bool = false
    ) throws -> Response {
        let team = try service.team(person, id)
        var values: [String: Any] = [
            "id": team.id.rawValue, "teamID": team.id.rawValue, "name": team.name, "status": team.status.rawValue, "paused": team.status == .paused,
            "active": team.status == .active, "role": team.role.rawValue, "publicKey": team.publicKey,
            "apiEndpoint": team.apiEndpoint ?? "", "supportURL": team.supportURL ?? "", "createdAt": UTCDate.display(team.createdAt),
            "members": team.members, "canEdit": team.role >= TeamAction.edit.requiredRole,
            "isOwner": team.role >= TeamAction.cycleKeys.requiredRole, "keysCycled": keysCycled,
        ]
        if let privateKey = team.privateKey { values["privateKey"] = privateKey }
        if let notice = Self.notices[context.request.query["notice"] ?? ""] { values["notice"] = notice }
        if let error { values["error"] = error }
        return try context.page("team", title: team.name, values, status: status, csrf: true)
    }

    // MARK: Members and invitations

    private func registerMembers(_ routes: inout Routes) {
        Self.signedIn(&routes, .get, "/teams/:teamId/members") { context, person in
            return try membersPage(context, person, try Self.teamID(context))
        }
        Self.signedIn(&routes, .post, "/teams/:teamId/members/invite") { context, person in
            let id = try Self.teamID(context)
            let form = try context.form()
            let email = (form["email"] ?? "").trimmingCharacters(in: .whitespaces)
            guard !email.isEmpty, email.utf8.count <= 254, TeamAdminAPIFeature.isEmail(email) else {
                return try membersPage(context, person, id, error: "Give the email address of the person you invite (a label for this list; no email is sent).", status: .unprocessableContent)
            }
            guard let role = TeamRole(named: form["role"] ?? "member") else { throw HTTPError.badRequest("Choose a role.", field: "role") }
            let invitation = try invitations.invite(person, id, email: email, name: String((form["name"] ?? "").prefix(64)), role: role)
            return try membersPage(context, person, id, invited: invitation)
        }
        Self.signedIn(&routes, .post, "/teams/:teamId/members/:userId/role") { context, person in
            let id = try Self.teamID(context)
            guard let member = UserID(try context.parameter("userId")), let role = TeamRole(named: try context.form()["role"] ?? "") else {
                throw HTTPError.badRequest("Choose a role.", field: "role")
            }
            do {
                _ = try service.changeRole(person, id, member: member, to: role)
            } catch TeamAdminService.Failure.lastOwner {
                return try membersPage(context, person, id, error: TeamAdminService.Failure.lastOwner.httpError.message, status: .unprocessableContent)
            }
            return .redirect(to: "/teams/\(id.rawValue)/members?notice=role-changed")
        }
        Self.signedIn(&routes, .post, "/teams/:teamId/members/:userId/remove") { context, person in
            let id = try Self.teamID(context)
            guard let member = UserID(try context.parameter("userId")) else { throw TeamAdminService.Failure.noSuchMember }
            do {
                try service.removeMember(person, id, member: member)
            } catch TeamAdminService.Failure.lastOwner {
                return try membersPage(context, person, id, error: TeamAdminService.Failure.lastOwner.httpError.message, status: .unprocessableContent)
            }
            if member == person.userID { return .redirect(to: "/teams?notice=removed") }
            return .redirect(to: "/teams/\(id.rawValue)/members?notice=removed")
        }
        Self.signedIn(&routes, .post, "/teams/:teamId/invitations/:invitationId/revoke") { context, person in
            let id = try Self.teamID(context)
            guard let invitation = InvitationID(try context.parameter("invitationId")), try invitations.revoke(person, id, invitation) else {
                throw HTTPError.notFound("That invitation does not exist, or is gone already.")
            }
            return .redirect(to: "/teams/\(id.rawValue)/members?notice=revoked")
        }
    }

    private func membersPage(
        _ context: RequestContext, _ person: Principal, _ id: TeamID, error: String? = nil, status: HTTPResponse.Status = .ok,
        invited: InvitationView? = nil
    ) throws -> Response {
        let team = try service.team(person, id)
        let canManage = team.role >= TeamAction.manageMembers.requiredRole
        let isOwner = team.role >= TeamAction.manageOwners.requiredRole
        let members = try service.members(person, id).map { member -> [String: Any] in
            [
                "id": member.id.rawValue, "name": member.name.isEmpty ? "(no name yet)" : member.name, "email": member.email ?? "",
                "role": member.role.rawValue, "since": UTCDate.display(member.since), "you": member.id == person.userID,
                "manageable": canManage && (member.role != .owner || isOwner),
                "roles": TeamRole.allCases.reversed().filter { isOwner || $0 != .owner }.map { ["value": $0.rawValue, "selected": $0 == member.role] },
            ]
        }
        var values: [String: Any] = [
            "teamID": team.id.rawValue, "name": team.name, "members": members, "canManage": canManage,
            "roles": TeamRole.allCases.reversed().filter { isOwner || $0 != .owner }.map { ["value": $0.rawValue, "selected": $0 == .member] },
        ]
        if canManage {
            let pending = try invitations.pending(person, id).map { invitation -> [String: Any] in
                ["id": invitation.id.rawValue, "email": invitation.email, "name": invitation.name, "role": invitation.role.rawValue,
                 "expiresAt": UTCDate.display(invitation.expiresAt)]
            }
            values["pending"] = pending
            values["hasPending"] = !pending.isEmpty
        }
        if let invited {
            values["invitedURL"] = invited.url ?? ""
            values["invitedEmail"] = invited.email
            values["invitedRole"] = invited.role.rawValue
        }
        if let notice = Self.notices[context.request.query["notice"] ?? ""] { values["notice"] = notice }
        if let error { values["error"] = error }
        return try context.page("team-members", title: "Members of \(team.name)", values, status: status, csrf: true)
    }

    // MARK: Sites and logs

    static func page(_ context: RequestContext) -> Int {
        min(10_000, max(1, Int(context.request.query["page"] ?? "") ?? 1))
    }

    private func registerActivity(_ routes: inout Routes) {
        Self.signedIn(&routes, .get, "/teams/:teamId/sites") { context, person in
            return try sitesPage(context, person, try Self.teamID(context))
        }
        Self.signedIn(&routes, .post, "/teams/:teamId/sites/:secretId/revoke") { context, person in
            let id = try Self.teamID(context)
            guard try service.revokeGrant(person, id, secretID: try context.parameter("secretId")) else {
                throw HTTPError.notFound("That grant does not exist, or has already ended.")
            }
            return .redirect(to: "/teams/\(id.rawValue)/sites?notice=grant-revoked")
        }
        Self.signedIn(&routes, .get, "/teams/:teamId/logs") { context, person in
            return try logsPage(context, person, try Self.teamID(context))
        }
    }

    private func sitesPage(_ context: RequestContext, _ person: Principal, _ id: TeamID) throws -> Response {
        let team = try service.team(person, id)
        let search = String((context.request.query["q"] ?? "").trimmingCharacters(in: .whitespaces).prefix(200))
        let page = Self.page(context)
        let (rows, more) = try service.sites(person, id, search: search.isEmpty ? nil : search, page: page)
        let canRevoke = team.role >= TeamAction.revokeGrants.requiredRole
        let sites = rows.map { row -> [String: Any] in
            let grant = row.grant
            return [
                "siteURL": grant.siteURL, "secretID": grant.secretID, "granted": Relative.display(grant.createdAt, now: context.now),
                "expires": grant.expiresAt.map { Relative.display($0, now: context.now) } ?? "never",
                "lastLogin": row.lastSupportLogin.map { Relative.display($0, now: context.now) } ?? "none yet",
                "accessKey": String(grant.accessKey.prefix(8)) + "…", "canRevoke": canRevoke,
            ]
        }
        var values: [String: Any] = [
            "teamID": id.rawValue, "name": team.name, "sites": sites, "none": sites.isEmpty, "search": search,
            "searching": !search.isEmpty,
        ]
        let query = search.isEmpty ? "" : "q=\(URLEncoding.component(search))&"
        if page > 1 { values["previous"] = "/teams/\(id.rawValue)/sites?\(query)page=\(page - 1)" }
        if more { values["next"] = "/teams/\(id.rawValue)/sites?\(query)page=\(page + 1)" }
        if context.request.query["notice"] == "grant-revoked" { values["notice"] = "The grant is revoked: support logins to that site stop at once." }
        return try context.page("team-sites", title: "Sites of \(team.name)", values, csrf: true)
    }

    private func logsPage(_ context: RequestContext, _ person: Principal, _ id: TeamID) throws -> Response {
        let team = try service.team(person, id)
        let site = context.request.query["site"].flatMap { $0.isEmpty ? nil : String($0.prefix(128)) }
        let page = Self.page(context)
        let activity = try service.activity(person, id, site: site, page: page)
        let now = context.now
        let logins = activity.supportLogins.map { login -> [String: Any] in
            ["when": Relative.display(login.occurredAt, now: now), "siteURL": login.siteURL, "event": login.event,
             "user": login.userName ?? login.userID.map { "#\($0)" } ?? "", "secretID": login.secretID]
        }
        let attempts = activity.attempts.map { attempt -> [String: Any] in
            ["when": Relative.display(attempt.receivedAt, now: now), "siteURL": attempt.clientSiteURL, "code": attempt.code,
             "reason": attempt.detailedReason, "ip": attempt.clientIP ?? "", "secretID": attempt.secretID]
        }
        let events = activity.events.map { event -> [String: Any] in
            ["when": Relative.display(event.occurredAt, now: now), "event": event.event, "detail": event.detail,
             "bruteForce": event.event == "brute-force-reported"]
        }
        let pages = max(1, (activity.attemptTotal + Self.attemptsPerPageShown - 1) / Self.attemptsPerPageShown)
        let filter = site.map { "site=\(URLEncoding.component($0))&" } ?? ""
        var values: [String: Any] = [
            "teamID": id.rawValue, "name": team.name, "chart": DailyChart.svg(activity.days),
            "logins": logins, "noLogins": logins.isEmpty, "attempts": attempts, "noAttempts": attempts.isEmpty,
            "attemptTotal": activity.attemptTotal, "page": page, "pages": pages, "events": events, "noEvents": events.isEmpty,
            "site": site ?? "", "filtered": site != nil,
            "loginsTotal": activity.days.reduce(0) { $0 + $1.logins }, "failuresTotal": activity.days.reduce(0) { $0 + $1.failures },
            "bruteForce": events.filter { $0["bruteForce"] as? Bool == true }.count,
        ]
        if page > 1 { values["previous"] = "/teams/\(id.rawValue)/logs?\(filter)page=\(page - 1)" }
        if page < pages { values["next"] = "/teams/\(id.rawValue)/logs?\(filter)page=\(page + 1)" }
        return try context.page("team-logs", title: "Logs of \(team.name)", values)
    }

    static let attemptsPerPageShown = TeamAdminService.attemptsPerPage

    private func registerInvitation(_ routes: inout Routes) {
        routes.page(.get, "/invitations/:token") { context in
            let token = try context.parameter("token")
            guard let invitation = try invitations.describe(token) else {
                return try context.page(
                    "invitation", title: "Invitation", ["unusable": true], status: .notFound, csrf: true)
            }
            let signedIn = try context.userID() != nil
            return try context.page(
                "invitation", title: "Join \(invitation.team)",
                ["team": invitation.team, "role": invitation.role.rawValue, "token": token, "canJoin": signedIn,
                 "loginPath": "/login?next=\(URLEncoding.component(context.request.path))"], csrf: true)
        }
        Self.signedIn(&routes, .post, "/invitations/:token") { context, person in
            do {
                let joined = try invitations.accept(person, token: try context.parameter("token"))
                return .redirect(to: "/teams/\(joined.team.rawValue)?notice=joined")
            } catch InvitationService.Refusal.notUsable {
                return try context.page("invitation", title: "Invitation", ["unusable": true], status: .notFound, csrf: true)
            }
        }
    }
}
