import Foundation
import HTTPTypes
import SLIP0013
import Storage
import Support
import Web

public struct TrezorSettings: Sendable {
    /// Where the page loads Trezor Connect from; its origin is allowed by the page's CSP.
    public let connectScriptURL: String
    /// `scheme://host[:port]` of the Connect script, for the CSP: worked out once, not per page.
    public let connectOrigin: String
    /// The manifest Trezor Connect requires: who runs this site, and where.
    public var manifestEmail: String
    public var manifestAppName: String
    public var manifestAppURL: String
    public var challengeLifetime: TimeInterval

    public init(
        connectScriptURL: String = "https://connect.trezor.io/9/trezor-connect.js", manifestEmail: String,
        manifestAppName: String = "Vestibule", manifestAppURL: String, challengeLifetime: TimeInterval = 300
    ) {
        self.connectScriptURL = connectScriptURL
        connectOrigin = Self.origin(of: connectScriptURL)
        self.manifestEmail = manifestEmail
        self.manifestAppName = manifestAppName
        self.manifestAppURL = manifestAppURL
        self.challengeLifetime = challengeLifetime
    }

    private static func origin(of connectScriptURL: String) -> String {
        guard let components = URLComponents(string: connectScriptURL), let scheme = components.scheme,
            let host = components.host
        else { return "https://connect.trezor.io" }
        return components.port.map { "\(scheme)://\(host):\($0)" } ?? "\(scheme)://\(host)"
    }
}

/// The body of `POST /login/trezor/verify`: what Trezor Connect returned, and the challenge.
struct TrezorVerifyRequest: Decodable {
    let challengeHidden: String
    let challengeVisual: String
    let publicKey: String
    let signature: String
    let address: String?
    let next: String?

    /// The decoded fields, and the hex forms they are stored and looked up by (lowercase).
    struct Checked {
        let hidden: [UInt8]
        let publicKey: [UInt8]
        let signature: [UInt8]
        var hiddenHex: String { Hex.encode(hidden) }
        var publicKeyHex: String { Hex.encode(publicKey) }
    }

    /// The fields' shapes; a malformed one is a 400 that names it.
    func checked() throws(HTTPError) -> Checked {
        guard Hex.isHex(challengeHidden, length: 64), let hidden = Hex.decode(challengeHidden) else {
            throw .badRequest("challengeHidden must be 64 hexadecimal characters.", field: "challengeHidden")
        }
        guard challengeVisual.utf8.count <= 64 else {
            throw .badRequest("challengeVisual must be at most 64 bytes.", field: "challengeVisual")
        }
        guard publicKey.utf8.count == 66, let key = Hex.decode(publicKey), key[0] == 2 || key[0] == 3 else {
            throw .badRequest(
                "publicKey must be a compressed secp256k1 key: 66 hexadecimal characters starting with 02 or 03.",
                field: "publicKey")
        }
        guard signature.utf8.count == 130, let signatureBytes = Hex.decode(signature) else {
            throw .badRequest("signature must be 130 hexadecimal characters (65 bytes).", field: "signature")
        }
        if let address, address.isEmpty || address.utf8.count > 64 || !Base58.isBase58(address) {
            throw .badRequest("address must be a Bitcoin address (Base58).", field: "address")
        }
        return Checked(hidden: hidden, publicKey: key, signature: signatureBytes)
    }
}

/// Trezor sign-in: challenges bound to the browser session, SLIP-0013 verification, regulation,
/// and the login itself (account, identity, session rotation) in one transaction.
public struct TrezorLoginService: Sendable {
    public static let method = "trezor"

    let settings: TrezorSettings
    let storage: any Storage
    let clock: any WallClock
    let random: any RandomSource
    let accounts: AccountService
    let regulation: Regulation
    let sessions: SessionManager
    let step: SignInStep

    public init(
        settings: TrezorSettings, storage: any Storage, clock: any WallClock, random: any RandomSource,
        accounts: AccountService, regulation: Regulation, sessions: SessionManager
    ) {
        self.settings = settings
        self.storage = storage
        self.clock = clock
        self.random = random
        self.accounts = accounts
        self.regulation = regulation
        self.sessions = sessions
        step = SignInStep(storage: storage, accounts: accounts, regulation: regulation, sessions: sessions)
    }

    /// A fresh challenge for this session: 32 random bytes, and the time for the device to show.
    public func issueChallenge(sessionID: SessionID) throws -> Stored<TrezorChallenge> {
        let now = clock.now()
        return try storage.write { tx in
            try tx.trezorChallenges.prune(session: sessionID, now: now, keep: 5)
            return try tx.trezorChallenges.insert(
                TrezorChallenge(
                    sessionID: sessionID, hidden: random.hex(byteCount: 32), visual: Self.visual(now), createdAt: now,
                    expiresAt: now + settings.challengeLifetime))
        }
    }

    /// SLIP-0013's recommended visual challenge: `YYYY-MM-DD HH:MM:SS` (UTC).
    static func visual(_ date: Date) -> String { UTCDate.dateTime(date) }

    public struct Outcome: Sendable {
        public let session: IssuedSession
        public let created: Bool
        public let linked: Bool
    }

    /// Checks the answer and signs in (or links the key to the signed-in account).
    /// Any refusal after the shape checks counts as a failure for regulation; nothing else is written.
    /// Regulation counts per client address only: a signature cannot be guessed, so a ban per
    /// public key would protect nothing, and would let strangers lock the key's owner out by
    /// sending three bad signatures claiming it.
    func verify(_ request: TrezorVerifyRequest, session: Stored<Session>, client: Request) throws -> Outcome {
        let checked = try request.checked()
        let reservation = try regulation.admit(
            method: Self.method,
            subjects: [.init(scope: "ip", value: client.remoteAddress)])
        do {
            return try check(request, checked, reservation: reservation, session: session, client: client)
        } catch let error as HTTPError where error.status == .unauthorized {
            try regulation.fail(reservation)
            throw error
        }
    }

    private func check(
        _ request: TrezorVerifyRequest, _ checked: TrezorVerifyRequest.Checked, reservation: Regulation.Reservation,
        session: Stored<Session>, client: Request
    ) throws -> Outcome {
        let challenge = try usableChallenge(hidden: checked.hiddenHex, session: session)
        guard challenge.visual == request.challengeVisual else { throw Self.badSignature }
        do {
            try SignedIdentity.verify(
                challengeHidden: checked.hidden, challengeVisual: challenge.visual, publicKey: checked.publicKey,
                signature: checked.signature)
        } catch {
            throw Self.badSignature
        }
        let address = SignedIdentity.address(publicKey: checked.publicKey)
        if let sent = request.address, sent != address {
            throw Self.unauthorized("The address Trezor sent does not belong to its key.")
        }
        return try signIn(
            key: checked.publicKeyHex, address: address, challenge: challenge, session: session,
            reservation: reservation, client: client)
    }

    private func usableChallenge(hidden: String, session: Stored<Session>) throws -> Stored<TrezorChallenge> {
        guard let challenge = try storage.read({ tx in try tx.trezorChallenges.challenge(hidden: hidden) }) else {
            throw Self.unauthorized("This sign-in request is unknown or already finished. Please start again.")
        }
        guard challenge.sessionID == session.id else {
            throw Self.unauthorized("This sign-in request was started in another browser. Please start again here.")
        }
        guard challenge.usedAt == nil else {
            throw Self.unauthorized("This sign-in request was already used. Please start again.")
        }
        guard challenge.expiresAt > clock.now() else {
            throw Self.unauthorized("This sign-in request has expired. Please start again.")
        }
        return challenge
    }

    /// The login, all in one transaction (the shared sign-in step): the challenge used, the
    /// account found or made, the attempt forgiven, the session rotated.
    private func signIn(
        key: String, address: String, challenge: Stored<TrezorChallenge>, session: Stored<Session>,
        reservation: Regulation.Reservation, client: Request
    ) throws -> Outcome {
        let now = clock.now()
        do {
            let completion = try step.finish(
                SignInStep.Proof(method: Self.method, subject: key, detail: address), session: session,
                reservation: reservation, client: client,
                consume: { tx in try tx.trezorChallenges.markUsed(challenge.id, at: now) })
            return Outcome(session: completion.session, created: completion.created, linked: completion.linked)
        } catch SignInStep.Refusal.belongsToAnotherAccount {
            throw HTTPError(.conflict, "This Trezor is already linked to another account. Sign out and sign in with it instead.")
        } catch SignInStep.Refusal.alreadyUsed {
            throw Self.unauthorized("This sign-in request was already used. Please start again.")
        }
    }

    static let badSignature = unauthorized(
        "The signature does not match this sign-in request. Check that you confirmed it on your Trezor for this site, then try again.")

    static func unauthorized(_ message: String) -> HTTPError { HTTPError(.unauthorized, message) }
}
