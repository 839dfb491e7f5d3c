import Foundation
import HTTPTypes
import Storage
import StorageSQL
import TestSupport
import Testing
@testable import Web

@Suite struct SessionAndCSRFTests {
    /// A visitor's first page with a form: a CSRF token from a signed cookie of its own, and no
    /// session, so no database row (666 of 676 rows were once such visitors).
    @Test func aPageWithFormsGivesAnAnonymousCSRFCookieAndNoRow() async throws {
        let app = try await TestApp()
        let response = app.send(.get, "/login")
        #expect(response.status == 200)
        #expect(response.sessionCookie == nil)
        let cookie = try #require(response.anonymousCookie)
        #expect(cookie.count == 43)
        let token = try #require(response.csrfToken)
        #expect(token.count == 43 && token != cookie)
        let setCookie = try #require(response.header("Set-Cookie"))
        #expect(setCookie.contains("HttpOnly") && setCookie.contains("SameSite=Lax"))
        #expect(try app.storage.count("sessions") == 0)
    }

    @Test func aPageWithoutFormsSetsNoCookie() async throws {
        let app = try await TestApp()
        let response = app.send(.get, "/")
        #expect(response.sessionCookie == nil && response.anonymousCookie == nil)
        #expect(try app.storage.count("sessions") == 0)
    }

    @Test func theSameVisitorKeepsItsCSRFToken() async throws {
        let app = try await TestApp()
        let first = app.send(.get, "/login")
        let cookie = try #require(first.anonymousCookie)
        let second = app.send(.get, "/login", anonymous: cookie)
        #expect(second.anonymousCookie == nil && second.sessionCookie == nil)
        #expect(second.csrfToken == first.csrfToken)
        // A session's token is its own.
        let session = try app.issueSession()
        #expect(app.send(.get, "/login", cookie: session.cookie).csrfToken == app.environment.sessions.csrfToken(for: session.session))
    }

    @Test func postWithoutTokenIsForbiddenAndWithTokenSucceeds() async throws {
        let app = try await TestApp()
        let page = app.send(.get, "/login")
        let cookie = try #require(page.anonymousCookie)
        let token = try #require(page.csrfToken)
        #expect(app.send(.post, "/logout", form: "", anonymous: cookie).status == 403)
        #expect(app.send(.post, "/logout", form: "_csrf=wrong", anonymous: cookie).status == 403)
        #expect(app.send(.post, "/logout", form: "_csrf=\(token)").status == 403)  // the token without its cookie
        #expect(app.send(.post, "/logout", form: "_csrf=\(token)", anonymous: "A" + cookie.dropFirst()).status == 403)
        #expect(app.send(.post, "/logout", headers: [HTTPField.Name("X-CSRF-Token")!: token], anonymous: cookie).status == 303)
        // A session's token, with its session.
        let session = try app.issueSession(signedIn: true)
        let sessionToken = app.environment.sessions.csrfToken(for: session.session)
        #expect(app.send(.post, "/logout", form: "_csrf=\(sessionToken)").status == 403)
        let byHeader = app.send(.post, "/logout", headers: [HTTPField.Name("X-CSRF-Token")!: sessionToken], cookie: session.cookie)
        #expect(byHeader.status == 303)
        #expect(byHeader.header("Set-Cookie")?.contains("Max-Age=0") == true)
        #expect(try app.storage.count("sessions") == 0)
    }

    /// A sign-in that started as an anonymous visitor keeps the page's token until it is signed
    /// in; a signed-in session takes only its own.
    @Test func theAnonymousTokenServesOnlyUntilSignIn() async throws {
        let app = try await TestApp()
        let page = app.send(.get, "/login")
        let cookie = try #require(page.anonymousCookie), token = try #require(page.csrfToken)
        let header: HTTPFields = [HTTPField.Name("X-CSRF-Token")!: token]
        let started = try app.issueSession()
        #expect(app.send(.post, "/logout", headers: header, cookie: started.cookie, anonymous: cookie).status == 303)
        let signedIn = try app.issueSession(signedIn: true)
        #expect(app.send(.post, "/logout", headers: header, cookie: signedIn.cookie, anonymous: cookie).status == 403)
    }

    /// Defence in depth: a request from another site is refused even with the right token.
    @Test func anotherSitesRequestIsRefusedWhateverItsToken() async throws {
        let app = try await TestApp()
        let page = app.send(.get, "/login")
        let cookie = try #require(page.anonymousCookie), token = try #require(page.csrfToken)
        func logout(_ headers: HTTPFields) -> TestResponse {
            var all = headers
            all[HTTPField.Name("X-CSRF-Token")!] = token
            return app.send(.post, "/logout", headers: all, anonymous: cookie)
        }
        #expect(logout([HTTPField.Name("Origin")!: "https://evil.example"]).status == 403)
        #expect(logout([HTTPField.Name("Origin")!: "null"]).status == 403)
        #expect(logout([HTTPField.Name("Origin")!: "http://127.0.0.1:8080"]).status == 403)
        #expect(logout([HTTPField.Name("Sec-Fetch-Site")!: "cross-site"]).status == 403)
        #expect(logout([HTTPField.Name("Origin")!: "https://evil.example"]).text.contains("another site"))
        // This site's own origin, or none (older clients), with the token: accepted.
        #expect(logout([HTTPField.Name("Origin")!: "http://127.0.0.1", HTTPField.Name("Sec-Fetch-Site")!: "same-origin"]).status == 303)
    }

    @Test func formFieldTokenIsAccepted() async throws {
        let app = try await TestApp()
        let page = app.send(.get, "/login")
        let token = try #require(page.csrfToken), cookie = try #require(page.anonymousCookie)
        let response = app.send(.post, "/logout", form: "_csrf=\(token)", anonymous: cookie)
        #expect(response.status == 303)
        #expect(response.header("Location") == "/")
    }

    /// A 405 is a 405, not a CSRF refusal: no route matched, so there is nothing to protect.
    @Test func wrongMethodIs405EvenWithoutToken() async throws {
        let app = try await TestApp()
        let response = app.send(.delete, "/login")
        #expect(response.status == 405)
        #expect(response.header("Allow") == "GET, HEAD")
    }

    @Test func idleSessionsEnd() async throws {
        let app = try await TestApp(session: SessionSettings(idleTimeout: 600, absoluteTimeout: 86400))
        let cookie = try app.issueSession(signedIn: true).cookie
        app.clock.advance(by: 599)
        #expect(app.send(.get, "/account", cookie: cookie).status == 200)  // still live, and touched now
        app.clock.advance(by: 599)
        #expect(app.send(.get, "/account", cookie: cookie).status == 200)  // the touch kept it alive
        app.clock.advance(by: 601)
        let expired = app.send(.get, "/account", cookie: cookie)
        #expect(expired.status == 303)
        #expect(expired.header("Set-Cookie")?.contains("vestibule_session=;") == true)
        #expect(try app.storage.count("sessions") == 0)
    }

    @Test func sessionsEndAtTheirAbsoluteLimitHoweverActive() async throws {
        let app = try await TestApp(session: SessionSettings(idleTimeout: 3600, absoluteTimeout: 7200))
        let cookie = try app.issueSession(signedIn: true).cookie
        for _ in 0..<7 {
            app.clock.advance(by: 1000)
            #expect(app.send(.get, "/account", cookie: cookie).status == 200)
        }
        app.clock.advance(by: 300)  // 7300 s after it began
        #expect(app.send(.get, "/account", cookie: cookie).status == 303)
    }

    @Test(arguments: Backend.allCases) func rotationReplacesTheRowInOneTransaction(_ backend: Backend) async throws {
        let app = try await TestApp(backend: backend)
        let sessions = app.environment.sessions
        let anonymous = try app.storage.write { tx in
            try sessions.issue(tx, userID: nil, replacing: nil, ipAddress: "1.2.3.4", userAgent: "UA")
        }
        let user = try app.storage.write { tx in try tx.accounts.createUser(displayName: "Ada", at: Date()) }
        let signedIn = try app.storage.write { tx in
            try sessions.issue(tx, userID: user.id, replacing: anonymous.record.id, ipAddress: "1.2.3.4", userAgent: "UA")
        }
        #expect(signedIn.token != anonymous.token)
        let rows = try app.storage.read { tx in try tx.sessions.sessions(of: user.id) }
        #expect(rows.map(\.id) == [signedIn.record.id])
        #expect(try app.storage.count("sessions") == 1)
        #expect(try app.storage.read { tx in try tx.sessions.session(tokenHash: anonymous.record.tokenHash) } == nil)
    }

    @Test(arguments: Backend.allCases) func purgeDeletesIdleExpiredAndOldAnonymousSessions(_ backend: Backend) async throws {
        let app = try await TestApp(backend: backend, session: SessionSettings(idleTimeout: 100, absoluteTimeout: 1000))
        for _ in 0..<3 { _ = try app.issueSession(signedIn: true) }
        app.clock.advance(by: 50)
        let live = try app.issueSession(signedIn: true)
        let startedSignIn = try app.issueSession()
        app.clock.advance(by: 60)
        let purged = try app.storage.write { tx in try tx.sessions.purge(now: app.clock.now(), idleTimeout: 100, anonymousLifetime: 3600) }
        #expect(purged == 3)
        #expect(try app.storage.count("sessions") == 2)
        // An anonymous row (a sign-in started, never finished) goes after its lifetime (an hour for
        // `vestibule purge`), however active.
        try app.storage.write { tx in try tx.sessions.touch(startedSignIn.session.id, at: app.clock.now()) }
        let now = app.clock.now()
        #expect(try app.storage.write { tx in try tx.sessions.purge(now: now, idleTimeout: 100_000, anonymousLifetime: 60) } == 1)
        #expect(try app.storage.scalar("SELECT token_hash FROM sessions", as: Data.self) == SessionManager.hash(token: live.cookie))
    }
}

@Suite struct RecordEncodingTests {
    /// Timestamps are numbers, so SQL can compare them with bound `Double` parameters.
    @Test func datesAreStoredAsSecondsSince1970() async throws {
        let app = try await TestApp()
        _ = try app.issueSession()
        #expect(try app.storage.scalar("SELECT typeof(last_seen_at) FROM sessions", as: String.self) == "real")
        #expect(try app.storage.scalar("SELECT last_seen_at FROM sessions", as: Double.self) == 1_800_000_000)
    }
}
