import Foundation
import HTTPTypes
import Storage
import Support
import Web

/// `GET /account` (name, identities, sessions), renaming, revoking sessions, and `POST /logout`.
public struct AccountFeature: Feature {
    let accounts: AccountService
    let methodNames: LoginMethodNames
    /// Personal API tokens, listed and made on the account page; nil where the wiring has none.
    let tokens: APITokenService?

    public init(accounts: AccountService, methodNames: LoginMethodNames, tokens: APITokenService? = nil) {
        self.accounts = accounts
        self.methodNames = methodNames
        self.tokens = tokens
    }

    /// Messages after a redirect, by code: the query names one, it never carries text.
    static let notices = [
        "name-saved": "Your display name is saved.",
        "session-revoked": "That session has been signed out.",
        "token-revoked": "That API token has been revoked: it no longer works.",
    ]

    public func register(_ routes: inout Routes) {
        routes.page(.get, "/account") { context in
            guard let userID = try context.userID() else { return .redirect(to: "/login?next=/account") }
            return try accountPage(context, userID: userID, notice: Self.notices[context.request.query["notice"] ?? ""])
        }
        routes.page(.post, "/account/name") { context in
            guard let userID = try context.userID() else { return .redirect(to: "/login?next=/account") }
            do {
                try accounts.rename(userID: userID, to: try context.form()["displayName"] ?? "")
            } catch let error as HTTPError where error.status == .unprocessableContent {
                return try accountPage(context, userID: userID, error: error.message, status: error.status)
            }
            return .redirect(to: "/account?notice=name-saved")
        }
        routes.page(.post, "/account/sessions/:id/revoke") { context in
            guard let userID = try context.userID() else { return .redirect(to: "/login?next=/account") }
            guard let sessionID = SessionID(try context.parameter("id")) else { throw HTTPError.notFound() }
            if sessionID == (try context.session())?.id {
                try context.endSession()
                return .redirect(to: "/")
            }
            guard try accounts.revokeSession(userID: userID, sessionID: sessionID) else {
                throw HTTPError.notFound("That session does not exist, or has already ended.")
            }
            return .redirect(to: "/account?notice=session-revoked")
        }
        routes.page(.post, "/account/tokens") { context in
            guard let userID = try context.userID() else { return .redirect(to: "/login?next=/account") }
            guard let tokens else { throw HTTPError.notFound() }
            do {
                let created = try tokens.create(for: userID, name: try context.form()["name"] ?? "")
                return try accountPage(context, userID: userID, newToken: created)
            } catch let error as HTTPError where error.status == .unprocessableContent {
                return try accountPage(context, userID: userID, error: error.message, status: error.status)
            }
        }
        routes.page(.post, "/account/tokens/:id/revoke") { context in
            guard let userID = try context.userID() else { return .redirect(to: "/login?next=/account") }
            guard let tokens, let id = APITokenID(try context.parameter("id")), try tokens.revoke(id, of: userID) else {
                throw HTTPError.notFound("That token does not exist, or has already been revoked.")
            }
            return .redirect(to: "/account?notice=token-revoked")
        }
        routes.page(.post, "/logout") { context in
            try context.endSession()
            return .redirect(to: "/")
        }
    }

    private func accountPage(
        _ context: RequestContext, userID: UserID, notice: String? = nil, error: String? = nil,
        status: HTTPResponse.Status = .ok, newToken: APITokenService.Created? = nil
    ) throws -> Response {
        guard let overview = try accounts.overview(userID: userID) else {
            try context.endSession()
            return .redirect(to: "/login")
        }
        let currentSessionID = try context.session()?.id
        let name = overview.user.displayName
        let identities: [[String: Any]] = overview.identities.map { identity in
            [
                "method": methodNames.name(of: identity.method),
                "subject": identity.subject, "detail": identity.detail,
                "createdAt": UTCDate.display(identity.createdAt),
                "lastUsedAt": UTCDate.display(identity.lastUsedAt),
            ]
        }
        let sessions: [[String: Any]] = overview.sessions.map { session in
            [
                "id": session.id.rawValue, "current": session.id == currentSessionID,
                "createdAt": UTCDate.display(session.createdAt),
                "lastSeenAt": UTCDate.display(session.lastSeenAt),
                "ipAddress": session.ipAddress, "userAgent": Self.browserName(session.userAgent),
            ]
        }
        var values: [String: Any] = [
            "displayName": name, "heading": name.isEmpty ? "Your account" : name,
            "identities": identities, "sessions": sessions,
            "linkMethods": methodNames.offered.map { ["name": $0.name, "path": $0.path ?? ""] },
        ]
        if let notice { values["notice"] = notice }
        if let error { values["error"] = error }
        if let tokens {
            let list = try tokens.tokens(of: userID).map { token -> [String: Any] in
                ["id": token.id.rawValue, "name": token.name, "createdAt": UTCDate.display(token.createdAt),
                 "lastUsedAt": token.lastUsedAt.map(UTCDate.display) ?? "never"]
            }
            values["tokens"] = list
            values["hasTokens"] = !list.isEmpty
        }
        if let newToken {
            values["newToken"] = newToken.token
            values["newTokenName"] = newToken.record.name
        }
        return try context.page("account", title: "Your account", values, status: status, csrf: true)
    }

    /// A short name for a User-Agent string, enough to tell sessions apart.
    static func browserName(_ userAgent: String) -> String {
        let families = [("Edg/", "Edge"), ("OPR/", "Opera"), ("Firefox/", "Firefox"), ("Chrome/", "Chrome"), ("Safari/", "Safari"), ("curl/", "curl")]
        let browser = families.first { userAgent.contains($0.0) }?.1
        let systems = [("Android", "Android"), ("iPhone", "iPhone"), ("iPad", "iPad"), ("Windows", "Windows"), ("Mac OS X", "macOS"), ("Linux", "Linux")]
        let system = systems.first { userAgent.contains($0.0) }?.1
        switch (browser, system) {
        case (let browser?, let system?): return "\(browser) on \(system)"
        case (let browser?, nil): return browser
        case (nil, let system?): return system
        default: return userAgent.isEmpty ? "Unknown browser" : String(userAgent.prefix(40))
        }
    }
}
