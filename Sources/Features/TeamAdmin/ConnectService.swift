import Foundation
import Storage
import Support
import Web

/// The Connector's one-click connect (spec: the connect flow). A person allows a vendor site to
/// fetch the keys of teams they own or administer: the site gets a connect token (10 minutes),
/// trades it for one team token per team (`POST token`), and each team token once for the
/// team's keys (`POST token/exchange`). Tokens are random; only HMACs of them are stored.
public struct ConnectService: Sendable {
    public static let lifetime: TimeInterval = 600

    let storage: any Storage
    let clock: any WallClock
    let random: any RandomSource
    let teams: TeamService
    let admin: TeamAdminService
    let lookup: CredentialLookup

    public init(admin: TeamAdminService, random: any RandomSource, secretKey: SecretKey) {
        storage = admin.storage
        clock = admin.clock
        self.random = random
        self.admin = admin
        teams = admin.teams
        lookup = CredentialLookup(secretKey: secretKey, purpose: "connect-token-lookup")
    }


    public enum Refusal: Error, Equatable {
        /// Not an absolute http or https URL: refused, never redirected to.
        case badRedirect
        case badNonce
        case noTeamChosen
        /// Unknown, expired or used: 401.
        case notLive
    }

    /// The redirect the Connector gave: an absolute http or https URL with a host, no user info.
    public static func validatedRedirect(_ text: String?) -> URLComponents? {
        guard let text, text.utf8.count <= 2048, !text.unicodeScalars.contains(where: { $0.value <= 0x20 || $0.value == 0x7F }),
            let url = URLComponents(string: text), let scheme = url.scheme?.lowercased(), scheme == "http" || scheme == "https",
            let host = url.host, !host.isEmpty, url.user == nil, url.password == nil
        else { return nil }
        return url
    }

    public static func isNonce(_ text: String) -> Bool {
        (1...128).contains(text.utf8.count) && text.utf8.allSatisfy { Base64URL.isAlphabet($0) || $0 == UInt8(ascii: ".") }
    }

    /// The teams the person may connect: those they own or administer.
    public func connectableTeams(_ principal: Principal) throws -> [TeamDetails] {
        try admin.teams(of: principal).filter { $0.role >= TeamAction.viewKeys.requiredRole }
    }

    /// Allow: a connect token for the chosen teams, and the redirect with it added.
    public func allow(_ principal: Principal, nonce: String, teamIDs: [TeamID], redirect: String) throws -> String {
        guard let user = principal.userID else { throw TeamAdminService.Failure.needsAPerson }
        guard let url = Self.validatedRedirect(redirect) else { throw Refusal.badRedirect }
        guard Self.isNonce(nonce) else { throw Refusal.badNonce }
        guard !teamIDs.isEmpty else { throw Refusal.noTeamChosen }
        let token = "vst_con_" + Base64URL.encode(random.bytes(32))
        let now = clock.now()
        try storage.write { tx in
            for id in teamIDs { _ = try TeamPolicy.authorize(tx, principal, .viewKeys, team: id) }
            _ = try tx.connect.insert(
                ConnectToken(userID: user, lookup: lookup(token), teamIDs: teamIDs, nonce: nonce, at: now, expiresAt: now + Self.lifetime))
            for id in teamIDs {
                try tx.teamLogs.record(TeamEvent(teamID: id, event: "connector-connected", detail: "to \(url.host ?? ""), \(principal.actor)", at: now))
            }
        }
        // Added as is (the token is URL-safe): the redirect's own query keeps its exact bytes.
        let parts = redirect.split(separator: "#", maxSplits: 1, omittingEmptySubsequences: false)
        let base = String(parts[0])
        let fragment = parts.count > 1 ? "#" + parts[1] : ""
        return base + (base.contains("?") ? "&" : "?") + "tl_connect_token=" + token + fragment
    }

    /// `POST token`: one team token per allowed team the person still owns or administers.
    public func teamTokens(connectToken: String) throws -> [(token: String, name: String)] {
        let now = clock.now()
        return try storage.write { tx in
            let connect = try live(tx, connectToken, now: now)
            var made: [(String, String)] = []
            for id in connect.teamIDs {
                guard let membership = try tx.memberships.membership(team: id, user: connect.userID), membership.role >= .admin,
                    let team = try tx.teams.team(id)
                else { continue }
                let token = "vst_team_" + Base64URL.encode(random.bytes(32))
                _ = try tx.connect.insert(TeamToken(connectTokenID: connect.id, teamID: id, lookup: lookup(token)))
                made.append((token, team.name))
            }
            return made
        }
    }

    /// `POST token/exchange`: the team's keys for one team token of this connect token, once.
    public func exchange(connectToken: String, teamToken: String) throws -> (team: Stored<Team>, privateKey: String) {
        let now = clock.now()
        let team = try storage.write { tx -> Stored<Team> in
            let connect = try live(tx, connectToken, now: now)
            guard let token = try tx.connect.teamToken(lookup: lookup(teamToken)), token.connectTokenID == connect.id,
                token.usedAt == nil, try tx.connect.markUsed(token.id, at: now),
                let membership = try tx.memberships.membership(team: token.teamID, user: connect.userID), membership.role >= .admin,
                let team = try tx.teams.team(token.teamID)
            else { throw Refusal.notLive }
            try tx.teamLogs.record(TeamEvent(teamID: team.id, event: "keys-fetched-by-connector", detail: "by user \(connect.userID.rawValue)", at: now))
            return team
        }
        guard let privateKey = teams.privateKey(of: team) else { throw Refusal.notLive }
        return (team, privateKey)
    }

    private func live(_ tx: any Transaction, _ token: String, now: Date) throws -> Stored<ConnectToken> {
        guard token.hasPrefix("vst_con_"), let connect = try tx.connect.connectToken(lookup: lookup(token)), connect.expiresAt > now else {
            throw Refusal.notLive
        }
        return connect
    }
}

extension ConnectService.Refusal: HTTPResponseError {
    public var httpError: HTTPError {
        switch self {
        case .badRedirect:
            return HTTPError(.badRequest, "This connect link's redirect is not an absolute http or https address, so it is refused.", field: "redirect")
        case .badNonce: return HTTPError(.badRequest, "This connect link is malformed.", field: "nonce")
        case .noTeamChosen: return HTTPError(.unprocessableContent, "Choose at least one team to connect.", field: "team")
        case .notLive: return HTTPError(.unauthorized, "Unauthenticated.", headers: [.wwwAuthenticate: "Bearer"])
        }
    }
}
