import Foundation
import Storage
import Support
import Web

/// Personal API tokens: `vst_pat_` and 43 random base64url characters (256 bits), shown once;
/// storage keeps an HMAC of each under a subkey of the secret key, so the database alone gives
/// no token. Last use is recorded (at most once a minute per token: a busy script costs no
/// write per call).
public struct APITokenService: Sendable {
    public static let prefix = "vst_pat_"

    let storage: any Storage
    let clock: any WallClock
    let random: any RandomSource
    let lookup: CredentialLookup

    public init(storage: any Storage, clock: any WallClock, random: any RandomSource, secretKey: SecretKey) {
        self.storage = storage
        self.clock = clock
        self.random = random
        lookup = CredentialLookup(secretKey: secretKey, purpose: "api-token-lookup")
    }


    public struct Created: Sendable {
        /// The token itself: shown once, never again.
        public let token: String
        public let record: Stored<APIToken>
    }

    /// A new token named `name` (1 to 64 characters) for the user.
    public func create(for user: UserID, name: String) throws -> Created {
        let trimmed = name.trimmingCharacters(in: .whitespacesAndNewlines)
        guard (1...64).contains(trimmed.count), !trimmed.unicodeScalars.contains(where: { $0.properties.generalCategory == .control }) else {
            throw HTTPError(.unprocessableContent, "A token's name has 1 to 64 characters.", field: "name")
        }
        let token = Self.prefix + Base64URL.encode(random.bytes(32))
        let record = try storage.write { tx in
            try tx.apiTokens.insert(APIToken(userID: user, name: trimmed, lookup: lookup(token), at: clock.now()))
        }
        return Created(token: token, record: record)
    }

    public func tokens(of user: UserID) throws -> [Stored<APIToken>] {
        try storage.read { tx in try tx.apiTokens.tokens(of: user) }
    }

    /// False when the token is not the user's (or is gone).
    public func revoke(_ id: APITokenID, of user: UserID) throws -> Bool {
        try storage.write { tx in try tx.apiTokens.delete(id, of: user) }
    }

    /// The principal behind a bearer token; nil for anything that is not a live token.
    public func principal(bearer: String) throws -> Principal? {
        guard bearer.hasPrefix(Self.prefix), bearer.utf8.count == Self.prefix.utf8.count + 43 else { return nil }
        guard let token = try storage.read({ tx in try tx.apiTokens.token(lookup: lookup(bearer)) }) else { return nil }
        let now = clock.now()
        if (token.lastUsedAt ?? .distantPast) < now - 60 {
            try storage.write { tx in try tx.apiTokens.touch(token.id, at: now) }
        }
        return .apiToken(user: token.userID, token: token.id)
    }
}
