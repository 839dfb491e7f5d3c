import Foundation
import Storage
import Support
import TestSupport
import Testing
@testable import Features
@testable import Web

@Suite struct RegulationTests {
    func make(_ app: TestApp) -> Regulation {
        Regulation(settings: RegulationSettings(maxFailures: 3, findTime: 120, banTime: 300), storage: app.storage, clock: app.clock)
    }

    let ip = Regulation.Subject(scope: "ip", value: "10.0.0.1")

    /// One attempt that fails.
    func failOnce(_ regulation: Regulation, _ subjects: [Regulation.Subject], method: String = "trezor") throws {
        try regulation.fail(try regulation.admit(method: method, subjects: subjects))
    }

    @Test(arguments: Backend.allCases) func threeFailuresBanForFiveMinutes(_ backend: Backend) async throws {
        let app = try await TestApp(backend: backend)
        let regulation = make(app)
        for _ in 0..<3 { try failOnce(regulation, [ip]) }
        do {
            _ = try regulation.admit(method: "trezor", subjects: [ip])
            Issue.record("expected a ban")
        } catch let error as HTTPError {
            #expect(error.status == .tooManyRequests)
            #expect(error.headers[.retryAfter] == "300")
        }
        app.clock.advance(by: 299)
        #expect(throws: HTTPError.self) { try regulation.admit(method: "trezor", subjects: [ip]) }
        app.clock.advance(by: 2)
        // The ban is over and the old failures are outside the window.
        _ = try regulation.admit(method: "trezor", subjects: [ip])
    }

    @Test(arguments: Backend.allCases) func failuresOutsideTheWindowDoNotCount(_ backend: Backend) async throws {
        let app = try await TestApp(backend: backend)
        let regulation = make(app)
        for _ in 0..<2 { try failOnce(regulation, [ip]) }
        app.clock.advance(by: 121)
        for _ in 0..<3 { try failOnce(regulation, [ip]) }
        #expect(throws: HTTPError.self) { try regulation.admit(method: "trezor", subjects: [ip]) }
    }

    @Test(arguments: Backend.allCases) func forgivenAttemptsDoNotCount(_ backend: Backend) async throws {
        let app = try await TestApp(backend: backend)
        let regulation = make(app)
        for _ in 0..<10 {
            let reservation = try regulation.admit(method: "trezor", subjects: [ip])
            try app.storage.write { tx in try regulation.forgive(tx, reservation) }
        }
        _ = try regulation.admit(method: "trezor", subjects: [ip])
    }

    @Test(arguments: Backend.allCases) func anySubjectBannedRefusesTheAttempt(_ backend: Backend) async throws {
        let app = try await TestApp(backend: backend)
        let regulation = make(app)
        let key = Regulation.Subject(scope: "identity", value: "02ab")
        for index in 0..<3 {
            try failOnce(regulation, [.init(scope: "ip", value: "10.0.0.\(index)"), key])
        }
        // A new address, the same key: refused.
        #expect(throws: HTTPError.self) { try regulation.admit(method: "trezor", subjects: [.init(scope: "ip", value: "10.9.9.9"), key]) }
        // Other methods are counted apart.
        _ = try regulation.admit(method: "trustee", subjects: [key])
    }

    /// Attempts in flight count against the limit (parallel attempts cannot slip past), but only
    /// failures ban: too many at once get a one-second 429, and no ban.
    @Test(arguments: Backend.allCases) func attemptsInFlightAreLimitedWithoutABan(_ backend: Backend) async throws {
        let app = try await TestApp(backend: backend)
        let regulation = make(app)
        let inFlight = try (0..<3).map { _ in try regulation.admit(method: "trezor", subjects: [ip]) }
        do {
            _ = try regulation.admit(method: "trezor", subjects: [ip])
            Issue.record("expected a refusal")
        } catch let error as HTTPError {
            #expect(error.status == .tooManyRequests)
            #expect(error.headers[.retryAfter] == "1")
        }
        for reservation in inFlight { try app.storage.write { tx in try regulation.forgive(tx, reservation) } }
        _ = try regulation.admit(method: "trezor", subjects: [ip])
        #expect(try app.storage.count("login_bans") == 0)
    }
}

@Suite struct AccountServiceTests {
    @Test(arguments: Backend.allCases) func oneUserManyIdentities(_ backend: Backend) async throws {
        let app = try await TestApp(backend: backend)
        let accounts = AccountService(storage: app.storage, clock: app.clock)
        let first = try app.storage.write { tx in
            try accounts.signIn(tx, method: "trezor", subject: "02aa", detail: "1A", linkingTo: nil)
        }
        #expect(first.created)
        let linked = try app.storage.write { tx in
            try accounts.signIn(tx, method: "trustee", subject: "token-1", detail: "", linkingTo: first.userID)
        }
        #expect(linked.userID == first.userID && !linked.created)
        let again = try app.storage.write { tx in
            try accounts.signIn(tx, method: "trustee", subject: "token-1", detail: "", linkingTo: nil)
        }
        #expect(again.userID == first.userID && !again.created)
        #expect(try accounts.overview(userID: first.userID)?.identities.map(\.method) == ["trezor", "trustee"])
    }

    @Test(arguments: Backend.allCases) func anIdentityCannotMoveToAnotherAccount(_ backend: Backend) async throws {
        let app = try await TestApp(backend: backend)
        let accounts = AccountService(storage: app.storage, clock: app.clock)
        let owner = try app.storage.write { tx in try accounts.signIn(tx, method: "trezor", subject: "02aa", detail: "", linkingTo: nil) }
        let other = try app.storage.write { tx in try accounts.signIn(tx, method: "trezor", subject: "02bb", detail: "", linkingTo: nil) }
        #expect(throws: AccountService.SignInError.self) {
            try app.storage.write { tx in try accounts.signIn(tx, method: "trezor", subject: "02aa", detail: "", linkingTo: other.userID) }
        }
        #expect(try accounts.overview(userID: owner.userID)?.identities.count == 1)
    }

    @Test(arguments: Backend.allCases) func displayNamesAreChecked(_ backend: Backend) async throws {
        let app = try await TestApp(backend: backend)
        let accounts = AccountService(storage: app.storage, clock: app.clock)
        let user = try app.storage.write { tx in try accounts.signIn(tx, method: "trezor", subject: "02aa", detail: "", linkingTo: nil) }
        try accounts.rename(userID: user.userID, to: "  Grace Hopper  ")
        #expect(try accounts.overview(userID: user.userID)?.user.displayName == "Grace Hopper")
        for bad in ["", "   ", String(repeating: "é", count: 65), "a\u{0}b", "a\u{202E}b", "a\u{200B}b"] {
            #expect(throws: HTTPError.self) { try accounts.rename(userID: user.userID, to: bad) }
        }
        try accounts.rename(userID: user.userID, to: String(repeating: "é", count: 64))
    }

    @Test func browserNamesAreShort() {
        #expect(AccountFeature.browserName("Mozilla/5.0 (X11; Linux x86_64) AppleWebKit/537.36 Chrome/120.0 Safari/537.36") == "Chrome on Linux")
        #expect(AccountFeature.browserName("Mozilla/5.0 (Macintosh; Intel Mac OS X 14_0) Gecko/20100101 Firefox/121.0") == "Firefox on macOS")
        #expect(AccountFeature.browserName("") == "Unknown browser")
    }
}

@Suite struct TrezorChallengeTests {
    @Test func visualChallengeIsTheUTCTime() {
        #expect(TrezorLoginService.visual(Date(timeIntervalSince1970: 1_427_132_362)) == "2015-03-23 17:39:22")
    }

    @Test(arguments: Backend.allCases) func aSessionKeepsAtMostFiveOpenChallenges(_ backend: Backend) async throws {
        let app = try await TestApp(backend: backend)
        let session = try app.storage.write { tx in
            try app.environment.sessions.issue(tx, userID: nil, replacing: nil, ipAddress: "", userAgent: "")
        }
        let accounts = AccountService(storage: app.storage, clock: app.clock)
        let service = TrezorLoginService(
            settings: TrezorSettings(manifestEmail: "a@b", manifestAppURL: "http://x"), storage: app.storage, clock: app.clock,
            random: SystemRandom(), accounts: accounts,
            regulation: Regulation(settings: RegulationSettings(), storage: app.storage, clock: app.clock),
            sessions: app.environment.sessions)
        for _ in 0..<9 { _ = try service.issueChallenge(sessionID: session.record.id) }
        #expect(try app.storage.count("trezor_challenges") == 5)
    }
}

/// Lookup values of team credentials are HMACs under the secret key: the database alone gives no
/// credential (the SHA-256 of the private key was the Connector's v1 bearer itself).
@Suite struct CredentialLookupTests {
    @Test(arguments: Backend.allCases) func lookupsAreKeyedAndOldRowsAreMadeAnew(_ backend: Backend) async throws {
        let app = try await TestApp(backend: backend)
        let key = SecretKey(bytes: Array(repeating: 3, count: 32))
        let service = TeamService(storage: app.storage, clock: app.clock, random: SystemRandom(), secretKey: key)
        let created = try service.create(name: "Acme")
        let stored = try #require(try service.team(id: created.id)).credentials
        let v1Bearer = Digest256.sha256Hex(created.privateKey)
        #expect(stored.apiKeyLookup != v1Bearer)
        #expect(stored.apiKeyLookup == CredentialLookup(secretKey: key)(created.privateKey))
        #expect(stored.apiKeyLookup != CredentialLookup(secretKey: SecretKey(bytes: Array(repeating: 4, count: 32)))(created.privateKey))
        #expect(stored.bearerLookup == CredentialLookup(secretKey: key)(v1Bearer))

        // A row as the last release wrote it: plain SHA-256 lookups, scheme 1.
        var legacy = stored
        legacy.bearerLookup = Digest256.sha256Hex(v1Bearer)
        legacy.tokenLookup = Digest256.sha256Hex(Digest256.sha256Hex(created.publicKey + created.privateKey))
        legacy.apiKeyLookup = v1Bearer
        legacy.lookupScheme = 1
        try app.storage.write { tx in try tx.teams.setLookups(of: created.id, to: legacy) }
        #expect(try service.upgradeLookups() == 1)
        #expect(try service.team(id: created.id)?.credentials == stored)
        #expect(try service.upgradeLookups() == 0)
    }
}
