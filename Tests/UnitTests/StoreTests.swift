import Foundation
import Storage
import StorageSQL
import Support
import Synchronization
import TestSupport
import Testing

/// Every store of the contract, against both backends: a fresh SQLite file, and a fresh
/// database on the test run's PostgreSQL server.
@Suite struct StoreTests {
    /// Storage for one test, removed when the test ends.
    final class Fixture {
        let directory = TemporaryDirectory()
        let storage: any SQLStorage

        init(_ backend: Backend) throws {
            storage = try TestStorage.open(backend, in: directory)
        }

        deinit {
            storage.close()
            directory.remove()
        }

        @discardableResult
        func write<T>(_ body: (any Transaction) throws -> T) throws -> T { try storage.write(body) }
        func read<T>(_ body: (any Transaction) throws -> T) throws -> T { try storage.read(body) }
    }

    /// A time with a fraction of a second: dates must come back exactly as they went in.
    static let t0 = Date(timeIntervalSince1970: 1_800_000_000.123456)

    func team(_ f: Fixture, _ name: String = "Acme", key: String = "pk1") throws -> Stored<Team> {
        try f.write { tx in
            try tx.teams.insert(
                Team(
                    name: name,
                    credentials: TeamCredentials(
                        publicKey: key, bearerLookup: "b-" + key, tokenLookup: "t-" + key, apiKeyLookup: "a-" + key,
                        privateKeySealed: Data([0, 1, 2, 255])),
                    createdAt: Self.t0))
        }
    }

    func grant(_ team: TeamID, secret: String, accessKey: String = "ak", expiresAt: Date? = nil, at time: Date = t0) -> Grant {
        Grant(
            teamID: team, secretID: secret, accessKey: accessKey, identifier: "id-\(secret)", siteURL: "https://customer.example/wp",
            clientPublicKey: "cpk", nonce: "n", metaData: #"{"plan":"pro"}"#, wpUserID: 7, expiresAt: expiresAt, version: "1.10.1",
            at: time)
    }

    // MARK: Accounts and sessions

    @Test(arguments: Backend.allCases) func usersAndIdentities(_ backend: Backend) throws {
        let f = try Fixture(backend)
        let user = try f.write { tx in try tx.accounts.createUser(displayName: "Ada ✓", at: Self.t0) }
        #expect(try f.read { tx in try tx.accounts.user(user.id) } == user)
        #expect(try f.read { tx in try tx.accounts.user(UserID(user.id.rawValue + 1)) } == nil)
        try f.write { tx in try tx.accounts.rename(user.id, to: "Grace") }
        #expect(try f.read { tx in try tx.accounts.user(user.id) }?.displayName == "Grace")

        let first = try f.write { tx in try tx.accounts.add(Identity(userID: user.id, method: "trezor", subject: "02aa", detail: "1A", at: Self.t0)) }
        let second = try f.write { tx in
            try tx.accounts.add(Identity(userID: user.id, method: "trustee", subject: "tok", detail: "", at: Self.t0 + 1))
        }
        #expect(try f.read { tx in try tx.accounts.identities(of: user.id) }.map(\.id) == [first.id, second.id])
        #expect(try f.read { tx in try tx.accounts.identity(method: "trezor", subject: "02aa") } == first)
        #expect(try f.read { tx in try tx.accounts.identity(method: "trustee", subject: "02aa") } == nil)
        try f.write { tx in try tx.accounts.touch(first.id, detail: "1B", at: Self.t0 + 60) }
        let touched = try #require(try f.read { tx in try tx.accounts.identity(method: "trezor", subject: "02aa") })
        #expect(touched.detail == "1B" && touched.lastUsedAt == Self.t0 + 60 && touched.createdAt == Self.t0)
        // One identity belongs to one account.
        #expect(throws: StorageError.self) {
            try f.write { tx in try tx.accounts.add(Identity(userID: user.id, method: "trezor", subject: "02aa", detail: "", at: Self.t0)) }
        }
    }

    @Test(arguments: Backend.allCases) func sessions(_ backend: Backend) throws {
        let f = try Fixture(backend)
        let ada = try f.write { tx in try tx.accounts.createUser(displayName: "Ada", at: Self.t0) }
        let bob = try f.write { tx in try tx.accounts.createUser(displayName: "Bob", at: Self.t0) }
        func session(_ user: UserID?, _ byte: UInt8, seen: Date) -> Session {
            Session(
                tokenHash: Data(repeating: byte, count: 32), userID: user, createdAt: Self.t0, lastSeenAt: seen,
                expiresAt: Self.t0 + 1000, ipAddress: "203.0.113.9", userAgent: "UA")
        }
        let old = try f.write { tx in try tx.sessions.insert(session(ada.id, 1, seen: Self.t0)) }
        let recent = try f.write { tx in try tx.sessions.insert(session(ada.id, 2, seen: Self.t0 + 10)) }
        let anonymous = try f.write { tx in try tx.sessions.insert(session(nil, 3, seen: Self.t0)) }
        #expect(try f.read { tx in try tx.sessions.session(tokenHash: Data(repeating: 2, count: 32)) } == recent)
        #expect(try f.read { tx in try tx.sessions.session(tokenHash: Data(repeating: 9, count: 32)) } == nil)
        #expect(try f.read { tx in try tx.sessions.sessions(of: ada.id) }.map(\.id) == [recent.id, old.id])
        try f.write { tx in try tx.sessions.touch(old.id, at: Self.t0 + 20) }
        #expect(try f.read { tx in try tx.sessions.sessions(of: ada.id) }.map(\.id) == [old.id, recent.id])
        // Another user's session id deletes nothing.
        #expect(try f.write { tx in try tx.sessions.delete(old.id, of: bob.id) } == false)
        #expect(try f.write { tx in try tx.sessions.delete(old.id, of: ada.id) } == true)
        #expect(try f.write { tx in try tx.sessions.delete(old.id) } == false)
        #expect(try f.write { tx in try tx.sessions.delete(anonymous.id) } == true)
        // A session of no user that exists: refused by the reference.
        #expect(throws: StorageError.self) { try f.write { tx in try tx.sessions.insert(session(UserID(999), 4, seen: Self.t0)) } }
        // Idle for 100 s, or past the absolute end.
        _ = try f.write { tx in try tx.sessions.insert(session(nil, 5, seen: Self.t0 + 500)) }
        #expect(try f.write { tx in try tx.sessions.purge(now: Self.t0 + 150, idleTimeout: 100, anonymousLifetime: 100_000) } == 1)
        #expect(try f.write { tx in try tx.sessions.purge(now: Self.t0 + 1000, idleTimeout: 10_000, anonymousLifetime: 100_000) } == 1)
        #expect(try f.storage.count("sessions") == 0)
    }

    @Test(arguments: Backend.allCases) func trezorChallenges(_ backend: Backend) throws {
        let f = try Fixture(backend)
        let session = try f.write { tx in
            try tx.sessions.insert(
                Session(tokenHash: Data([1]), userID: nil, createdAt: Self.t0, lastSeenAt: Self.t0, expiresAt: Self.t0 + 600, ipAddress: "", userAgent: ""))
        }
        let challenges = try (0..<6).map { index in
            try f.write { tx in
                try tx.trezorChallenges.insert(
                    TrezorChallenge(sessionID: session.id, hidden: "h\(index)", visual: "v", createdAt: Self.t0, expiresAt: Self.t0 + 300))
            }
        }
        #expect(try f.read { tx in try tx.trezorChallenges.challenge(hidden: "h2") } == challenges[2])
        #expect(try f.write { tx in try tx.trezorChallenges.markUsed(challenges[2].id, at: Self.t0 + 1) } == true)
        #expect(try f.write { tx in try tx.trezorChallenges.markUsed(challenges[2].id, at: Self.t0 + 2) } == false)
        #expect(try f.read { tx in try tx.trezorChallenges.challenge(hidden: "h2") }?.usedAt == Self.t0 + 1)
        // Keeps the newest keep - 1 open ones (room for the one about to be added).
        try f.write { tx in try tx.trezorChallenges.prune(session: session.id, now: Self.t0, keep: 3) }
        #expect(try f.read { tx in try ["h4", "h5"].compactMap { try tx.trezorChallenges.challenge(hidden: $0) } }.count == 2)
        #expect(try f.storage.count("trezor_challenges") == 2)
        #expect(try f.write { tx in try tx.trezorChallenges.purge(now: Self.t0 + 300) } == 2)
    }

    @Test(arguments: Backend.allCases) func trusteeAttempts(_ backend: Backend) throws {
        let f = try Fixture(backend)
        func session(_ byte: UInt8) throws -> Stored<Session> {
            try f.write { tx in
                try tx.sessions.insert(
                    Session(tokenHash: Data([byte]), userID: nil, createdAt: Self.t0, lastSeenAt: Self.t0, expiresAt: Self.t0 + 600, ipAddress: "", userAgent: ""))
            }
        }
        let first = try session(1), second = try session(2)
        let attempts = try (0..<4).map { index in
            try f.write { tx in
                try tx.trusteeAttempts.insert(
                    TrusteeAttempt(publicID: "p\(index)", sessionID: first.id, uniqueKey: "u\(index)", link: "https://t.example/\(index)",
                        createdAt: Self.t0, expiresAt: Self.t0 + 120))
            }
        }
        #expect(try f.read { tx in try tx.trusteeAttempts.attempt(publicID: "p1") } == attempts[1])
        #expect(try f.read { tx in try tx.trusteeAttempts.attempt(publicID: "nope") } == nil)
        // One claim per interval: a second claim inside it fails, one after it succeeds.
        let id = attempts[1].id
        #expect(try f.write { tx in try tx.trusteeAttempts.claimCheck(id, at: Self.t0 + 1, unlessClaimedAfter: Self.t0 - 1) })
        #expect(try !f.write { tx in try tx.trusteeAttempts.claimCheck(id, at: Self.t0 + 2, unlessClaimedAfter: Self.t0) })
        #expect(try f.write { tx in try tx.trusteeAttempts.claimCheck(id, at: Self.t0 + 3, unlessClaimedAfter: Self.t0 + 1) })
        try f.write { tx in try tx.trusteeAttempts.recordCheck(id, state: .pending, lastError: "down", expiresAt: Self.t0 + 100) }
        var stored = try #require(try f.read { tx in try tx.trusteeAttempts.attempt(publicID: "p1") })
        #expect(stored.lastError == "down" && stored.expiresAt == Self.t0 + 100 && stored.checkedAt == Self.t0 + 3)
        // Used once; settled into the session the approval rotated to; no more claims or checks.
        #expect(try f.write { tx in try tx.trusteeAttempts.markUsed(id, at: Self.t0 + 4) })
        #expect(try !f.write { tx in try tx.trusteeAttempts.markUsed(id, at: Self.t0 + 5) })
        try f.write { tx in try tx.trusteeAttempts.settle(id, session: second.id, createdAccount: true) }
        #expect(try !f.write { tx in try tx.trusteeAttempts.claimCheck(id, at: Self.t0 + 9, unlessClaimedAfter: Self.t0 + 8) })
        try f.write { tx in try tx.trusteeAttempts.recordCheck(id, state: .denied, lastError: nil, expiresAt: Self.t0) }
        stored = try #require(try f.read { tx in try tx.trusteeAttempts.attempt(publicID: "p1") })
        #expect(stored.state == .approved && stored.sessionID == second.id && stored.createdAccount && stored.usedAt == Self.t0 + 4)
        #expect(stored.lastError == nil && stored.expiresAt == Self.t0 + 100)
        // A denied attempt is no longer claimed; close ends one whatever it was.
        try f.write { tx in try tx.trusteeAttempts.recordCheck(attempts[2].id, state: .denied, lastError: nil, expiresAt: Self.t0 + 120) }
        #expect(try !f.write { tx in try tx.trusteeAttempts.claimCheck(attempts[2].id, at: Self.t0 + 9, unlessClaimedAfter: Self.t0) })
        try f.write { tx in try tx.trusteeAttempts.close(attempts[3].id, state: .denied, lastError: "linked elsewhere", at: Self.t0 + 6) }
        stored = try #require(try f.read { tx in try tx.trusteeAttempts.attempt(publicID: "p3") })
        #expect(stored.state == .denied && stored.lastError == "linked elsewhere" && stored.usedAt == Self.t0 + 6)
        // Prune keeps the session's newest keep - 1; purge drops what expired before the time.
        try f.write { tx in try tx.trusteeAttempts.prune(session: first.id, keep: 3) }
        #expect(try f.read { tx in try ["p0", "p1", "p2", "p3"].compactMap { try tx.trusteeAttempts.attempt(publicID: $0)?.record.publicID } } == ["p1", "p2", "p3"])
        #expect(try f.write { tx in try tx.trusteeAttempts.purge(before: Self.t0 + 110) } == 1)
        #expect(try f.storage.count("trustee_attempts") == 2)
    }

    @Test(arguments: Backend.allCases) func membershipsAndAPITokens(_ backend: Backend) throws {
        let f = try Fixture(backend)
        let team = try team(f)
        let (ada, bob) = try f.write { tx in
            (try tx.accounts.createUser(displayName: "Ada", at: Self.t0), try tx.accounts.createUser(displayName: "Bob", at: Self.t0))
        }
        let owner = try f.write { tx in try tx.memberships.add(Membership(teamID: team.id, userID: ada.id, role: .owner, at: Self.t0)) }
        try f.write { tx in _ = try tx.memberships.add(Membership(teamID: team.id, userID: bob.id, role: .member, at: Self.t0 + 1)) }
        #expect(throws: StorageError.self) {
            try f.write { tx in try tx.memberships.add(Membership(teamID: team.id, userID: bob.id, role: .admin, at: Self.t0)) }
        }
        #expect(try f.read { tx in try tx.memberships.membership(team: team.id, user: ada.id) } == owner)
        #expect(try f.read { tx in try tx.memberships.members(of: team.id).map(\.userID) } == [ada.id, bob.id])
        #expect(try f.read { tx in try tx.memberships.teams(of: bob.id).map(\.teamID) } == [team.id])
        #expect(try f.write { tx in try tx.memberships.setRole(team: team.id, user: bob.id, to: .admin) })
        #expect(try f.read { tx in try tx.memberships.count(team: team.id, role: .admin) } == 1)
        #expect(try f.read { tx in try tx.memberships.count(team: team.id, role: .owner) } == 1)
        #expect(try f.write { tx in try tx.memberships.remove(team: team.id, user: bob.id) })
        #expect(try !f.write { tx in try tx.memberships.remove(team: team.id, user: bob.id) })
        #expect(try !f.write { tx in try tx.memberships.setRole(team: team.id, user: bob.id, to: .owner) })

        let token = try f.write { tx in try tx.apiTokens.insert(APIToken(userID: ada.id, name: "CI", lookup: "l1", at: Self.t0)) }
        _ = try f.write { tx in try tx.apiTokens.insert(APIToken(userID: ada.id, name: "laptop", lookup: "l2", at: Self.t0 + 5)) }
        #expect(try f.read { tx in try tx.apiTokens.token(lookup: "l1") } == token)
        #expect(try f.read { tx in try tx.apiTokens.tokens(of: ada.id).map(\.record.name) } == ["laptop", "CI"])
        try f.write { tx in try tx.apiTokens.touch(token.id, at: Self.t0 + 9) }
        #expect(try f.read { tx in try tx.apiTokens.token(lookup: "l1") }?.lastUsedAt == Self.t0 + 9)
        #expect(try !f.write { tx in try tx.apiTokens.delete(token.id, of: bob.id) }, "another user's token is not theirs to revoke")
        #expect(try f.write { tx in try tx.apiTokens.delete(token.id, of: ada.id) })
        #expect(try f.read { tx in try tx.apiTokens.token(lookup: "l1") } == nil)
    }

    @Test(arguments: Backend.allCases) func regulation(_ backend: Backend) throws {
        let f = try Fixture(backend)
        let ip = RegulationSubject(scope: "ip", value: "203.0.113.9")
        let key = RegulationSubject(scope: "identity", value: "02ab")
        func standing(_ subject: RegulationSubject = ip, method: String = "trezor", now: Date = StoreTests.t0, since: Date = StoreTests.t0 - 1) throws -> RegulationStanding {
            try f.read { tx in try tx.regulation.standing(method: method, subject: subject, now: now, since: since) }
        }
        let ids = try f.write { tx in
            try tx.regulation.record((0..<3).map { RegulationAttempt(method: "trezor", subject: ip, failedAt: Self.t0 + Double($0), pending: true) }
                + [RegulationAttempt(method: "trezor", subject: key, failedAt: Self.t0, pending: false)])
        }
        #expect(Set(ids).count == 4)
        #expect(try standing() == RegulationStanding(bannedUntil: nil, confirmed: 0, pending: 3))
        #expect(try standing(key) == RegulationStanding(bannedUntil: nil, confirmed: 1, pending: 0))
        try f.write { tx in try tx.regulation.confirm([ids[0], ids[1]]) }
        #expect(try standing() == RegulationStanding(bannedUntil: nil, confirmed: 2, pending: 1))
        #expect(try standing(since: Self.t0) == RegulationStanding(bannedUntil: nil, confirmed: 1, pending: 1))
        #expect(try standing(method: "trustee") == RegulationStanding(bannedUntil: nil, confirmed: 0, pending: 0))
        try f.write { tx in try tx.regulation.delete([ids[2]]) }
        #expect(try standing().pending == 0)

        try f.write { tx in try tx.regulation.ban(method: "trezor", subject: ip, until: Self.t0 + 300) }
        try f.write { tx in try tx.regulation.ban(method: "trezor", subject: ip, until: Self.t0 + 600) }
        #expect(try standing().bannedUntil == Self.t0 + 600)
        #expect(try standing(now: Self.t0 + 600).bannedUntil == nil)
        #expect(try standing(key).bannedUntil == nil)
        #expect(try f.storage.count("login_bans") == 1)
        // Failures older than findTime and bans that ended.
        #expect(try f.write { tx in try tx.regulation.purge(now: Self.t0 + 700, findTime: 120) } == 4)
    }

    // MARK: TrustedLogin

    @Test(arguments: Backend.allCases) func teams(_ backend: Backend) throws {
        let f = try Fixture(backend)
        let acme = try team(f)
        let other = try team(f, "Other", key: "pk2")
        #expect(try f.read { tx in try tx.teams.team(acme.id) } == acme)
        #expect(try f.read { tx in try tx.teams.teams() }.map(\.id) == [acme.id, other.id])
        #expect(acme.credentials.privateKeySealed == Data([0, 1, 2, 255]))
        for (lookup, value) in [(TeamLookup.publicKey, "pk2"), (.bearer, "b-pk2"), (.token, "t-pk2"), (.apiKey, "a-pk2")] {
            #expect(try f.read { tx in try tx.teams.team(where: lookup, is: value) }?.id == other.id)
        }
        #expect(try f.read { tx in try tx.teams.team(where: .bearer, is: "pk2") } == nil)
        // Lookup schemes: new rows have the current one; a row's lookups change alone.
        #expect(acme.credentials.lookupScheme == TeamCredentials.currentLookupScheme)
        #expect(try f.read { tx in try tx.teams.teams(withLookupSchemeBelow: TeamCredentials.currentLookupScheme) }.isEmpty)
        var older = other.credentials
        older.lookupScheme = 1
        try f.write { tx in try tx.teams.setLookups(of: other.id, to: older) }
        #expect(try f.read { tx in try tx.teams.teams(withLookupSchemeBelow: TeamCredentials.currentLookupScheme) }.map(\.id) == [other.id])
        var newer = older
        (newer.bearerLookup, newer.tokenLookup, newer.apiKeyLookup, newer.lookupScheme) = ("b-new", "t-new", "a-new", 2)
        try f.write { tx in try tx.teams.setLookups(of: other.id, to: newer) }
        #expect(try f.read { tx in try tx.teams.team(where: .apiKey, is: "a-new") }?.credentials == newer)
        #expect(try f.read { tx in try tx.teams.team(other.id) }?.keysCycledAt == nil)
        try f.write { tx in try tx.teams.setLookups(of: other.id, to: other.credentials) }

        let fresh = TeamCredentials(publicKey: "pk3", bearerLookup: "b3", tokenLookup: "t3", apiKeyLookup: "a3", privateKeySealed: Data([9]))
        #expect(try f.write { tx in try tx.teams.replaceCredentials(of: acme.id, with: fresh, at: Self.t0 + 5) })
        #expect(try f.write { tx in try tx.teams.replaceCredentials(of: TeamID(999), with: fresh, at: Self.t0) } == false)
        let cycled = try #require(try f.read { tx in try tx.teams.team(acme.id) })
        #expect(cycled.credentials == fresh && cycled.keysCycledAt == Self.t0 + 5)
        #expect(try f.read { tx in try tx.teams.team(where: .publicKey, is: "pk1") } == nil)

        #expect(try f.write { tx in try tx.teams.setStatus(of: acme.id, to: .paused) })
        #expect(try f.write { tx in try tx.teams.setStatus(of: TeamID(999), to: .paused) } == false)
        try f.write { tx in try tx.teams.setVerification(of: acme.id, apiEndpoint: "https://vendor.example/wp-json/", signatureKey: "sk", at: Self.t0 + 9) }
        try f.write { tx in try tx.teams.setSignatureKey(of: acme.id, to: "sk2") }
        let verified = try #require(try f.read { tx in try tx.teams.team(acme.id) })
        #expect(verified.status == .paused && verified.apiEndpoint == "https://vendor.example/wp-json/")
        #expect(verified.signatureKey == "sk2" && verified.verifiedAt == Self.t0 + 9)
        // Public keys are unique.
        #expect(throws: StorageError.self) { try team(f, "Copy", key: "pk2") }
    }

    @Test(arguments: Backend.allCases) func grantsUpsertOnePerSecret(_ backend: Backend) throws {
        let f = try Fixture(backend)
        let acme = try team(f)
        let other = try team(f, "Other", key: "pk2")
        let created = try f.write { tx in try tx.grants.upsert(grant(acme.id, secret: "s1", at: Self.t0)) }
        var changed = grant(acme.id, secret: "s1", accessKey: "ak2", expiresAt: Self.t0 + 86400, at: Self.t0 + 100)
        changed.siteURL = "https://moved.example"
        let extended = try f.write { tx in try tx.grants.upsert(changed) }
        #expect(extended.id == created.id)
        #expect(extended.createdAt == Self.t0)
        let stored = try #require(try f.read { tx in try tx.grants.grant(team: acme.id, secretID: "s1") })
        #expect(stored.id == created.id && stored.createdAt == Self.t0 && stored.updatedAt == Self.t0 + 100)
        #expect(stored.accessKey == "ak2" && stored.siteURL == "https://moved.example" && stored.expiresAt == Self.t0 + 86400)
        #expect(stored.metaData == #"{"plan":"pro"}"# && stored.wpUserID == 7 && stored.version == "1.10.1")
        // The same secret id in another team is another grant; neither team sees the other's.
        let theirs = try f.write { tx in try tx.grants.upsert(grant(other.id, secret: "s1")) }
        #expect(theirs.id != created.id)
        #expect(try f.read { tx in try tx.grants.grant(team: other.id, secretID: "s1") }?.id == theirs.id)
        #expect(try f.storage.count("grants") == 2)
    }

    @Test(arguments: Backend.allCases) func grantLookupsAndExpiry(_ backend: Backend) throws {
        let f = try Fixture(backend)
        let acme = try team(f)
        let other = try team(f, "Other", key: "pk2")
        try f.write { tx in
            try tx.grants.upsert(grant(acme.id, secret: "a", accessKey: "k1", at: Self.t0 + 2))
            try tx.grants.upsert(grant(acme.id, secret: "b", accessKey: "k1", expiresAt: Self.t0 + 50, at: Self.t0 + 1))
            try tx.grants.upsert(grant(acme.id, secret: "c", accessKey: "k2", expiresAt: Self.t0 + 10, at: Self.t0))
            try tx.grants.upsert(grant(other.id, secret: "d", accessKey: "k1", at: Self.t0))
        }
        func live(_ keys: [String], at now: Date) throws -> [String] {
            try f.read { tx in try tx.grants.liveGrants(team: acme.id, accessKeys: keys, now: now) }.map(\.secretID)
        }
        #expect(try live(["k1", "k2"], at: Self.t0 + 5) == ["c", "b", "a"])
        #expect(try live(["k1", "k2"], at: Self.t0 + 20) == ["b", "a"])
        #expect(try live(["k1"], at: Self.t0 + 60) == ["a"])
        #expect(try live([], at: Self.t0) == [])
        #expect(try f.write { tx in try tx.grants.purgeExpired(now: Self.t0 + 20, team: other.id) } == 0)
        #expect(try f.write { tx in try tx.grants.purgeExpired(now: Self.t0 + 20, team: acme.id) } == 1)
        #expect(try f.write { tx in try tx.grants.purgeExpired(now: Self.t0 + 60, team: nil) } == 1)
        #expect(try f.write { tx in try tx.grants.delete(team: other.id, secretID: "a") } == false)
        #expect(try f.write { tx in try tx.grants.delete(team: acme.id, secretID: "a") } == true)
        #expect(try f.read { tx in try tx.grants.grant(team: other.id, secretID: "d") } != nil)
    }

    @Test(arguments: Backend.allCases) func teamLogs(_ backend: Backend) throws {
        let f = try Fixture(backend)
        let acme = try team(f)
        let other = try team(f, "Other", key: "pk2")
        let granted = try f.write { tx in try tx.grants.upsert(grant(acme.id, secret: "s1")) }
        try f.write { tx in
            try tx.teamLogs.record(TeamEvent(teamID: acme.id, event: "verified", at: Self.t0))
            try tx.teamLogs.record(TeamEvent(teamID: acme.id, event: "resumed", detail: "by cli", at: Self.t0 + 1))
            try tx.teamLogs.record(TeamEvent(teamID: other.id, event: "verified", at: Self.t0))
            try tx.teamLogs.record(SupportLogin(teamID: acme.id, grantID: granted.id, secretID: "s1", siteURL: "u", event: "login", at: Self.t0))
            try tx.teamLogs.record(
                SupportLogin(teamID: acme.id, grantID: nil, secretID: "s2", siteURL: "u", event: "envelope", userID: 5, userName: "Eve", at: Self.t0 + 1))
            try tx.teamLogs.record(SupportLogin(teamID: other.id, grantID: nil, secretID: "s1", siteURL: "u", event: "login", at: Self.t0))
        }
        #expect(try f.read { tx in try tx.teamLogs.events(team: acme.id) }.map(\.event) == ["resumed", "verified"])
        func logins(site: String? = nil, user: Int64? = nil, since: Date = StoreTests.t0, before: Date = StoreTests.t0 + 10) throws -> [String] {
            try f.read { tx in try tx.teamLogs.supportLogins(team: acme.id, since: since, before: before, site: site, vendorUser: user) }
                .map(\.secretID)
        }
        #expect(try logins() == ["s2", "s1"])
        #expect(try logins(site: "s1") == ["s1"])
        #expect(try logins(site: String(granted.id.rawValue)) == ["s1"])
        #expect(try logins(user: 5) == ["s2"])
        #expect(try logins(before: Self.t0 + 1) == ["s1"])

        for index in 0..<5 {
            try f.write { tx in
                try tx.teamLogs.record(
                    LoginAttempt(
                        id: "lpat_\(index)", teamID: acme.id, secretID: index < 3 ? "s1" : "s2", code: "login_failed", detailedReason: "",
                        identifierHash: nil, clientSiteURL: "u", clientUserAgent: nil, clientIP: "203.0.113.9",
                        attemptedAt: Self.t0, receivedAt: Self.t0 + Double(index)))
            }
        }
        #expect(try f.read { tx in try tx.teamLogs.loginAttemptCount(team: acme.id) } == 5)
        #expect(try f.read { tx in try tx.teamLogs.loginAttemptCount(team: other.id) } == 0)
        #expect(try f.read { tx in try tx.teamLogs.loginAttempts(team: acme.id, limit: 2, offset: 1) }.map(\.id) == ["lpat_3", "lpat_2"])
        #expect(try f.read { tx in try tx.teamLogs.loginAttempt(id: "lpat_1", team: acme.id) }?.clientIP == "203.0.113.9")
        #expect(try f.read { tx in try tx.teamLogs.loginAttempt(id: "lpat_1", team: other.id) } == nil)
        let recent = try f.read { tx in try tx.teamLogs.recentAttempts(team: acme.id, secretID: "s1", since: Self.t0) }
        #expect(recent.count == 2 && recent.oldest == Self.t0 + 1)
        let none = try f.read { tx in try tx.teamLogs.recentAttempts(team: other.id, secretID: nil, since: Self.t0) }
        #expect(none.count == 0 && none.oldest == nil)
        #expect(try f.read { tx in try tx.teamLogs.recentAttempts(team: acme.id, secretID: nil, since: Self.t0 - 1) }.count == 5)
        // Older than t0 + 1: two events, two support logins, one attempt.
        #expect(try f.write { tx in try tx.teamLogs.purge(before: Self.t0 + 1) } == 2 + 2 + 1)
    }

    @Test(arguments: Backend.allCases) func noncesAreGoodOnce(_ backend: Backend) throws {
        let f = try Fixture(backend)
        let acme = try team(f)
        let other = try team(f, "Other", key: "pk2")
        #expect(try f.write { tx in try tx.nonces.use("v2:old", team: acme.id, at: Self.t0 - 7200) })
        #expect(try f.write { tx in try tx.nonces.use("v2:new", team: acme.id, at: Self.t0) })
        #expect(try f.write { tx in try tx.nonces.use("envelope:old", team: acme.id, at: Self.t0 - 7200) })
        #expect(try f.write { tx in try tx.nonces.use("v2:new", team: acme.id, at: Self.t0) } == false)
        #expect(try f.write { tx in try tx.nonces.use("v2:new", team: other.id, at: Self.t0) })
        // v2 request nonces go once their time window is long past; envelope nonces (no time) stay.
        #expect(try f.write { tx in try tx.nonces.purgeRequestNonces(before: Self.t0 - 3600) } == 1)
        #expect(try f.write { tx in try tx.nonces.use("envelope:old", team: acme.id, at: Self.t0) } == false)
    }

    @Test(arguments: Backend.allCases) func signingKeysAndMetadataKeepTheFirstValue(_ backend: Backend) throws {
        let f = try Fixture(backend)
        let first = SigningKey(purpose: "envelope-signing", publicKey: "p1", privateKeySealed: Data([1, 2]), createdAt: Self.t0)
        let second = SigningKey(purpose: "envelope-signing", publicKey: "p2", privateKeySealed: Data([3]), createdAt: Self.t0 + 1)
        #expect(try f.read { tx in try tx.signingKeys.key(purpose: "envelope-signing") } == nil)
        #expect(try f.write { tx in try tx.signingKeys.insertIfAbsent(first) } == first)
        #expect(try f.write { tx in try tx.signingKeys.insertIfAbsent(second) } == first)
        #expect(try f.write { tx in try tx.metadata.insertIfAbsent(.secretKeyCheck, "v1:a") } == "v1:a")
        #expect(try f.write { tx in try tx.metadata.insertIfAbsent(.secretKeyCheck, "v1:b") } == "v1:a")
        // `migrate` recorded when the database was made.
        let createdAt = try #require(try f.read { tx in try tx.metadata.value(.createdAt) })
        #expect(createdAt.wholeMatch(of: /\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}\+00:00/) != nil)
    }

    // MARK: The unit of work

    @Test(arguments: Backend.allCases) func aFailedWriteLeavesNothing(_ backend: Backend) throws {
        struct Stop: Error {}
        let f = try Fixture(backend)
        #expect(throws: Stop.self) {
            try f.write { tx in
                _ = try tx.accounts.createUser(displayName: "half", at: Self.t0)
                throw Stop()
            }
        }
        // A statement that fails part-way through a transaction undoes the statements before it.
        let acme = try team(f)
        #expect(throws: StorageError.self) {
            try f.write { tx in
                try tx.teamLogs.record(TeamEvent(teamID: acme.id, event: "first", at: Self.t0))
                try tx.teamLogs.record(TeamEvent(teamID: TeamID(999), event: "no such team", at: Self.t0))
            }
        }
        #expect(try f.storage.count("users") == 0)
        #expect(try f.storage.count("team_events") == 0)
        // The storage is usable after both.
        _ = try f.write { tx in try tx.accounts.createUser(displayName: "whole", at: Self.t0) }
        #expect(try f.storage.count("users") == 1)
        #expect(f.storage.checkHealth() == .ok)
    }

    @Test(arguments: Backend.allCases) func valuesRoundTripExactly(_ backend: Backend) throws {
        let f = try Fixture(backend)
        let text = "Zoë 🚀 'quoted' \"double\" ? $1 \\ back"
        let user = try f.write { tx in try tx.accounts.createUser(displayName: text, at: Date(timeIntervalSince1970: 1_234_567_890.987654)) }
        let read = try #require(try f.read { tx in try tx.accounts.user(user.id) })
        #expect(read.displayName == text)
        #expect(read.createdAt.timeIntervalSince1970 == 1_234_567_890.987654)
        let bytes = Data((0...255).map(UInt8.init))
        _ = try f.write { tx in
            try tx.sessions.insert(Session(tokenHash: bytes, userID: nil, createdAt: Self.t0, lastSeenAt: Self.t0, expiresAt: Self.t0, ipAddress: "", userAgent: ""))
        }
        #expect(try f.read { tx in try tx.sessions.session(tokenHash: bytes) }?.tokenHash == bytes)
    }

    /// `serialize(on:)` makes a second transaction on the same key wait until the first ends;
    /// another key does not wait. SQLite runs one write at a time anyway.
    @Test(arguments: Backend.allCases) func serializedTransactionsRunOneAfterTheOther(_ backend: Backend) async throws {
        let f = try Fixture(backend)
        let events = Mutex<[String]>([])
        let holding = DispatchSemaphore(value: 0)
        let storage = f.storage
        let first = Thread {
            try? storage.write { tx in
                try tx.serialize(on: "test-key")
                holding.signal()
                usleep(200_000)
                events.withLock { $0.append("first ends") }
            }
        }
        first.start()
        holding.wait()
        try storage.write { tx in
            try tx.serialize(on: "test-key")
            events.withLock { $0.append("second holds") }
        }
        #expect(events.withLock { $0 } == ["first ends", "second holds"])
    }
}
