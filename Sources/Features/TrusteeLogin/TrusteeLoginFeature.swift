import Foundation
import HTTPTypes
import Storage
import Support
import Web

/// `GET /login/trustee`, `POST /login/trustee/start`, `GET /login/trustee/qr/:attempt`,
/// `POST /login/trustee/poll`.
public struct TrusteeLoginFeature: LoginMethodFeature {
    /// Nil when Trustee is not set up on this server: the card says so, the routes are 404.
    let service: TrusteeLoginService?

    public init(service: TrusteeLoginService?) {
        self.service = service
    }

    public var loginMethod: LoginMethod {
        LoginMethod(
            id: TrusteeLoginService.method, name: "Trustee wallet",
            summary: "Scan a QR code with the Trustee app and approve on your phone.",
            availability: service == nil ? .notSetUp : .offered(path: "/login/trustee"))
    }

    struct StartBody: Encodable {
        let attempt: String
        let link: String
        let qr: String
        let expiresAt: String
        let pollInterval: Int
    }

    struct PollRequest {
        let attempt: String
        let next: String?
    }

    public func register(_ routes: inout Routes) {
        guard let service else { return }
        routes.page(.get, "/login/trustee") { context in
            let linking = try context.userID() != nil
            return try context.page(
                "trustee", title: linking ? "Link a Trustee wallet" : "Sign in with Trustee",
                ["linking": linking, "next": LocalRedirect.validated(context.request.query["next"]) ?? ""], csrf: true)
        }
        routes.browserAPI(.post, "/login/trustee/start") { context in
            let session = try context.ensureSession()
            let attempt = try service.start(session: session, client: context.request, logger: context.logger)
            return .json(
                StartBody(
                    attempt: attempt.publicID, link: attempt.link, qr: "/login/trustee/qr/\(attempt.publicID)",
                    expiresAt: UTCDate.iso8601Z(attempt.expiresAt), pollInterval: service.pollInterval))
        }
        routes.page(.get, "/login/trustee/qr/:attempt") { context in
            let publicID = try context.parameter("attempt")
            guard Self.isAttemptID(publicID), let attempt = try service.attempt(publicID, session: try context.session()) else {
                throw HTTPError.notFound("There is no such QR code.")
            }
            guard let svg = try? QRCodeSVG.svg(encoding: attempt.link) else { throw HTTPError.notFound("There is no such QR code.") }
            var response = Response.text(svg)
            response.headers[.contentType] = "image/svg+xml"
            response.headers[.cacheControl] = "private, max-age=600"
            return response
        }
        routes.browserAPI(.post, "/login/trustee/poll") { context in
            let body = try Self.pollRequest(context.request)
            guard let session = try context.session(), let attempt = try service.attempt(body.attempt, session: session) else {
                throw HTTPError.notFound("This sign-in request is unknown. Start again.")
            }
            let answer = try service.poll(attempt, session: session, client: context.request, logger: context.logger)
            if let issued = answer.session { context.adopt(issued) }
            var redirect: String?
            if answer.status == .approved {
                redirect = answer.linked || session.userID != nil ? "/account" : (LocalRedirect.validated(body.next) ?? "/account")
            }
            return Self.pollAnswer(answer, redirect: redirect)
        }
    }

    /// Polls are the bulk of this method's traffic: the common answer is made once, and bodies
    /// are read and written with the project's JSON values (Foundation's coders cost more than
    /// the rest of a poll).
    static let pending = Response.json(bytes: Array(#"{"status":"pending"}"#.utf8))

    static func pollAnswer(_ answer: TrusteeLoginService.PollAnswer, redirect: String?) -> Response {
        if answer.status == .pending, answer.message == nil { return pending }
        var members: [(key: String, value: JSONValue)] = [("status", .string(answer.status.rawValue))]
        if let message = answer.message { members.append(("message", .string(message))) }
        if let redirect { members.append(("redirect", .string(redirect))) }
        if let created = answer.created { members.append(("created", .bool(created))) }
        return .json(JSONValue.object(members))
    }

    /// The body, with `attempt` present and shaped like one (400 naming the field otherwise).
    static func pollRequest(_ request: Request) throws(HTTPError) -> PollRequest {
        if let mediaType = request.mediaType, !mediaType.isEmpty, mediaType != "application/json", !mediaType.hasSuffix("+json") {
            throw HTTPError(.unsupportedMediaType, "Send the body as JSON (Content-Type: application/json).")
        }
        guard let body = try? JSONValue.parse(request.body), case .object = body else {
            throw .badRequest("The request body is not a JSON object.")
        }
        guard let attemptValue = body["attempt"], !attemptValue.isNull else {
            throw .badRequest("The field attempt is required.", field: "attempt")
        }
        guard let attempt = attemptValue.string, isAttemptID(attempt) else {
            throw .badRequest("attempt is not a sign-in request id.", field: "attempt")
        }
        return PollRequest(attempt: attempt, next: body["next"]?.string)
    }

    /// 24 base64url characters (18 random bytes).
    static func isAttemptID(_ text: String) -> Bool {
        text.utf8.count == 24 && text.utf8.allSatisfy { Base64URL.isAlphabet($0) }
    }
}
