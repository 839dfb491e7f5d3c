import Foundation
import HTTPTypes
import Logging
import Storage
import Support

/// Everything a handler needs for one request. Lives on the worker thread serving the request.
public final class RequestContext {
    public let request: Request
    public let kind: RouteKind
    /// False for requests no route matched (404 and 405 answers): those skip CSRF checks.
    public let matchedRoute: Bool
    public let parameters: [String: String]
    public var logger: Logger
    public let environment: WebEnvironment
    /// What the response's security headers allow beyond `'self'`; a route may widen it.
    public var securityPolicy = SecurityPolicy()

    private var sessionLoaded = false
    private var currentSession: Stored<Session>?
    private(set) var cookies: [SetCookie] = []
    private var parsedForm: FormFields?
    /// The request's cookies, parsed once (the session, the CSRF check and the page each ask).
    private lazy var requestCookies: [String: String] = Cookies.parse(request.head.headerFields[values: .cookie])

    init(
        request: Request, kind: RouteKind, matchedRoute: Bool = true, parameters: [String: String] = [:],
        environment: WebEnvironment, logger: Logger
    ) {
        self.request = request
        self.kind = kind
        self.matchedRoute = matchedRoute
        self.parameters = parameters
        self.environment = environment
        self.logger = logger
    }

    public var storage: any Storage { environment.storage }
    public var now: Date { environment.clock.now() }

    /// A path parameter; routes only match when it exists, so a miss is a programming error → 404.
    public func parameter(_ name: String) throws(HTTPError) -> String {
        guard let value = parameters[name] else { throw .notFound() }
        return value
    }

    // MARK: Sessions

    /// The browser's live session, if it has one. API routes never have one.
    public func session() throws -> Stored<Session>? {
        guard kind.usesSession else { return nil }
        if !sessionLoaded {
            sessionLoaded = true
            if let token = requestCookies[environment.sessions.settings.cookieName] {
                currentSession = try environment.sessions.resume(token: token, storage: storage)
                if currentSession == nil { cookies.append(environment.sessions.clearingCookie) }
            }
        }
        return currentSession
    }

    /// The signed-in user's id, or nil.
    public func userID() throws -> UserID? { try session()?.userID }

    /// The session, made now (anonymous) if the browser has none yet.
    public func ensureSession() throws -> Stored<Session> {
        if let existing = try session() { return existing }
        let issued = try storage.write { tx in
            try environment.sessions.issue(
                tx, userID: nil, replacing: nil, ipAddress: request.remoteAddress, userAgent: request.userAgent)
        }
        adopt(issued)
        return issued.record
    }

    /// The CSRF token for this browser: its session's, or, for a visitor without a session, the
    /// token of its anonymous CSRF cookie (set now if it has none). No database write.
    public func csrfToken() throws -> String {
        let sessions = environment.sessions
        if let session = try session() { return sessions.csrfToken(for: session) }
        return sessions.anonymousCSRFToken(for: anonymousCookieValue())
    }

    /// The anonymous CSRF cookie's value, from the request or made for this response.
    func anonymousCookieValue() -> String {
        let name = environment.sessions.settings.anonymousCookieName
        if let set = cookies.first(where: { $0.name == name }) { return set.value }
        if let sent = requestCookies[name], sent.utf8.count == 43 { return sent }
        let cookie = environment.sessions.anonymousCookie()
        cookies.append(cookie)
        return cookie.value
    }

    /// The CSRF tokens this request may carry: the session's, and (while the session is not
    /// signed in, or there is none) the anonymous cookie's, if it sent one.
    func acceptedCSRFTokens() throws -> [String] {
        let sessions = environment.sessions
        var tokens: [String] = []
        let session = try session()
        if let session { tokens.append(sessions.csrfToken(for: session)) }
        let name = sessions.settings.anonymousCookieName
        if session?.userID == nil, let sent = requestCookies[name], sent.utf8.count == 43 {
            tokens.append(sessions.anonymousCSRFToken(for: sent))
        }
        return tokens
    }

    /// Makes `issued` this request's session and sends its cookie. Call after the transaction
    /// that issued it has committed.
    public func adopt(_ issued: IssuedSession) {
        sessionLoaded = true
        currentSession = issued.record
        cookies.removeAll { $0.name == environment.sessions.settings.cookieName }
        cookies.append(environment.sessions.cookie(for: issued))
    }

    /// Ends the session: deletes its row and clears the cookie.
    public func endSession() throws {
        if let current = try session() {
            try storage.write { tx in try tx.sessions.delete(current.id) }
        }
        currentSession = nil
        cookies.removeAll { $0.name == environment.sessions.settings.cookieName }
        cookies.append(environment.sessions.clearingCookie)
    }

    // MARK: Bodies

    /// The body as a form (`application/x-www-form-urlencoded`), parsed once.
    public func form() throws(HTTPError) -> FormFields {
        if let parsedForm { return parsedForm }
        guard request.mediaType == "application/x-www-form-urlencoded" else {
            throw HTTPError(.unsupportedMediaType, "Send the form as application/x-www-form-urlencoded.")
        }
        guard let text = String(validating: request.body, as: UTF8.self) else {
            throw .badRequest("The form is not valid UTF-8.")
        }
        let form = try FormFields(urlEncoded: text, limits: .form)
        parsedForm = form
        return form
    }

    /// The body decoded as JSON into `T`; a malformed body is a 400 that names the field at fault.
    public func decodeJSON<T: Decodable>(_ type: T.Type) throws(HTTPError) -> T {
        try JSONBody.decode(type, from: request)
    }
}

/// What the Content-Security-Policy and opener policy allow for one response.
public struct SecurityPolicy: Sendable, Equatable {
    public var scriptSources: [String] = []
    public var frameSources: [String] = []
    public var connectSources: [String] = []
    public var imageSources: [String] = []
    public var formActions: [String] = []
    /// `same-origin` unless a page opens popups that must talk back (Trezor Connect).
    public var openerPolicy = "same-origin"

    public init() {}

    public var contentSecurityPolicy: String {
        func directive(_ name: String, _ extra: [String]) -> String {
            (["\(name) 'self'"] + extra).joined(separator: " ")
        }
        return [
            "default-src 'self'",
            directive("script-src", scriptSources),
            directive("connect-src", connectSources),
            directive("img-src", imageSources + ["data:"]),
            directive("frame-src", frameSources),
            directive("form-action", formActions),
            "base-uri 'none'",
            "object-src 'none'",
            "frame-ancestors 'none'",
        ].joined(separator: "; ")
    }
}
