import Foundation
import HTTPTypes
import Storage
import StorageSQL
import TestSupport
import Testing
@testable import Web

@Suite struct SessionAndCSRFTests {
    @Test func pageWithFormsIssuesASessionAndCSRFMetaTag() async throws {
        let app = try await TestApp()
        let response = app.send(.get, "/login")
        #expect(response.status == 200)
        let cookie = try #require(response.sessionCookie)
        #expect(cookie.count == 43)
        #expect(response.csrfToken?.count == 43)
        let setCookie = try #require(response.header("Set-Cookie"))
        #expect(setCookie.contains("HttpOnly") && setCookie.contains("SameSite=Lax"))
        // Only the token's SHA-256 is stored.
        #expect(try app.storage.count("sessions") == 1)
        #expect(try app.storage.scalar("SELECT token_hash FROM sessions", as: Data.self) == SessionManager.hash(token: cookie))
    }

    @Test func aPageWithoutFormsCreatesNoSession() async throws {
        let app = try await TestApp()
        let response = app.send(.get, "/")
        #expect(response.sessionCookie == nil)
        #expect(try app.storage.count("sessions") == 0)
    }

    @Test func theSameSessionKeepsItsCSRFToken() async throws {
        let app = try await TestApp()
        let first = app.send(.get, "/login")
        let cookie = try #require(first.sessionCookie)
        let second = app.send(.get, "/login", cookie: cookie)
        #expect(second.sessionCookie == nil)
        #expect(second.csrfToken == first.csrfToken)
    }

    @Test func postWithoutTokenIsForbiddenAndWithTokenSucceeds() async throws {
        let app = try await TestApp()
        let page = app.send(.get, "/login")
        let cookie = try #require(page.sessionCookie)
        let token = try #require(page.csrfToken)

        #expect(app.send(.post, "/logout", form: "", cookie: cookie).status == 403)
        #expect(app.send(.post, "/logout", form: "_csrf=wrong", cookie: cookie).status == 403)
        #expect(app.send(.post, "/logout", form: "_csrf=\(token)").status == 403)  // no session at all
        let byHeader = app.send(.post, "/logout", headers: [HTTPField.Name("X-CSRF-Token")!: token], cookie: cookie)
        #expect(byHeader.status == 303)
        #expect(byHeader.header("Set-Cookie")?.contains("Max-Age=0") == true)
        #expect(try app.storage.count("sessions") == 0)
    }

    /// Defence in depth: a request from another site is refused even with the right token.
    @Test func anotherSitesRequestIsRefusedWhateverItsToken() async throws {
        let app = try await TestApp()
        let page = app.send(.get, "/login")
        let cookie = try #require(page.sessionCookie), token = try #require(page.csrfToken)
        func logout(_ headers: HTTPFields) -> TestResponse {
            var all = headers
            all[HTTPField.Name("X-CSRF-Token")!] = token
            return app.send(.post, "/logout", headers: all, cookie: cookie)
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
        let response = app.send(.post, "/logout", form: "_csrf=\(page.csrfToken!)", cookie: page.sessionCookie!)
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
        let page = app.send(.get, "/login")
        let cookie = try #require(page.sessionCookie)
        app.clock.advance(by: 599)
        #expect(app.send(.get, "/login", cookie: cookie).sessionCookie == nil)  // still live, and touched now
        app.clock.advance(by: 599)
        #expect(app.send(.get, "/login", cookie: cookie).sessionCookie == nil)  // the touch kept it alive
        app.clock.advance(by: 601)
        let expired = app.send(.get, "/login", cookie: cookie)
        #expect(expired.sessionCookie != nil && expired.sessionCookie != cookie)  // a new session
        #expect(expired.csrfToken != page.csrfToken)
    }

    @Test func sessionsEndAtTheirAbsoluteLimitHoweverActive() async throws {
        let app = try await TestApp(session: SessionSettings(idleTimeout: 3600, absoluteTimeout: 7200))
        let cookie = try #require(app.send(.get, "/login").sessionCookie)
        for _ in 0..<7 {
            app.clock.advance(by: 1000)
            _ = app.send(.get, "/login", cookie: cookie)
        }
        app.clock.advance(by: 300)  // 7300 s after it began
        #expect(app.send(.get, "/login", cookie: cookie).sessionCookie != cookie)
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

    @Test(arguments: Backend.allCases) func purgeDeletesIdleAndExpiredSessions(_ backend: Backend) async throws {
        let app = try await TestApp(backend: backend, session: SessionSettings(idleTimeout: 100, absoluteTimeout: 1000))
        for _ in 0..<3 { _ = app.send(.get, "/login") }
        app.clock.advance(by: 50)
        let live = try #require(app.send(.get, "/login").sessionCookie)
        app.clock.advance(by: 60)
        let purged = try app.storage.write { tx in try tx.sessions.purge(now: app.clock.now(), idleTimeout: 100) }
        #expect(purged == 3)
        #expect(try app.storage.scalar("SELECT token_hash FROM sessions", as: Data.self) == SessionManager.hash(token: live))
    }
}

@Suite struct RecordEncodingTests {
    /// Timestamps are numbers, so SQL can compare them with bound `Double` parameters.
    @Test func datesAreStoredAsSecondsSince1970() async throws {
        let app = try await TestApp()
        _ = app.send(.get, "/login")
        #expect(try app.storage.scalar("SELECT typeof(last_seen_at) FROM sessions", as: String.self) == "real")
        #expect(try app.storage.scalar("SELECT last_seen_at FROM sessions", as: Double.self) == 1_800_000_000)
    }
}
