import Crypto
import Foundation
import HTTPTypes
import Storage
import Support
import Web

/// The three ways the TrustedLogin API is authenticated (see docs/spec/trustedlogin-api.md):
/// a customer site by the team's public key; a vendor's Connector by its v1 or v2 bearer plus
/// X-TL-TOKEN; a log reader by the private key (`api_key`, or `X-TL-Api-Key`) or the vendor headers.
/// Secret credentials are hashed before they are looked up, so the index comparison can tell an
/// attacker nothing about the secret; a second secret (the v1 bearer, the v2 HMAC) is compared in
/// constant time. A storage error is a storage error (503 or 500), never a refusal that looks like a wrong key.
struct Credentials: Sendable {
    let teams: TeamService
    let clock: any WallClock
    /// `?api_key=` accepted (`trustedlogin.acceptApiKeyInQuery`); refused with 400 otherwise.
    var acceptApiKeyInQuery = false
    /// How far a v2 request's X-TL-Timestamp may be from our clock.
    static let clockSkew: TimeInterval = 300

    static let authVersion = HTTPField.Name("X-TL-Auth-Version")!
    static let timestamp = HTTPField.Name("X-TL-Timestamp")!
    static let nonce = HTTPField.Name("X-TL-Nonce")!
    static let token = HTTPField.Name("X-TL-TOKEN")!
    static let apiKey = HTTPField.Name("X-TL-Api-Key")!

    static let unauthenticated = HTTPError(.unauthorized, "Unauthenticated.")

    /// The bearer of `Authorization: Bearer <token>`.
    static func bearer(_ request: Request) -> String? {
        guard let header = request.header(.authorization) else { return nil }
        let parts = header.split(separator: " ", maxSplits: 1)
        guard parts.count == 2, parts[0].lowercased() == "bearer" else { return nil }
        return String(parts[1]).trimmingCharacters(in: .whitespaces)
    }

    /// A customer site: `Authorization: Bearer <team public key>`.
    func client(_ request: Request) throws -> Stored<Team> {
        guard let key = Self.bearer(request), !key.isEmpty, key.utf8.count <= 128,
            let team = try team(where: .publicKey, is: key)
        else { throw Self.unauthenticated }
        return team
    }

    /// A vendor's Connector: v2 (HMAC bearer, timestamp, nonce) when it says so, else v1; both with
    /// X-TL-TOKEN. `failure` is the error to answer (401, or 403 where the SaaS answers that).
    func vendor(_ request: Request, failure: HTTPError = unauthenticated) throws -> Stored<Team> {
        guard let token = request.header(Self.token), let bearer = Self.bearer(request),
            let team = try team(where: .token, is: teams.lookup(token))
        else { throw failure }
        if request.header(Self.authVersion) == "2" {
            guard try checkV2(request, bearer: bearer, team: team) else { throw failure }
        } else {
            guard ConstantTime.equals(team.credentials.bearerLookup, teams.lookup(bearer)) else { throw failure }
        }
        return team
    }

    /// v2: `Bearer base64(HMAC-SHA256(private key, "METHOD\nREQUEST_URI\nsha256hex(body)\nts\nnonce"))`,
    /// the timestamp within five minutes, the nonce never seen before from this team.
    private func checkV2(_ request: Request, bearer: String, team: Stored<Team>) throws -> Bool {
        guard let timestampText = request.header(Self.timestamp), let timestamp = Int64(timestampText),
            abs(clock.now().timeIntervalSince1970 - Double(timestamp)) <= Self.clockSkew,
            let nonce = request.header(Self.nonce), (8...128).contains(nonce.utf8.count),
            let privateKey = teams.privateKey(of: team), let sent = Data(base64Encoded: bearer)
        else { return false }
        let message = "\(request.method.rawValue.uppercased())\n\(request.head.path ?? "/")\n"
            + "\(Hex.encode(SHA256.hash(data: request.body)))\n\(timestamp)\n\(nonce)"
        let expected = HMAC<SHA256>.authenticationCode(for: Array(message.utf8), using: SymmetricKey(data: Array(privateKey.utf8)))
        guard ConstantTime.equals(Array(expected), Array(sent)) else { return false }
        return try teams.storage.write { tx in try tx.nonces.use("v2:\(nonce)", team: team.id, at: clock.now()) }
    }

    static let apiKeyInQuery = HTTPError(
        .badRequest,
        "Send the private key in the X-TL-Api-Key header or as api_key in the JSON body, not in the query string: URLs are written to logs.",
        field: "api_key")

    /// A log reader: the private key as `X-TL-Api-Key` or `api_key` in the body, or the vendor
    /// headers; `api_key` in the query only when the setting allows it (400 otherwise, whatever
    /// else the request carries). The body is parsed only when nothing else carries a credential.
    func logReader(_ request: Request) throws -> Stored<Team> {
        let queryKey = request.query["api_key"]
        if queryKey != nil && !acceptApiKeyInQuery { throw Self.apiKeyInQuery }
        let key = request.header(Self.apiKey) ?? queryKey ?? bodyKey(request)
        if let key, !key.isEmpty {
            guard let team = try team(where: .apiKey, is: teams.lookup(key)) else { throw Self.unauthenticated }
            return team
        }
        return try vendor(request)
    }

    private func team(where column: TeamLookup, is value: String) throws -> Stored<Team>? {
        try teams.storage.read { tx in try tx.teams.team(where: column, is: value) }
    }

    private func bodyKey(_ request: Request) -> String? {
        guard request.header(Self.token) == nil, !request.body.isEmpty, request.body.count <= 4096 else { return nil }
        return (try? JSONValue.parse(request.body))?["api_key"]?.string
    }
}
