import FastCGI
import Foundation
import HTTPTypes
import Logging
import Storage
import Support

/// The services every request can reach, built once at start.
public struct WebEnvironment: Sendable {
    public let storage: any Storage
    public let clock: any WallClock
    public let random: any RandomSource
    public let sessions: SessionManager
    public let renderer: PageRenderer

    public init(
        storage: any Storage, clock: any WallClock, random: any RandomSource, sessions: SessionManager,
        renderer: PageRenderer
    ) {
        self.storage = storage
        self.clock = clock
        self.random = random
        self.sessions = sessions
        self.renderer = renderer
    }
}

/// A part of the product that adds routes: a login method, the API, the admin pages.
public protocol Feature: Sendable {
    func register(_ routes: inout Routes)
}

/// The web application as the FastCGI server sees it: request in, response out.
public final class WebApplication: FastCGIResponder {
    private let router: Router
    private let environment: WebEnvironment
    private let logger: Logger
    private let middleware: [any Middleware]

    /// - Parameter publicOrigin: `scheme://host[:port]` of the public URL: a state-changing
    ///   browser request with another `Origin` is refused.
    public init(
        features: [any Feature], environment: WebEnvironment, strictTransportSecurity: Bool, publicOrigin: String? = nil,
        logger: Logger
    ) {
        var routes = Routes()
        for feature in features { feature.register(&routes) }
        let middleware: [any Middleware] = [
            RequestLogMiddleware(), SecurityHeadersMiddleware(strictTransportSecurity: strictTransportSecurity),
            SessionCookieMiddleware(), ErrorResponseMiddleware(), CSRFMiddleware(publicOrigin: publicOrigin),
        ]
        // Each route's chain is composed once, here, not on every request.
        router = Router(routes.mappingHandlers { Self.compose(middleware, around: $0) })
        self.middleware = middleware
        self.environment = environment
        self.logger = logger
    }

    static func compose(_ middleware: [any Middleware], around handler: @escaping Handler) -> Handler {
        middleware.reversed().reduce(handler) { next, step in
            { context in try step.handle(context, next: next) }
        }
    }

    public func respond(to exchange: FastCGIRequest) -> FastCGIResponse {
        let id = Self.requestID(exchange.requestID) ?? environment.random.hex(byteCount: 16)
        var logger = self.logger
        logger[metadataKey: "request_id"] = "\(id)"
        let response = handle(exchange, id: id, logger: logger)
        return FastCGIResponse(
            head: HTTPResponse(status: response.status, headerFields: response.headers), body: response.body)
    }

    /// Routes the request and runs it through the middleware; never throws.
    func handle(_ exchange: FastCGIRequest, id: String, logger: Logger) -> Response {
        let path = exchange.head.path ?? "/"
        let fallbackKind: RouteKind = Self.isAPIPath(path) ? .api : .page
        let request: Request
        do {
            let body: [UInt8]
            switch exchange.body {
            case .bytes(let bytes): body = bytes
            case .tooLarge: throw HTTPError(.contentTooLarge, "The request body is larger than this server accepts.")
            case .incomplete: throw HTTPError.badRequest("The request body was cut short.")
            }
            request = try Request(head: exchange.head, body: body, remoteAddress: exchange.remoteAddress, id: id)
        } catch {
            let bare = Request(withoutQuery: exchange.head, remoteAddress: exchange.remoteAddress, id: id)
            let context = RequestContext(request: bare, kind: fallbackKind, matchedRoute: false, environment: environment, logger: logger)
            return run(context) { _ in throw error }
        }
        switch router.match(method: request.method, segments: request.pathSegments) {
        case .found(let route, let parameters):
            let context = RequestContext(
                request: request, kind: route.kind, parameters: parameters, environment: environment, logger: logger)
            return run(context, composed: route.handler)
        case .methodNotAllowed(let allowed):
            let context = RequestContext(request: request, kind: fallbackKind, matchedRoute: false, environment: environment, logger: logger)
            let allow = allowed.map(\.rawValue).joined(separator: ", ")
            return run(context) { _ in
                throw HTTPError(.methodNotAllowed, "This address does not accept \(request.method.rawValue) requests.", headers: [.allow: allow])
            }
        case .notFound:
            let context = RequestContext(request: request, kind: fallbackKind, matchedRoute: false, environment: environment, logger: logger)
            return run(context) { _ in throw HTTPError.notFound() }
        }
    }

    /// Runs a request no route matched (or a malformed one) through the middleware around `handler`.
    private func run(_ context: RequestContext, _ handler: @escaping Handler) -> Response {
        run(context, composed: Self.compose(middleware, around: handler))
    }

    private func run(_ context: RequestContext, composed chain: Handler) -> Response {
        do {
            return try chain(context)
        } catch {
            // The error middleware catches everything below it; this is the log and headers failing.
            logger.critical("request failed outside the error middleware", metadata: ["error": "\(error)"])
            return .text("Internal Server Error\n", status: .internalServerError)
        }
    }

    static func isAPIPath(_ path: String) -> Bool { path == "/api" || path.hasPrefix("/api/") }

    /// nginx's `$request_id` is 32 hex characters; anything else is replaced by our own id.
    static func requestID(_ candidate: String?) -> String? {
        guard let candidate, Hex.isLowercase(candidate, length: 32) else { return nil }
        return candidate
    }
}
