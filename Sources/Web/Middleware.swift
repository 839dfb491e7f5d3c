import Foundation
import HTTPTypes
import Logging
import Support

/// A step around every request: it may act before the handler, after it, or instead of it.
public protocol Middleware: Sendable {
    func handle(_ context: RequestContext, next: (RequestContext) throws -> Response) throws -> Response
}

/// One log line per request: method, path (never the query: it may carry a key), status, time.
/// A path that carries a secret (an invitation's token) is logged without it.
struct RequestLogMiddleware: Middleware {
    /// Paths whose next segment is a secret.
    static let secretSegmentsAfter = ["/invitations/", "/api/v1/teams/accept/"]

    static func loggedPath(_ path: String) -> String {
        for prefix in secretSegmentsAfter where path.hasPrefix(prefix) {
            let rest = path.dropFirst(prefix.count)
            return prefix + "(token)" + (rest.firstIndex(of: "/").map { String(rest[$0...]) } ?? "")
        }
        return path
    }

    func handle(_ context: RequestContext, next: (RequestContext) throws -> Response) throws -> Response {
        let start = ContinuousClock.now
        let response = try next(context)
        let elapsed = ContinuousClock.now - start
        let microseconds = Int64(elapsed / .microseconds(1))
        let milliseconds = "\(microseconds / 1000).\(String(microseconds % 1000 + 1000).dropFirst())"
        context.logger.info(
            "\(context.request.method) \(Self.loggedPath(context.request.path)) \(response.status.code)",
            metadata: [
                "ms": "\(milliseconds)",
                "remote": "\(context.request.remoteAddress)",
            ])
        return response
    }
}

/// Security headers on every response the program makes (nginx adds its own to static files).
struct SecurityHeadersMiddleware: Middleware {
    let strictTransportSecurity: Bool

    static let contentTypeOptions = HTTPField.Name("X-Content-Type-Options")!
    static let frameOptions = HTTPField.Name("X-Frame-Options")!
    static let referrerPolicy = HTTPField.Name("Referrer-Policy")!
    static let openerPolicy = HTTPField.Name("Cross-Origin-Opener-Policy")!
    static let permissionsPolicy = HTTPField.Name("Permissions-Policy")!
    static let requestID = HTTPField.Name("X-Request-ID")!
    static let defaultPolicy = SecurityPolicy()
    static let defaultPolicyFields: [HTTPField] = [
        HTTPField(name: .contentSecurityPolicy, value: defaultPolicy.contentSecurityPolicy),
        HTTPField(name: openerPolicy, value: defaultPolicy.openerPolicy),
    ]
    static let strictTransportSecurityField = HTTPField(name: .strictTransportSecurity, value: "max-age=31536000; includeSubDomains")
    static let noStoreField = HTTPField(name: .cacheControl, value: "no-store")
    static let constantFields: [HTTPField] = [
        HTTPField(name: contentTypeOptions, value: "nosniff"),
        HTTPField(name: frameOptions, value: "DENY"),
        HTTPField(name: referrerPolicy, value: "same-origin"),
        HTTPField(name: permissionsPolicy, value: "camera=(), microphone=(), geolocation=(), payment=()"),
    ]

    static let ownedNames: Set<HTTPField.Name> = [
        .contentSecurityPolicy, openerPolicy, contentTypeOptions, frameOptions, referrerPolicy, permissionsPolicy,
        .strictTransportSecurity, requestID,
    ]

    func handle(_ context: RequestContext, next: (RequestContext) throws -> Response) throws -> Response {
        var response = try next(context)
        let policy = context.securityPolicy
        // Built as one list (one HTTPFields beats many assignments); a handler's own value of one
        // of these is dropped, so each is sent once, as set here.
        var fields = response.headers.filter { !Self.ownedNames.contains($0.name) }
        fields.reserveCapacity(fields.count + 10)
        if policy == Self.defaultPolicy {
            fields += Self.defaultPolicyFields
        } else {
            fields.append(HTTPField(name: .contentSecurityPolicy, value: policy.contentSecurityPolicy))
            fields.append(HTTPField(name: Self.openerPolicy, value: policy.openerPolicy))
        }
        fields += Self.constantFields
        if strictTransportSecurity { fields.append(Self.strictTransportSecurityField) }
        // Pages carry CSRF tokens and personal data; API answers are per-caller: never cache.
        if response.headers[.cacheControl] == nil { fields.append(Self.noStoreField) }
        fields.append(HTTPField(name: Self.requestID, value: context.request.id))
        response.headers = HTTPFields(fields)
        return response
    }
}

/// Sends the session cookie changes a request made, whatever the response.
struct SessionCookieMiddleware: Middleware {
    func handle(_ context: RequestContext, next: (RequestContext) throws -> Response) throws -> Response {
        var response = try next(context)
        for cookie in context.cookies {
            response.headers.append(HTTPField(name: .setCookie, value: cookie.headerValue))
        }
        return response
    }
}

/// Checks every state-changing browser request: first where it comes from (an `Origin` other than
/// this site's, or `Sec-Fetch-Site: cross-site`, is refused, as OWASP recommends beside tokens),
/// then its CSRF token: `_csrf` form field or `X-CSRF-Token` header, compared in constant time
/// with the session's token.
struct CSRFMiddleware: Middleware {
    static let headerName = HTTPField.Name("X-CSRF-Token")!
    static let origin = HTTPField.Name("Origin")!
    static let fetchSite = HTTPField.Name("Sec-Fetch-Site")!
    static let safeMethods: Set<HTTPRequest.Method> = [.get, .head, .options]

    /// `scheme://host[:port]` of the public URL; nil skips the Origin comparison (tests in process).
    let publicOrigin: String?

    static let crossSite = HTTPError(
        .forbidden, "This request came from another site, so it was refused. Use this site's own pages to make changes.")

    func handle(_ context: RequestContext, next: (RequestContext) throws -> Response) throws -> Response {
        guard context.matchedRoute, context.kind.usesSession, !Self.safeMethods.contains(context.request.method) else {
            return try next(context)
        }
        if let origin = context.request.header(Self.origin), let publicOrigin, origin != publicOrigin {
            throw Self.crossSite
        }
        if context.request.header(Self.fetchSite)?.lowercased() == "cross-site" { throw Self.crossSite }
        let accepted = try context.acceptedCSRFTokens()
        guard let sent = try context.request.header(Self.headerName) ?? formToken(context),
            // Every candidate compared, each in constant time.
            accepted.reduce(false, { found, token in ConstantTime.equals(sent, token) || found })
        else {
            throw HTTPError(
                .forbidden,
                "This request did not carry this site's security token, so it was refused. Reload the page and try again.")
        }
        return try next(context)
    }

    private func formToken(_ context: RequestContext) throws -> String? {
        guard context.request.mediaType == "application/x-www-form-urlencoded" else { return nil }
        return try context.form()["_csrf"]
    }
}
