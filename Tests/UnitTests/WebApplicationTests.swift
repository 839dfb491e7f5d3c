import FastCGI
import Features
import Foundation
import HTTPTypes
import Outbound
import Support
import TestSupport
import Testing
@testable import Web

/// Error mapping, security headers and limits, through the real application in process.
@Suite struct WebApplicationTests {
    struct Boom: Error { let secret = "database password is hunter2" }

    struct Failing: Feature {
        func register(_ routes: inout Routes) {
            routes.page(.get, "/boom") { _ in throw Boom() }
            routes.api(.get, "/api/boom") { _ in throw Boom() }
            routes.api(.post, "/api/echo") { context in
                struct Body: Decodable { let name: String; let count: Int }
                let body = try context.decodeJSON(Body.self)
                return .json(["name": body.name, "count": String(body.count)])
            }
            routes.api(.get, "/api/invalid") { _ in
                throw HTTPError.validation([("api_endpoint", ["The api endpoint field is required."])])
            }
            routes.api(.get, "/api/framed") { _ in
                Response(status: .ok, headers: [HTTPField.Name("X-Frame-Options")!: "ALLOWALL"], body: [])
            }
        }
    }

    /// A security header a handler sets is replaced, not sent twice with the safe value.
    @Test func securityHeadersAreSentOnceWithTheSafeValue() async throws {
        let app = try await TestApp(features: [Failing()])
        let response = app.send(.get, "/api/framed")
        #expect(response.head.headerFields[values: HTTPField.Name("X-Frame-Options")!] == ["DENY"])
    }

    @Test func unknownPageIsTheHTML404PageInTheLayout() async throws {
        let app = try await TestApp()
        let response = app.send(.get, "/no/such/page")
        #expect(response.status == 404)
        #expect(response.header("Content-Type") == "text/html; charset=utf-8")
        #expect(response.text.contains("Page not found"))
        #expect(response.text.contains("/css/vestibule.css"))
    }

    @Test func unknownAPIPathIsJSON() async throws {
        let app = try await TestApp()
        let response = app.send(.get, "/api/v1/nope")
        #expect(response.status == 404)
        #expect(response.header("Content-Type") == "application/json")
        #expect(try response.json()["error"] as? Bool == true)
    }

    @Test func internalErrorsShowNoDetail() async throws {
        let app = try await TestApp(features: [Failing()])
        let page = app.send(.get, "/boom")
        #expect(page.status == 500)
        #expect(!page.text.contains("hunter2") && !page.text.contains("Boom"))
        #expect(page.text.contains(try #require(page.header("X-Request-ID"))))
        let api = app.send(.get, "/api/boom")
        #expect(api.status == 500)
        #expect(!api.text.contains("hunter2"))
        #expect(try api.json()["error"] as? Bool == true)
    }

    @Test func securityHeadersOnEveryResponse() async throws {
        let app = try await TestApp()
        for path in ["/", "/login", "/nope", "/api/status"] {
            let response = app.send(.get, path)
            #expect(response.header("Content-Security-Policy")?.hasPrefix("default-src 'self'") == true, "\(path)")
            #expect(response.header("X-Content-Type-Options") == "nosniff")
            #expect(response.header("X-Frame-Options") == "DENY")
            #expect(response.header("Cache-Control") == "no-store")
            #expect(response.header("Strict-Transport-Security") == nil)  // the test app is http
        }
    }

    @Test func tooLargeBodyIs413InTheRouteFormat() async throws {
        let app = try await TestApp()
        for (path, type) in [("/logout", "text/html; charset=utf-8"), ("/api/status", "application/json")] {
            let head = HTTPRequest(method: .post, scheme: "http", authority: "x", path: path)
            let response = app.application.respond(
                to: FastCGIRequest(head: head, body: .tooLarge(declaredLength: 2 << 20), remoteAddress: "127.0.0.1"))
            #expect(response.head.status.code == 413)
            #expect(response.head.headerFields[.contentType] == type)
        }
    }

    @Test func malformedJSONIs400NamingTheField() async throws {
        let app = try await TestApp(features: [Failing()])
        let json: HTTPFields = [.contentType: "application/json"]
        #expect(app.send(.post, "/api/echo", headers: json, body: Array("{nope".utf8)).status == 400)
        let missing = app.send(.post, "/api/echo", headers: json, body: Array(#"{"name":"a"}"#.utf8))
        #expect(missing.status == 400)
        #expect(try missing.json()["field"] as? String == "count")
        let wrongType = app.send(.post, "/api/echo", headers: json, body: Array(#"{"name":"a","count":"x"}"#.utf8))
        #expect(try wrongType.json()["field"] as? String == "count")
        let form = app.send(.post, "/api/echo", headers: [.contentType: "text/plain"], body: Array("x".utf8))
        #expect(form.status == 415)
        #expect(app.send(.post, "/api/echo", headers: json, body: Array(#"{"name":"a","count":2}"#.utf8)).status == 200)
    }

    @Test func validationErrorsHaveLaravelsShape() async throws {
        let app = try await TestApp(features: [Failing()])
        let response = app.send(.get, "/api/invalid")
        #expect(response.status == 422)
        #expect(response.text == #"{"message":"The given data was invalid.","errors":{"api_endpoint":["The api endpoint field is required."]}}"#)
    }

    @Test func malformedQueryIs400() async throws {
        let app = try await TestApp()
        #expect(app.send(.get, "/login?next=%zz").status == 400)
    }

    @Test func headAnswersWithoutBody() async throws {
        let app = try await TestApp()
        let response = app.send(.head, "/")
        #expect(response.status == 200)
        #expect(response.body.isEmpty)
    }

    @Test func requestIDFromNginxIsKeptAndInventedOtherwise() async throws {
        let app = try await TestApp()
        let head = HTTPRequest(method: .get, scheme: "http", authority: "x", path: "/")
        let id = String(repeating: "ab", count: 16)
        let kept = app.application.respond(to: FastCGIRequest(head: head, body: .bytes([]), remoteAddress: "", requestID: id))
        #expect(kept.head.headerFields[HTTPField.Name("X-Request-ID")!] == id)
        let invented = app.application.respond(to: FastCGIRequest(head: head, body: .bytes([]), remoteAddress: "", requestID: "<script>"))
        #expect(invented.head.headerFields[HTTPField.Name("X-Request-ID")!]?.count == 32)
    }

    @Test func loginKeepsOnlyLocalNextTargets() async throws {
        let app = try await TestApp()
        #expect(app.send(.get, "/login?next=%2Faccount").status == 200)
        #expect(!app.send(.get, "/login?next=%2F%2Fevil.example").text.contains("evil"))
    }

    @Test(arguments: Backend.allCases) func statusReportsTheDatabase(_ backend: Backend) async throws {
        let app = try await TestApp(backend: backend)
        let ok = app.send(.get, "/api/status")
        #expect(ok.status == 200)
        #expect(try ok.json()["status"] as? String == "ok")
        #expect(try ok.json()["database"] as? String == "ok")
        let createdAt = try app.storage.read { tx in try tx.metadata.value(.createdAt) }
        #expect(createdAt != nil)
        #expect(try ok.json()["databaseCreatedAt"] as? String == createdAt)
        app.storage.close()
        let broken = app.send(.get, "/api/status")
        #expect(broken.status == 503)
        #expect(try broken.json()["database"] as? String == "unavailable")
        #expect(try broken.json()["error"] as? Bool == true)
    }
}

/// The program's own refusal of a private key in the query string (nginx refuses it first; a
/// program reached some other way must too), and the setting that lets old callers use it.
@Suite struct QueryAPIKeyTests {
    func app(accept: Bool) async throws -> TestApp {
        try await TestApp { storage, clock in
            let key = SecretKey(bytes: Array(repeating: 9, count: 32))
            let teams = TeamService(storage: storage, clock: clock, random: SystemRandom(), secretKey: key)
            let services = TrustedLoginServices(
                teams: teams, settings: TrustedLoginSettings(acceptApiKeyInQuery: accept),
                http: CurlHTTPClient(policy: AddressPolicy(allowPrivateNetworks: false), userAgent: "test"),
                gate: OutboundGate(total: 1, perKey: 1), secretKey: key,
                random: SystemRandom())
            return [TrustedLoginFeature(services: services)]
        }
    }

    @Test func refusedUnlessTheSettingSaysOtherwise() async throws {
        let refusing = try await app(accept: false)
        let refused = refusing.send(.get, "/api/v1/logs/logins/1?api_key=abc")
        #expect(refused.status == 400)
        #expect(try refused.json()["field"] as? String == "api_key")
        #expect((try refused.json()["message"] as? String)?.contains("X-TL-Api-Key") == true)
        // Refused even beside a credential that would do.
        #expect(refusing.send(.get, "/api/v1/logs/logins/1?api_key=abc", headers: [HTTPField.Name("X-TL-Api-Key")!: "abc"]).status == 400)
        let accepting = try await app(accept: true)
        #expect(accepting.send(.get, "/api/v1/logs/logins/1?api_key=abc").status == 401)
    }
}
