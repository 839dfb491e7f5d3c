import Foundation
import GRDB
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

    /// What is stored to find a team by a credential: the SHA-256 of what arrives.
    static func lookup(_ credential: String) -> String { Digest256.sha256Hex(credential) }
}

/// What a team's standing allows, written once for the API (and the admin pages to come).
extension Team {
    static let teamNotFound = HTTPError(.notFound, "Team Not Found")
    static let pauseMode = HTTPError(
        .locked, "This team is in pause mode after a brute-force report; a team admin must resume it.")

    /// The team id in a path must be the authenticated team's own: another team's is 404, never 403.
    func requireOwn(_ pathID: String) throws(HTTPError) {
        guard Int64(pathID) == id else { throw Self.teamNotFound }
    }

    /// Pause mode (after a brute-force report) answers 423 to lookups, envelopes and verify-identifier.
    func requireNotPaused() throws(HTTPError) {
        if status == .paused { throw Self.pauseMode }
    }
}

/// Teams: made, listed, their keys cycled, paused and resumed. The command line, the API and the
/// admin pages all go through here, so a rule is written once.
public struct TeamService: Sendable {
    let database: AppDatabase
    let clock: any WallClock
    let random: any RandomSource
    let sealer: SecretSealer
    let store = TrustedLoginStore()

    public init(database: AppDatabase, clock: any WallClock, random: any RandomSource, secretKey: SecretKey) {
        self.database = database
        self.clock = clock
        self.random = random
        sealer = SecretSealer(secretKey: secretKey, purpose: "team-private-key")
    }

    public struct CreatedTeam: Sendable, Encodable {
        public let id: Int64
        public let name: String
        public let publicKey: String
        public let privateKey: String
    }

    public enum TeamError: Error, CustomStringConvertible {
        case invalidName
        case notFound(Int64)

        public var description: String {
            switch self {
            case .invalidName: return "a team name has 1 to 255 characters"
            case .notFound(let id): return "there is no team \(id)"
            }
        }
    }

    public func create(name: String) throws -> CreatedTeam {
        let name = name.trimmingCharacters(in: .whitespacesAndNewlines)
        guard (1...255).contains(name.count), !name.unicodeScalars.contains(where: { $0.properties.generalCategory == .control }) else {
            throw TeamError.invalidName
        }
        let keys = TeamKeys.make(random)
        let team = try database.write { db in
            try store.insert(
                db,
                Team(
                    name: name, publicKey: keys.publicKey, bearerLookup: TeamKeys.lookup(keys.v1Bearer),
                    tokenLookup: TeamKeys.lookup(keys.token), apiKeyLookup: TeamKeys.lookup(keys.privateKey),
                    privateKeySealed: try seal(keys), createdAt: clock.now()))
        }
        return CreatedTeam(id: team.id!, name: team.name, publicKey: keys.publicKey, privateKey: keys.privateKey)
    }

    public func list() throws -> [Team] {
        try database.read { db in try store.teams(db) }
    }

    public func team(id: Int64) throws -> Team? {
        try database.read { db in try store.team(db, id: id) }
    }

    /// New keys; the old public and private keys stop working at once.
    public func cycleKeys(teamID: Int64) throws -> CreatedTeam {
        let keys = TeamKeys.make(random)
        let now = clock.now()
        let team = try database.write { db -> Team in
            guard var team = try store.team(db, id: teamID) else { throw TeamError.notFound(teamID) }
            team.publicKey = keys.publicKey
            team.bearerLookup = TeamKeys.lookup(keys.v1Bearer)
            team.tokenLookup = TeamKeys.lookup(keys.token)
            team.apiKeyLookup = TeamKeys.lookup(keys.privateKey)
            team.privateKeySealed = try seal(keys)
            team.keysCycledAt = now
            try store.save(db, team)
            try store.record(db, TeamEvent(teamID: teamID, event: "keys-cycled", at: now))
            return team
        }
        return CreatedTeam(id: teamID, name: team.name, publicKey: keys.publicKey, privateKey: keys.privateKey)
    }

    /// Leaves pause mode (or makes an inactive team active again).
    public func resume(teamID: Int64) throws {
        try setStatus(teamID, .active, event: "resumed")
    }

    /// The team is no longer in good standing: verification answers 402.
    public func deactivate(teamID: Int64) throws {
        try setStatus(teamID, .inactive, event: "deactivated")
    }

    private func setStatus(_ teamID: Int64, _ status: Team.Status, event: String) throws {
        try database.write { db in
            guard try store.setStatus(db, teamID: teamID, status) else { throw TeamError.notFound(teamID) }
            try store.record(db, TeamEvent(teamID: teamID, event: event, at: clock.now()))
        }
    }

    /// The private key, for checking a v2 bearer (an HMAC keyed with it).
    func privateKey(of team: Team) -> String? {
        guard let bytes = try? sealer.open(Array(team.privateKeySealed), context: "team:\(team.publicKey)") else { return nil }
        return String(decoding: bytes, as: UTF8.self)
    }

    /// The sealed private key is bound to its public key: moved to another team, it does not open.
    private func seal(_ keys: TeamKeys) throws -> Data {
        Data(try sealer.seal(Array(keys.privateKey.utf8), context: "team:\(keys.publicKey)"))
    }
}
