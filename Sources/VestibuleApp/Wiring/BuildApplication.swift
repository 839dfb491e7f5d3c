import FastCGI
import Features
import Foundation
import Logging
import Outbound
import Providers
import Sandbox
import Storage
import Support
import Web

/// The assembled program: what `serve`, `dev` and the tests run.
public struct BuiltApplication: Sendable {
    public let configuration: VestibuleConfiguration
    public let storage: any Storage
    public let web: WebApplication
    /// The provider emulators, served on their own socket and threads (sandbox only).
    public let sandboxWeb: WebApplication?
}

/// Builds the application from its configuration: storage (migrated), the secret key (checked
/// against the database's), templates, sessions, and every feature's routes. One function, used
/// by the program and the tests alike.
public func buildApplication(_ configuration: VestibuleConfiguration, logger: Logger) async throws -> BuiltApplication {
    let (storage, _) = try StorageOpening.open(configuration, connections: configuration.threads, logger: logger)
    let secretKey = try ClusterSecretKey.load(path: configuration.secretKeyFile, storage: storage)
    let renderer = try await PageRenderer(directory: configuration.templatesPath)
    let sandboxClock = AdjustableClock()
    let clock: any WallClock = configuration.sandbox ? sandboxClock : SystemClock()
    let random = SystemRandom()
    let sessions = SessionManager(
        settings: configuration.session, secretKey: secretKey, clock: clock, random: random)
    let environment = WebEnvironment(
        storage: storage, clock: clock, random: random, sessions: sessions, renderer: renderer)

    let accounts = AccountService(storage: storage, clock: clock)
    let regulation = Regulation(settings: configuration.regulation, storage: storage, clock: clock)
    let trezor = TrezorLoginService(
        settings: configuration.trezor, storage: storage, clock: clock, random: random, accounts: accounts,
        regulation: regulation, sessions: sessions)
    let signInStep = SignInStep(storage: storage, accounts: accounts, regulation: regulation, sessions: sessions)

    let teams = TeamService(storage: storage, clock: clock, random: random, secretKey: secretKey)
    let upgraded = try teams.upgradeLookups()
    if upgraded > 0 { logger.notice("made the credential lookups of \(upgraded) team(s) anew (HMAC under the secret key)") }
    let outbound = CurlHTTPClient(
        policy: AddressPolicy(allowPrivateNetworks: configuration.allowPrivateNetworks),
        userAgent: "Vestibule/\(VestibuleVersion.current)")
    if configuration.allowPrivateNetworks {
        logger.warning("outbound requests may reach loopback and private networks (outbound.allowPrivateNetworks)")
    }
    let gate = OutboundGate(total: configuration.outboundMaxInFlight, perKey: configuration.outboundMaxInFlightPerTeam)
    let trustedLogin = TrustedLoginServices(
        teams: teams, settings: configuration.trustedLogin, http: outbound, gate: gate, secretKey: secretKey, random: random)

    // Provider endpoints are the operator's choice (the emulator on this machine, in the sandbox):
    // their client is not the SSRF-guarded one above, which serves URLs outsiders choose.
    let providerHTTP = CurlHTTPClient(policy: AddressPolicy(allowPrivateNetworks: true), userAgent: "Vestibule/\(VestibuleVersion.current)")
    let providerGate = OutboundGate(total: configuration.outboundMaxInFlight, perKey: configuration.outboundMaxInFlight)
    let trusteeSettings = configuration.trusteeInEffect
    let trustee = trusteeSettings.isConfigured
        ? TrusteeLoginService(
            client: TrusteeGraphQLClient(settings: trusteeSettings, http: providerHTTP), storage: storage, clock: clock,
            random: random, regulation: regulation, step: signInStep, gate: providerGate)
        : nil

    let loginMethods: [any LoginMethodFeature] = [TrusteeLoginFeature(service: trustee), TrezorLoginFeature(service: trezor)]
    let methods = LoginMethodCatalog.methods(of: loginMethods)
    let apiTokens = APITokenService(storage: storage, clock: clock, random: random, secretKey: secretKey)
    let teamAdmin = TeamAdminService(teams: teams)
    let invitations = InvitationService(
        storage: storage, clock: clock, random: random, secretKey: secretKey, publicOrigin: configuration.publicURL.origin)
    var features: [any Feature] = loginMethods + [
        AccountFeature(accounts: accounts, methodNames: LoginMethodNames(methods), tokens: apiTokens),
        TrustedLoginFeature(services: trustedLogin),
        TeamAdminAPIFeature(service: teamAdmin, invitations: invitations, tokens: apiTokens, accounts: accounts),
        TeamPagesFeature(service: teamAdmin, invitations: invitations),
        ConnectFeature(service: ConnectService(admin: teamAdmin, random: random, secretKey: secretKey)),
    ]
    var sandboxWeb: WebApplication?
    if configuration.sandbox {
        logger.warning("sandbox is on: provider emulators and test aids are mounted; never use this in production")
        features.append(SandboxAids(clock: sandboxClock))
        sandboxWeb = WebApplication(
            features: [TrusteeEmulatorFeature(emulator: TrusteeEmulator(clock: clock))], environment: environment,
            strictTransportSecurity: configuration.publicURL.isHTTPS, publicOrigin: configuration.publicURL.origin,
            logger: logger)
    }
    features.append(HomeFeature(loginMethods: methods, version: VestibuleVersion.current))

    let web = WebApplication(
        features: features, environment: environment,
        strictTransportSecurity: configuration.publicURL.isHTTPS, publicOrigin: configuration.publicURL.origin, logger: logger)
    return BuiltApplication(configuration: configuration, storage: storage, web: web, sandboxWeb: sandboxWeb)
}
