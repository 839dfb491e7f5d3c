import Foundation

// One protocol per aggregate. Every method runs inside the transaction it was reached through
// (`tx.sessions.find(...)`), so a service composes one transaction across several stores.
// A method documented as atomic holds its rule by itself on every backend and every node.

/// Users and their identities.
public protocol AccountStore {
    func user(_ id: UserID) throws -> Stored<User>?
    func createUser(displayName: String, at time: Date) throws -> Stored<User>
    func rename(_ id: UserID, to name: String) throws
    func setEmail(_ id: UserID, to email: String?) throws
    /// Every user, oldest first.
    func users() throws -> [Stored<User>]
    /// Deletes the user with their identities, sessions, memberships and tokens; false when none.
    func deleteUser(_ id: UserID) throws -> Bool
    /// False when there is no such user.
    func setOperator(_ id: UserID, _ isOperator: Bool) throws -> Bool
    func identity(method: String, subject: String) throws -> Stored<Identity>?
    /// The user's identities, oldest first.
    func identities(of user: UserID) throws -> [Stored<Identity>]
    func add(_ identity: Identity) throws -> Stored<Identity>
    func touch(_ id: IdentityID, detail: String, at time: Date) throws
}

/// Browser sessions.
public protocol SessionStore {
    func session(tokenHash: Data) throws -> Stored<Session>?
    func insert(_ session: Session) throws -> Stored<Session>
    func touch(_ id: SessionID, at time: Date) throws
    /// False when there was no such session.
    @discardableResult func delete(_ id: SessionID) throws -> Bool
    /// Deletes one of `user`'s sessions; another user's session id deletes nothing.
    @discardableResult func delete(_ id: SessionID, of user: UserID) throws -> Bool
    /// The user's sessions, most recently seen first.
    func sessions(of user: UserID) throws -> [Stored<Session>]
    /// Deletes sessions past their absolute end or idle for longer than `idleTimeout`, and anonymous
    /// ones (a sign-in started, never finished) older than `anonymousLifetime`.
    @discardableResult func purge(now: Date, idleTimeout: TimeInterval, anonymousLifetime: TimeInterval) throws -> Int
}

/// Trezor challenges.
public protocol TrezorChallengeStore {
    func insert(_ challenge: TrezorChallenge) throws -> Stored<TrezorChallenge>
    func challenge(hidden: String) throws -> Stored<TrezorChallenge>?
    /// Atomic: marks the challenge used if it still is unused; false when another request got there first.
    func markUsed(_ id: TrezorChallengeID, at time: Date) throws -> Bool
    /// Drops a session's used and expired challenges and all but its newest `keep - 1` open ones.
    func prune(session: SessionID, now: Date, keep: Int) throws
    @discardableResult func purge(now: Date) throws -> Int
}

/// Trustee wallet sign-ins in progress.
public protocol TrusteeAttemptStore {
    func insert(_ attempt: TrusteeAttempt) throws -> Stored<TrusteeAttempt>
    func attempt(publicID: String) throws -> Stored<TrusteeAttempt>?
    /// Atomic: claims the next upstream check of an open (pending, unused) attempt unless one was
    /// claimed after `since`; false when another poll, on any node, has it.
    func claimCheck(_ id: TrusteeAttemptID, at time: Date, unlessClaimedAfter since: Date) throws -> Bool
    /// What the upstream check found; the attempt's expiry as Trustee gave it.
    func recordCheck(_ id: TrusteeAttemptID, state: TrusteeAttempt.State, lastError: String?, expiresAt: Date) throws
    /// Atomic: marks the attempt used if it still is unused; false when another request got there first.
    func markUsed(_ id: TrusteeAttemptID, at time: Date) throws -> Bool
    /// Ends the attempt as `state` (used), whatever it was.
    func close(_ id: TrusteeAttemptID, state: TrusteeAttempt.State, lastError: String?, at time: Date) throws
    /// The approval's outcome: approved, and bound to the session it rotated into.
    func settle(_ id: TrusteeAttemptID, session: SessionID, createdAccount: Bool) throws
    /// Drops all but the session's newest `keep - 1` attempts.
    func prune(session: SessionID, keep: Int) throws
    /// Deletes attempts that expired before `before`.
    @discardableResult func purge(before: Date) throws -> Int
}

/// Failed sign-ins and the bans they cause, per method and subject. The rules built on these
/// (admit, fail) serialize on their subjects: see `Transaction.serialize(on:)`.
public protocol RegulationStore {
    /// The subject's standing in one look: the end of a ban in force at `now`, and the attempts
    /// since `since` (confirmed failures, and attempts still being checked).
    func standing(method: String, subject: RegulationSubject, now: Date, since: Date) throws -> RegulationStanding
    /// Atomic upsert: the subject is banned until `until`.
    func ban(method: String, subject: RegulationSubject, until: Date) throws
    /// Records attempts, in one statement; their ids.
    func record(_ attempts: [RegulationAttempt]) throws -> [RegulationAttemptID]
    /// Pending attempts that turned out to be failures.
    func confirm(_ ids: [RegulationAttemptID]) throws
    func delete(_ ids: [RegulationAttemptID]) throws
    /// Deletes failures older than `findTime` and bans that ended.
    @discardableResult func purge(now: Date, findTime: TimeInterval) throws -> Int
}

/// TrustedLogin teams.
public protocol TeamStore {
    func team(_ id: TeamID) throws -> Stored<Team>?
    func teams() throws -> [Stored<Team>]
    /// The team whose `column` holds `value`.
    func team(where column: TeamLookup, is value: String) throws -> Stored<Team>?
    func insert(_ team: Team) throws -> Stored<Team>
    /// New keys for the team; false when there is no such team.
    func replaceCredentials(of id: TeamID, with credentials: TeamCredentials, at time: Date) throws -> Bool
    /// Teams whose lookup values were made an older way (`TeamCredentials.lookupScheme`).
    func teams(withLookupSchemeBelow scheme: Int) throws -> [Stored<Team>]
    /// New lookup values (and their scheme) for the same keys.
    func setLookups(of id: TeamID, to credentials: TeamCredentials) throws
    /// False when there is no such team.
    func setStatus(of id: TeamID, to status: Team.Status) throws -> Bool
    /// The vendor's endpoint and signing key, found by verification at `time`.
    func setVerification(of id: TeamID, apiEndpoint: String, signatureKey: String, at time: Date) throws
    func setSignatureKey(of id: TeamID, to key: String) throws
    /// The settings an admin edits; false when there is no such team.
    func setSettings(of id: TeamID, name: String, apiEndpoint: String?, supportURL: String?) throws -> Bool
    /// Deletes the team; its grants, logs, nonces and memberships go with it. False when there was none.
    func delete(_ id: TeamID) throws -> Bool
}

/// Who belongs to which team, with which role.
public protocol MembershipStore {
    /// A new membership; `StorageError.conflict` when the user is a member already.
    func add(_ membership: Membership) throws -> Stored<Membership>
    func membership(team: TeamID, user: UserID) throws -> Stored<Membership>?
    /// The team's members, oldest first.
    func members(of team: TeamID) throws -> [Stored<Membership>]
    /// The user's memberships, oldest first.
    func teams(of user: UserID) throws -> [Stored<Membership>]
    /// False when the user is not a member.
    func setRole(team: TeamID, user: UserID, to role: TeamRole) throws -> Bool
    /// False when the user was not a member.
    func remove(team: TeamID, user: UserID) throws -> Bool
    func count(team: TeamID, role: TeamRole) throws -> Int
}

/// Invitations to teams.
public protocol InvitationStore {
    func insert(_ invitation: Invitation) throws -> Stored<Invitation>
    func invitation(lookup: String) throws -> Stored<Invitation>?
    /// The team's unused invitations that have not expired at `now`, newest first.
    func pending(team: TeamID, now: Date) throws -> [Stored<Invitation>]
    /// Atomic: marks the invitation used by `user` if it is still unused; false otherwise.
    func markUsed(_ id: InvitationID, by user: UserID, at time: Date) throws -> Bool
    /// Deletes one of the team's invitations; false when there was none.
    func delete(_ id: InvitationID, team: TeamID) throws -> Bool
    /// Deletes invitations that expired before `before`.
    @discardableResult func purge(before: Date) throws -> Int
}

/// The Connector's one-click connect: connect tokens and the team tokens made from them.
public protocol ConnectStore {
    func insert(_ token: ConnectToken) throws -> Stored<ConnectToken>
    func connectToken(lookup: String) throws -> Stored<ConnectToken>?
    func insert(_ token: TeamToken) throws -> Stored<TeamToken>
    func teamToken(lookup: String) throws -> Stored<TeamToken>?
    /// Atomic: marks the team token used if it still is unused; false otherwise.
    func markUsed(_ id: TeamTokenID, at time: Date) throws -> Bool
    /// Deletes connect tokens (and their team tokens) that expired before `before`.
    @discardableResult func purge(before: Date) throws -> Int
}

/// Personal API tokens.
public protocol APITokenStore {
    func insert(_ token: APIToken) throws -> Stored<APIToken>
    func token(lookup: String) throws -> Stored<APIToken>?
    /// The user's tokens, newest first.
    func tokens(of user: UserID) throws -> [Stored<APIToken>]
    func touch(_ id: APITokenID, at time: Date) throws
    /// Deletes one of `user`'s tokens; false when it is not theirs (or gone).
    func delete(_ id: APITokenID, of user: UserID) throws -> Bool
}

/// Support-access grants from customer sites.
public protocol GrantStore {
    /// The team's grant for `secretID`; other teams' grants are never seen.
    func grant(team: TeamID, secretID: String) throws -> Stored<Grant>?
    /// Atomic upsert on (team, secretID): a new grant, or every field of the existing one
    /// replaced but its id and `createdAt`.
    @discardableResult func upsert(_ grant: Grant) throws -> Stored<Grant>
    /// False when the team has no grant for `secretID`.
    @discardableResult func delete(team: TeamID, secretID: String) throws -> Bool
    /// Live grants of a team whose access key is one of `accessKeys`, oldest first.
    func liveGrants(team: TeamID, accessKeys: [String], now: Date) throws -> [Stored<Grant>]
    /// A page of the team's live grants, newest first; `search` matches the site URL or the secret
    /// id (case-insensitive, anywhere in them).
    func liveGrants(team: TeamID, search: String?, now: Date, limit: Int, offset: Int) throws -> [Stored<Grant>]
    /// Deletes grants past their expiry: all of them, or one team's.
    @discardableResult func purgeExpired(now: Date, team: TeamID?) throws -> Int
}

/// What happened to a team: support logins, reported failed logins, team events.
public protocol TeamLogStore {
    func record(_ event: TeamEvent) throws
    /// The team's events, newest first.
    func events(team: TeamID) throws -> [Stored<TeamEvent>]
    func record(_ login: SupportLogin) throws
    /// Support logins of a team in `[since, before)`, newest first; optionally of one site (its
    /// secret id, or the grant's numeric id) and of one vendor user.
    func supportLogins(team: TeamID, since: Date, before: Date, site: String?, vendorUser: Int64?) throws -> [Stored<SupportLogin>]
    func record(_ attempt: LoginAttempt) throws
    /// A page of the team's reported attempts, newest first.
    func loginAttempts(team: TeamID, limit: Int, offset: Int) throws -> [LoginAttempt]
    func loginAttemptCount(team: TeamID) throws -> Int
    func loginAttempt(id: String, team: TeamID) throws -> LoginAttempt?
    /// How many attempts a team reported after `since`, for one of its secrets or in all, and the oldest's time.
    func recentAttempts(team: TeamID, secretID: String?, since: Date) throws -> (count: Int, oldest: Date?)
    /// Deletes log records older than `before`.
    @discardableResult func purge(before: Date) throws -> Int
    /// When each of the team's secrets last had a support login.
    func lastSupportLogins(team: TeamID) throws -> [String: Date]
    /// A page of the team's reported attempts for one secret (or all), newest first, and how many there are.
    func loginAttempts(team: TeamID, secretID: String?, limit: Int, offset: Int) throws -> (page: [LoginAttempt], total: Int)
    /// When each attempt since `since` was received (for the daily chart).
    func loginAttemptTimes(team: TeamID, since: Date) throws -> [Date]
}

/// Nonces a team's vendor used (get-envelope, v2 requests): each is good once.
public protocol NonceStore {
    /// Atomic: records the nonce; false when it was seen before (a replay).
    func use(_ nonce: String, team: TeamID, at time: Date) throws -> Bool
    /// Deletes v2 request nonces seen before `before`; envelope nonces carry no time and are kept.
    @discardableResult func purgeRequestNonces(before: Date) throws -> Int
}

/// Vestibule's own keys.
public protocol SigningKeyStore {
    func key(purpose: String) throws -> SigningKey?
    /// Atomic first use: stores `key` unless one exists for its purpose; the key in force either way.
    func insertIfAbsent(_ key: SigningKey) throws -> SigningKey
}

/// Facts about the database itself: when it was made, the check value of the secret key.
public protocol MetadataStore {
    func value(_ name: MetadataName) throws -> String?
    /// Atomic first use: stores `value` unless the name has one; the value in force either way.
    func insertIfAbsent(_ name: MetadataName, _ value: String) throws -> String
}

public enum MetadataName: String, Sendable, CaseIterable {
    /// When this database was made (ISO 8601), so a reset shows in `/api/status`.
    case createdAt = "created_at"
    /// An HMAC made with the secret key: a node with another key refuses to start.
    case secretKeyCheck = "secret_key_check"
}
