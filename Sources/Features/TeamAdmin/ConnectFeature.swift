import Foundation
import HTTPTypes
import Storage
import Support
import Web

/// `/connect/{nonce}?redirect=URL` (the page) and `POST /api/v1/token`, `POST /api/v1/token/exchange`.
public struct ConnectFeature: Feature {
    let service: ConnectService

    public init(service: ConnectService) {
        self.service = service
    }

    /// The connect token from `Authorization: Bearer`; 401 without one.
    static func bearer(_ context: RequestContext) throws -> String {
        let header = context.request.head.headerFields[.authorization] ?? ""
        guard header.hasPrefix("Bearer "), header.utf8.count < 200 else { throw ConnectService.Refusal.notLive }
        return String(header.dropFirst(7))
    }

    public func register(_ routes: inout Routes) {
        routes.page(.get, "/connect/:nonce") { context in
            let nonce = try context.parameter("nonce")
            guard let redirect = ConnectService.validatedRedirect(context.request.query["redirect"]) else {
                throw ConnectService.Refusal.badRedirect
            }
            guard ConnectService.isNonce(nonce) else { throw ConnectService.Refusal.badNonce }
            guard let user = try context.userID() else {
                let here = context.request.path + "?redirect=" + URLEncoding.component(context.request.query["redirect"] ?? "")
                return .redirect(to: "/login?next=\(URLEncoding.component(here))")
            }
            return try page(context, .user(user), nonce: nonce, redirect: redirect)
        }
        routes.page(.post, "/connect/:nonce") { context in
            guard let user = try context.userID() else { return .redirect(to: "/login") }
            let nonce = try context.parameter("nonce")
            let form = try context.form()
            let teams = form.all("team").compactMap { TeamID($0) }
            do {
                let target = try service.allow(.user(user), nonce: nonce, teamIDs: teams, redirect: form["redirect"] ?? "")
                return .redirect(to: target)
            } catch ConnectService.Refusal.noTeamChosen {
                guard let redirect = ConnectService.validatedRedirect(form["redirect"]) else { throw ConnectService.Refusal.badRedirect }
                return try page(context, .user(user), nonce: nonce, redirect: redirect, error: "Choose at least one team to connect.", status: .unprocessableContent)
            }
        }
        routes.api(.post, "/api/v1/token") { context in
            let connect = try Self.bearer(context)
            let body = try BodyFields(context.request)
            // The Connector sends the same connect token in the body: it must be the bearer's.
            if let sent = body.value("token")?.string, !ConstantTime.equals(sent, connect) {
                throw ConnectService.Refusal.notLive
            }
            let tokens = try service.teamTokens(connectToken: connect)
            return .json(JSONValue.array(tokens.map { .object([("token", .string($0.token)), ("name", .string($0.name))]) }))
        }
        routes.api(.post, "/api/v1/token/exchange") { context in
            let connect = try Self.bearer(context)
            if let query = context.request.query["token"], !ConstantTime.equals(query, connect) {
                throw ConnectService.Refusal.notLive
            }
            var body = try BodyFields(context.request)
            // The team token from `POST token`, as `token` (or `accountToken`, Vestibule accepts either).
            let teamToken = body.value("token") != nil ? body.string("token", max: 200) : body.string("accountToken", max: 200)
            try body.check()
            let (team, privateKey) = try service.exchange(connectToken: connect, teamToken: teamToken ?? "")
            return .json(JSONValue.object([
                ("success", .bool(true)), ("id", .number(String(team.id.rawValue))), ("name", .string(team.name)),
                ("publicKey", .string(team.publicKey)), ("apiToken", .string(privateKey)),
            ]))
        }
    }

    private func page(
        _ context: RequestContext, _ person: Principal, nonce: String, redirect: URLComponents, error: String? = nil,
        status: HTTPResponse.Status = .ok
    ) throws -> Response {
        let teams = try service.connectableTeams(person).map { ["id": $0.id.rawValue, "name": $0.name, "role": $0.role.rawValue] }
        var values: [String: Any] = [
            "host": redirect.host ?? "", "scheme": redirect.scheme ?? "", "redirect": redirect.string ?? "", "nonce": nonce,
            "teams": teams, "none": teams.isEmpty, "plainHTTP": redirect.scheme?.lowercased() == "http",
        ]
        if let error { values["error"] = error }
        // The Allow form posts here and answers with a redirect to the vendor's site.
        let origin = "\(redirect.scheme ?? "https")://\(redirect.host ?? "")" + (redirect.port.map { ":\($0)" } ?? "")
        context.securityPolicy.formActions = [origin]
        return try context.page("connect", title: "Connect \(redirect.host ?? "a site")", values, status: status, csrf: true)
    }
}
