import Foundation
import HTTPTypes
import Outbound
import Storage
import Support
import Web

/// The TrustedLogin services, made once by the program's wiring and shared by everything that
/// shows or changes grants, logs and keys: the API here, and the admin pages.
public struct TrustedLoginServices: Sendable {
    let teams: TeamService
    let credentials: Credentials
    let clientSites: ClientSiteService
    let vendors: VendorService
    let logs: LogService
    let signer: EnvelopeSigner

    /// - Parameter gate: the bound on outbound calls in flight (the vendors' signing-key fetches).
    public init(
        teams: TeamService, settings: TrustedLoginSettings, http: any HTTPFetching, gate: OutboundGate, secretKey: SecretKey,
        random: any RandomSource
    ) {
        let storage = teams.storage, clock = teams.clock
        self.teams = teams
        credentials = Credentials(teams: teams, clock: clock, acceptApiKeyInQuery: settings.acceptApiKeyInQuery)
        clientSites = ClientSiteService(storage: storage, clock: clock, random: random, settings: settings)
        signer = EnvelopeSigner(enabled: settings.envelopeSigning, storage: storage, clock: clock, secretKey: secretKey)
        vendors = VendorService(
            storage: storage, clock: clock, signer: signer, fetcher: SignatureKeyFetcher(http: http, gate: gate), clientSites: clientSites)
        logs = LogService(storage: storage, clock: clock)
    }
}

/// The TrustedLogin API under `/api/v1`, wire-compatible with the hosted service, for the client
/// SDK on customer sites and the Connector on vendor sites (docs/spec/trustedlogin-api.md).
public struct TrustedLoginFeature: Feature {
    let services: TrustedLoginServices

    public init(services: TrustedLoginServices) {
        self.services = services
    }

    static let forbidden = HTTPError(
        .forbidden, "You can not access this team",
        jsonBody: .object([("error", .string("true")), ("message", .string("You can not access this team"))]))

    public func register(_ routes: inout Routes) {
        registerClientSite(&routes)
        registerVendor(&routes)
        registerLogs(&routes)
    }

    private func registerClientSite(_ routes: inout Routes) {
        routes.api(.post, "/api/v1/sites") { context in
            try services.clientSites.upsert(team: try services.credentials.client(context.request), request: context.request)
        }
        routes.api(.delete, "/api/v1/sites/:secretId") { context in
            try services.clientSites.revoke(team: try services.credentials.client(context.request), secretID: try context.parameter("secretId"))
        }
        routes.api(.post, "/api/v1/sites/:secretId/verify-identifier") { context in
            try services.clientSites.verifyIdentifier(
                team: try services.credentials.client(context.request), secretID: try context.parameter("secretId"), request: context.request)
        }
        routes.api(.post, "/api/v1/sites/:secretId/login-attempts") { context in
            try services.clientSites.reportLoginAttempt(
                team: try services.credentials.client(context.request), secretID: try context.parameter("secretId"), request: context.request)
        }
        routes.api(.post, "/api/v1/report-brute-force") { context in
            try services.clientSites.reportBruteForce(team: try services.credentials.client(context.request), request: context.request)
        }
    }

    private func registerVendor(_ routes: inout Routes) {
        routes.api(.post, "/api/v1/accounts/:accountId") { context in
            let team = try services.credentials.vendor(context.request, failure: Self.forbidden)
            return try services.vendors.verifyTeam(
                team, accountID: try context.parameter("accountId"), request: context.request, logger: context.logger)
        }
        routes.api(.post, "/api/v1/accounts/:accountId/sites") { context in
            try services.vendors.lookUp(
                try services.credentials.vendor(context.request), accountID: try context.parameter("accountId"), request: context.request)
        }
        // No public caller (spec): the team's support URL with the reason added, Vestibule's choice.
        routes.api(.post, "/api/v1/accounts/:accountId/support-url") { context in
            let team = try services.credentials.vendor(context.request)
            try team.requireOwn(try context.parameter("accountId"))
            var body = try BodyFields(context.request)
            let reason = body.string("reason", max: 500)
            _ = body.string("meta_data", required: false, max: 10_000, allowEmpty: true)
            try body.check()
            guard let support = team.supportURL else {
                throw HTTPError(.notFound, "This team has no support URL; set one in the team's settings.")
            }
            let separator = support.contains("?") ? "&" : "?"
            return .json(JSONValue.object([("url", .string(support + separator + "reason=" + URLEncoding.component(reason ?? "")))]))
        }
        routes.api(.post, "/api/v1/sites/:accountId/:secretId/get-envelope") { context in
            try services.vendors.envelope(
                try services.credentials.vendor(context.request), accountID: try context.parameter("accountId"),
                secretID: try context.parameter("secretId"), request: context.request, logger: context.logger)
        }
        for path in ["/api/v1/envelope-signing-public-key", "/api/v1/envelope-signing-pubkey"] {
            routes.api(.get, path) { _ in
                guard services.signer.enabled else {
                    throw HTTPError(
                        .notFound, "Envelope signing disabled.",
                        jsonBody: .object([("error", .string("Envelope signing disabled."))]))
                }
                return Response.json(.object([("publicKey", .string(try services.signer.publicKeyHex))]))
            }
        }
    }

    private func registerLogs(_ routes: inout Routes) {
        routes.api(.get, "/api/v1/logs/logins/:teamId") { context in
            let team = try logReader(context)
            return try services.logs.logins(team, siteID: nil, query: context.request.query)
        }
        routes.api(.get, "/api/v1/logs/logins/:teamId/site/:siteId") { context in
            let team = try logReader(context)
            return try services.logs.logins(team, siteID: try context.parameter("siteId"), query: context.request.query)
        }
        routes.api(.get, "/api/v1/logs/login-attempts/:teamId") { context in
            let team = try logReader(context)
            return try services.logs.attempts(team, path: context.request.path, query: context.request.query)
        }
        routes.api(.get, "/api/v1/logs/login-attempts/:teamId/:attemptId") { context in
            let team = try logReader(context)
            return try services.logs.attempt(team, id: try context.parameter("attemptId"))
        }
    }

    /// A log reader whose team is the one in the path.
    private func logReader(_ context: RequestContext) throws -> Stored<Team> {
        let team = try services.credentials.logReader(context.request)
        try team.requireOwn(try context.parameter("teamId"))
        return team
    }
}
