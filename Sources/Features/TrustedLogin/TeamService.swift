import Crypto
import Foundation
import HTTPTypes
import Storage
import Support
import Web

/// A team's two keys, as the vendor receives them once. Only hashes (and the sealed private key)
/// are stored.
public struct TeamKeys: Sendable, Encodable {
    /// Ships in the vendor's plugin on every customer site; the client's bearer.
    public let publicKey: String
    /// Known to the team and its Connector only (the SaaS calls it apiToken).
    public let privateKey: String

    /// The Connector's v1 bearer: lowercase hex SHA-256 of the private key.
    public var v1Bearer: String { Digest256.sha256Hex(privateKey) }
    /// X-TL-TOKEN: lowercase hex SHA-256 of public key then private key.
    public var token: String { Digest256.sha256Hex(publicKey + privateKey) }

    static func make(_ random: any RandomSource) -> TeamKeys {
        TeamKeys(publicKey: random.hex(byteCount: 8), privateKey: random.hex(byteCount: 32))
    }
}

/// What is stored to find something by a secret (a team's credential, an API, invitation or
/// connect token): an HMAC of what arrives, under a subkey of the secret key for that purpose.
/// Not a plain hash: the SHA-256 of a team's private key is the Connector's v1 bearer, so whoever
/// read a plain-hash column could call the vendor API; without the key file, an HMAC gives
/// nothing to call anything with.
struct CredentialLookup: Sendable {
    private let key: SymmetricKey

    init(secretKey: SecretKey, purpose: String = "credential-lookup") {
        key = secretKey.subkey(for: purpose)
    }

    func callAsFunction(_ credential: String) -> String {
        Hex.encode(HMAC<SHA256>.authenticationCode(for: Array(credential.utf8), using: key))
    }
}

extension Team {
    static let teamNotFound = HTTPError(.notFound, "Team Not Found")
    static let pauseMode = HTTPError(
        .locked, "This team is in pause mode after a brute-force report; a team admin must resume it.")
}

/// What a team's standing allows, written once for the API (and the admin pages to come).
extension Stored where Record == Team {
    /// The team id in a path must be the authenticated team's own: another team's is 404, never 403.
    func requireOwn(_ pathID: String) throws(HTTPError) {
        guard TeamID(pathID) == id else { throw Team.teamNotFound }
    }

    /// Pause mode (after a brute-force report) answers 423 to lookups, envelopes and verify-identifier.
    func requireNotPaused() throws(HTTPError) {
        if record.status == .paused { throw Team.pauseMode }
    }
}

/// Teams: made, listed, their keys cycled, paused and resumed. The command line, the API and the
/// admin pages all go through here, so a rule is written once.
public struct TeamService: Sendable {
    let storage: any Storage
    let clock: any WallClock
    let random: any RandomSource
    let sealer: SecretSealer
    let lookup: CredentialLookup

    public init(storage: any Storage, clock: any WallClock, random: any RandomSource, secretKey: SecretKey) {
        self.storage = storage
        self.clock = clock
        self.random = random
        sealer = SecretSealer(secretKey: secretKey, purpose: "team-private-key")
        lookup = CredentialLookup(secretKey: secretKey)
    }

    public struct CreatedTeam: Sendable, Encodable {
        public let id: TeamID
        public let name: String
        public let publicKey: String
        public let privateKey: String
    }

    public enum TeamError: Error, CustomStringConvertible {
        case invalidName
        case notFound(TeamID)

        public var description: String {
            switch self {
            case .invalidName: return "a team name has 1 to 255 characters"
            case .notFound(let id): return "there is no team \(id)"
            }
        }
    }

    /// A new team with new keys; with `owner`, that user owns it (in the same transaction).
    public func create(name: String, owner: UserID? = nil) throws -> CreatedTeam {
        let name = name.trimmingCharacters(in: .whitespacesAndNewlines)
        guard Self.isValidName(name) else { throw TeamError.invalidName }
        let keys = TeamKeys.make(random)
        let credentials = try self.credentials(keys)
        let now = clock.now()
        let team = try storage.write { tx in
            let team = try tx.teams.insert(Team(name: name, credentials: credentials, createdAt: now))
            if let owner {
                _ = try tx.memberships.add(Membership(teamID: team.id, userID: owner, role: .owner, at: now))
                try tx.teamLogs.record(TeamEvent(teamID: team.id, event: "created", detail: "by user \(owner)", at: now))
            }
            return team
        }
        return CreatedTeam(id: team.id, name: team.name, publicKey: keys.publicKey, privateKey: keys.privateKey)
    }

    public func userExists(_ id: UserID) throws -> Bool {
        try storage.read { tx in try tx.accounts.user(id) } != nil
    }

    /// 1 to 255 characters, no control characters.
    static func isValidName(_ name: String) -> Bool {
        (1...255).contains(name.count) && !name.unicodeScalars.contains { $0.properties.generalCategory == .control }
    }

    public func list() throws -> [Stored<Team>] {
        try storage.read { tx in try tx.teams.teams() }
    }

    public func team(id: TeamID) throws -> Stored<Team>? {
        try storage.read { tx in try tx.teams.team(id) }
    }

    /// New keys; the old public and private keys stop working at once. `actor` is who asked, for the log.
    public func cycleKeys(teamID: TeamID, actor: String = "") throws -> CreatedTeam {
        let keys = TeamKeys.make(random)
        let credentials = try self.credentials(keys)
        let now = clock.now()
        let team = try storage.write { tx -> Stored<Team> in
            guard try tx.teams.replaceCredentials(of: teamID, with: credentials, at: now), let team = try tx.teams.team(teamID) else {
                throw TeamError.notFound(teamID)
            }
            try tx.teamLogs.record(TeamEvent(teamID: teamID, event: "keys-cycled", detail: actor, at: now))
            return team
        }
        return CreatedTeam(id: teamID, name: team.name, publicKey: keys.publicKey, privateKey: keys.privateKey)
    }

    /// What is stored of the keys: the public key, lookup values, the private key sealed.
    private func credentials(_ keys: TeamKeys) throws -> TeamCredentials {
        TeamCredentials(
            publicKey: keys.publicKey, bearerLookup: lookup(keys.v1Bearer), tokenLookup: lookup(keys.token),
            apiKeyLookup: lookup(keys.privateKey), privateKeySealed: try seal(keys))
    }

    /// Makes the lookup values of teams stored an older way (plain SHA-256) anew, from their sealed
    /// private keys: run at start, once the secret key is checked. How many teams it changed; a
    /// team whose key does not open is left as it was (and cannot authenticate either way).
    public func upgradeLookups() throws -> Int {
        try storage.write { tx in
            var upgraded = 0
            for team in try tx.teams.teams(withLookupSchemeBelow: TeamCredentials.currentLookupScheme) {
                guard let privateKey = openPrivateKey(team) else { continue }
                var credentials = team.credentials
                let keys = TeamKeys(publicKey: credentials.publicKey, privateKey: privateKey)
                credentials.bearerLookup = lookup(keys.v1Bearer)
                credentials.tokenLookup = lookup(keys.token)
                credentials.apiKeyLookup = lookup(keys.privateKey)
                credentials.lookupScheme = TeamCredentials.currentLookupScheme
                try tx.teams.setLookups(of: team.id, to: credentials)
                upgraded += 1
            }
            return upgraded
        }
    }

    /// Leaves pause mode (or makes an inactive team active again).
    public func resume(teamID: TeamID, actor: String = "") throws {
        try setStatus(teamID, .active, event: "resumed", actor: actor)
    }

    /// Pause mode: support logins are refused until an admin resumes.
    public func pause(teamID: TeamID, actor: String = "") throws {
        try setStatus(teamID, .paused, event: "paused", actor: actor)
    }

    /// The team is no longer in good standing: verification answers 402.
    public func deactivate(teamID: TeamID) throws {
        try setStatus(teamID, .inactive, event: "deactivated")
    }

    private func setStatus(_ teamID: TeamID, _ status: Team.Status, event: String, actor: String = "") throws {
        try storage.write { tx in
            guard try tx.teams.setStatus(of: teamID, to: status) else { throw TeamError.notFound(teamID) }
            try tx.teamLogs.record(TeamEvent(teamID: teamID, event: event, detail: actor, at: clock.now()))
        }
    }

    /// The Connector's private key, for those allowed to see it.
    public func privateKey(of team: Stored<Team>) -> String? {
        openPrivateKey(team)
    }

    /// Whether every team's sealed private key opens with this service's secret key: a database
    /// whose secrets were sealed with another key fails here.
    public func sealedKeysOpen() throws -> Bool {
        try list().allSatisfy { openPrivateKey($0) != nil }
    }

    /// The private key, for checking a v2 bearer (an HMAC keyed with it).
    func openPrivateKey(_ team: Stored<Team>) -> String? {
        let credentials = team.credentials
        guard let bytes = try? sealer.open(Array(credentials.privateKeySealed), context: "team:\(credentials.publicKey)") else {
            return nil
        }
        return String(decoding: bytes, as: UTF8.self)
    }

    /// The sealed private key is bound to its public key: moved to another team, it does not open.
    private func seal(_ keys: TeamKeys) throws -> Data {
        Data(try sealer.seal(Array(keys.privateKey.utf8), context: "team:\(keys.publicKey)"))
    }
}
