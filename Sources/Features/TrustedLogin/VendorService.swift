import Crypto
import Foundation
import HTTPTypes
import Logging
import Storage
import Support
import Web

/// What vendors (the TrustedLogin Connector) do: verify their team, look grants up by access key,
/// fetch a grant's envelope to log in to the customer site.
struct VendorService: Sendable {
    let storage: any Storage
    let clock: any WallClock
    let signer: EnvelopeSigner
    let fetcher: SignatureKeyFetcher
    let clientSites: ClientSiteService

    // MARK: POST accounts/{accountId}

    /// Verifies the team: fetches the vendor's signing key from its site and stores it with the
    /// endpoint, logging the verification either way.
    ///
    /// Connector 1.x reads this one answer's body as an array when the status is not one it knows
    /// (400, 402, 403, 404, 405, 500), a fatal error in PHP 8. So a caller without
    /// `X-TL-Auth-Version: 2` gets 400 where the spec says 422 or 424, with the same message.
    func verifyTeam(_ team: Stored<Team>, accountID: String, request: Request, logger: Logger) throws -> Response {
        do {
            return try verifyTeamAnswer(team, accountID: accountID, request: request, logger: logger)
        } catch let error as HTTPError where [422, 424].contains(error.status.code) && request.header(Credentials.authVersion) != "2" {
            let message = error.fieldErrors.first?.messages.first ?? error.message
            var body: [(key: String, value: JSONValue)] = [("error", .bool(true)), ("message", .string(message))]
            if !error.fieldErrors.isEmpty { body.append(("errors", error.fieldErrorsJSON)) }
            throw HTTPError(.badRequest, message, jsonBody: .object(body))
        }
    }

    private func verifyTeamAnswer(_ team: Stored<Team>, accountID: String, request: Request, logger: Logger) throws -> Response {
        try team.requireOwn(accountID)
        if team.status == .inactive {
            throw HTTPError(
                .paymentRequired, "You do not have a valid TrustedLogin subscription",
                jsonBody: .object([
                    ("error", .string("true")), ("message", .string("You do not have a valid TrustedLogin subscription")),
                ]))
        }
        var fields = try BodyFields(request)
        let endpoint = fields.string("api_endpoint", max: 2048, format: FieldFormat.isURL, formatRule: .url)
        try fields.check()
        let now = clock.now()
        let signatureKey: String
        do {
            signatureKey = try fetcher.fetch(apiEndpoint: endpoint!, team: team.id, logger: logger)
        } catch {
            try storage.write { tx in
                try tx.teamLogs.record(TeamEvent(teamID: team.id, event: "verification-failed", detail: error.message, siteURL: endpoint, at: now))
            }
            throw error
        }
        try storage.write { tx in
            try tx.teams.setVerification(of: team.id, apiEndpoint: endpoint!, signatureKey: signatureKey, at: now)
            try tx.teamLogs.record(TeamEvent(teamID: team.id, event: "verified", siteURL: endpoint, at: now))
        }
        return Response.json(.object([
            ("id", .number(String(team.id.rawValue))), ("name", .string(team.name)), ("status", .string(team.status.rawValue)),
        ]))
    }

    // MARK: POST accounts/{accountId}/sites

    /// The live grants for some access keys: `{accessKey: [secretId, ...]}`, oldest first (the
    /// Connector reverses them); 204 when there are none.
    func lookUp(_ team: Stored<Team>, accountID: String, request: Request) throws -> Response {
        try team.requireOwn(accountID)
        try team.requireNotPaused()
        let fields = try BodyFields(request)
        guard let keys = fields.value("searchKeys"), !keys.isNull else {
            throw HTTPError.badRequest("Missing searchKeys parameter in body")
        }
        guard case .array(let items) = keys else { throw HTTPError.badRequest("searchKeys parameter must be an array") }
        guard items.count <= 100 else { throw HTTPError.badRequest("searchKeys may hold at most 100 keys") }
        let searchKeys = items.compactMap(\.string)
        let grants = try storage.read { tx in
            try tx.grants.liveGrants(team: team.id, accessKeys: searchKeys, now: clock.now())
        }
        guard !grants.isEmpty else { return .noContent }
        var found: [(key: String, value: JSONValue)] = []
        for key in searchKeys where !found.contains(where: { $0.key == key }) {
            let secrets = grants.filter { $0.accessKey == key }.map { JSONValue.string($0.secretID) }
            if !secrets.isEmpty { found.append((key, .array(secrets))) }
        }
        return Response.json(.object(found))
    }

    // MARK: POST sites/{accountId}/{secretId}/get-envelope

    /// The grant's envelope, for a vendor whose signed nonce proves it holds its signing key.
    func envelope(_ team: Stored<Team>, accountID: String, secretID: String, request: Request, logger: Logger) throws -> Response {
        try team.requireOwn(accountID)
        var fields = try BodyFields(request)
        let user = fields.value("user")
        let userID = user?["id"]?.looseInteger
        if user == nil || userID == nil { fields.fail("user.id", rule: .required) }
        let userName = user?["name"]?.string
        let nonce = fields.string("nonce", max: 256)
        let signedNonce = fields.string("signedNonce", max: 256)
        try fields.check()
        let grant = try clientSites.liveGrant(team: team, secretID: secretID)
        let nonceText = try checkSignedNonce(team, nonce: nonce!, signedNonce: signedNonce!, logger: logger)
        let now = clock.now()
        try storage.write { tx in
            guard try tx.nonces.use("envelope:\(nonceText)", team: team.id, at: now) else {
                throw HTTPError(.unauthorized, "This nonce was already used: sign a fresh one.")
            }
            try tx.teamLogs.record(
                SupportLogin(
                    teamID: team.id, grantID: grant.id, secretID: secretID, siteURL: grant.siteURL, event: "envelope",
                    userID: userID, userName: userName.map { String($0.prefix(255)) }, userAgent: request.userAgent,
                    ipAddress: request.remoteAddress, at: now))
        }
        return Response.json(.object(try sealedEnvelope(grant, at: now)))
    }

    /// The envelope as the client sent it (byte for byte), stamped with the time and signed.
    func sealedEnvelope(_ grant: Stored<Grant>, at now: Date) throws -> [(key: String, value: JSONValue)] {
        let metaData = (try? JSONValue.parse(Array(grant.metaData.utf8))) ?? .array([])
        var members: [(key: String, value: JSONValue)] = [
            ("identifier", .string(grant.identifier)),
            ("issuedAt", .number(String(Int64(now.timeIntervalSince1970)))),
            ("metaData", metaData),
            ("nonce", .string(grant.nonce)),
            ("publicKey", .string(grant.clientPublicKey)),
            ("siteUrl", .string(grant.siteURL)),
        ]
        if signer.enabled { members.append(("signature", .string(try signer.sign(members)))) }
        return members
    }

    /// Checks `signedNonce` (base64 Ed25519 signature) over `nonce` (base64 of a 48-hex string)
    /// with the vendor's signing key, fetching the key again once if it fails (the vendor may have
    /// reset its keys). Returns the nonce text.
    private func checkSignedNonce(_ team: Stored<Team>, nonce: String, signedNonce: String, logger: Logger) throws -> String {
        guard let nonceBytes = Data(base64Encoded: nonce), let signature = Data(base64Encoded: signedNonce),
            signature.count == 64, !nonceBytes.isEmpty
        else { throw Self.invalidSignature }
        var key = team.signatureKey
        var fresh = false
        if key == nil {
            key = try refreshSignatureKey(team, logger: logger)
            fresh = true
        }
        if try Self.verify(signature, over: nonceBytes, key: key!) { return String(decoding: nonceBytes, as: UTF8.self) }
        if !fresh, try Self.verify(signature, over: nonceBytes, key: try refreshSignatureKey(team, logger: logger)) {
            return String(decoding: nonceBytes, as: UTF8.self)
        }
        throw Self.invalidSignature
    }

    static let invalidSignature = HTTPError(.unauthorized, "Invalid signature - identity of vendor not validate")

    private static func verify(_ signature: Data, over message: Data, key: String) throws -> Bool {
        guard let raw = Hex.decode(key), let publicKey = try? Curve25519.Signing.PublicKey(rawRepresentation: raw) else {
            return false
        }
        return publicKey.isValidSignature(signature, for: message)
    }

    /// Fetches the vendor's key from the endpoint stored at verification, and stores it; 424 when
    /// the team was never verified or the fetch fails.
    private func refreshSignatureKey(_ team: Stored<Team>, logger: Logger) throws -> String {
        guard let endpoint = team.apiEndpoint else {
            throw HTTPError(.failedDependency, "The vendor's signing key is unknown: verify the team first (POST accounts/{id}).")
        }
        let key = try fetcher.fetch(apiEndpoint: endpoint, team: team.id, logger: logger)
        try storage.write { tx in try tx.teams.setSignatureKey(of: team.id, to: key) }
        return key
    }
}
