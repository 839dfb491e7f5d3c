import Foundation
import HTTPTypes
import Storage
import Web

/// `GET /login/trezor`, `POST /login/trezor/challenge`, `POST /login/trezor/verify`.
public struct TrezorLoginFeature: LoginMethodFeature {
    let service: TrezorLoginService

    public init(service: TrezorLoginService) {
        self.service = service
    }

    public let loginMethod = LoginMethod(
        id: TrezorLoginService.method, name: "Trezor",
        summary: "Confirm a sign-in challenge on your Trezor hardware wallet.", availability: .offered(path: "/login/trezor"))

    struct ChallengeBody: Encodable {
        let challengeHidden: String
        let challengeVisual: String
    }

    struct VerifyBody: Encodable {
        let redirect: String
        let created: Bool
    }

    public func register(_ routes: inout Routes) {
        routes.page(.get, "/login/trezor") { context in
            try page(context)
        }
        routes.browserAPI(.post, "/login/trezor/challenge") { context in
            let session = try context.ensureSession()
            let challenge = try service.issueChallenge(sessionID: session.id)
            return .json(ChallengeBody(challengeHidden: challenge.hidden, challengeVisual: challenge.visual))
        }
        routes.browserAPI(.post, "/login/trezor/verify") { context in
            let body = try context.decodeJSON(TrezorVerifyRequest.self)
            guard let session = try context.session() else {
                throw HTTPError(.unauthorized, "Your browser session has ended. Reload the page and start again.")
            }
            let outcome = try service.verify(body, session: session, client: context.request)
            context.adopt(outcome.session)
            let redirect = outcome.linked ? "/account" : (LocalRedirect.validated(body.next) ?? "/account")
            return .json(VerifyBody(redirect: redirect, created: outcome.created))
        }
    }

    /// The page loads Trezor Connect from its configured origin, which the CSP then allows for
    /// scripts and frames; Connect's popup talks back to this window, so the opener policy allows popups.
    private func page(_ context: RequestContext) throws -> Response {
        let settings = service.settings
        context.securityPolicy.scriptSources = [settings.connectOrigin]
        context.securityPolicy.frameSources = [settings.connectOrigin]
        // Trezor Suite's desktop bridge, which Connect tries first when it is running.
        context.securityPolicy.connectSources = ["ws://127.0.0.1:21335"]
        context.securityPolicy.openerPolicy = "same-origin-allow-popups"
        let linking = try context.userID() != nil
        return try context.page(
            "trezor", title: linking ? "Link a Trezor" : "Sign in with Trezor",
            [
                "linking": linking,
                "connectScriptURL": settings.connectScriptURL,
                "manifestEmail": settings.manifestEmail,
                "manifestAppName": settings.manifestAppName,
                "manifestAppURL": settings.manifestAppURL,
                "next": LocalRedirect.validated(context.request.query["next"]) ?? "",
            ], csrf: true)
    }
}
