import HTTPTypes
import Testing
@testable import Web

@Suite struct RouterTests {
    let router: Router = {
        var routes = Routes()
        routes.page(.get, "/") { _ in .text("home") }
        routes.page(.get, "/login") { _ in .text("login") }
        routes.api(.post, "/api/v1/sites") { _ in .text("create") }
        routes.api(.delete, "/api/v1/sites/:secretId") { _ in .text("delete") }
        routes.api(.post, "/api/v1/sites/:secretId/verify-identifier") { _ in .text("verify") }
        routes.api(.post, "/api/v1/sites/:accountId/:secretId/get-envelope") { _ in .text("envelope") }
        return Router(routes)
    }()

    func segments(_ path: String) -> [String] {
        try! Request(head: HTTPRequest(method: .get, scheme: nil, authority: nil, path: path), body: [], remoteAddress: "", id: "x").pathSegments
    }

    @Test func matchesRootAndConstants() {
        guard case .found(let route, _) = router.match(method: .get, segments: segments("/")) else { Issue.record(); return }
        #expect(route.path == "/")
        guard case .found(let login, _) = router.match(method: .get, segments: segments("/login")) else { Issue.record(); return }
        #expect(login.path == "/login")
    }

    @Test func extractsAndDecodesParameters() {
        guard case .found(let route, let parameters) = router.match(method: .post, segments: segments("/api/v1/sites/4/ab%20c/get-envelope")) else {
            Issue.record(); return
        }
        #expect(route.kind == .api)
        #expect(parameters == ["accountId": "4", "secretId": "ab c"])
    }

    @Test func trailingSlashRoutesTheSame() {
        guard case .found(_, let parameters) = router.match(method: .post, segments: segments("/api/v1/sites/abc/verify-identifier/")) else {
            Issue.record(); return
        }
        #expect(parameters["secretId"] == "abc")
        guard case .found = router.match(method: .post, segments: segments("/api/v1/sites/")) else { Issue.record(); return }
    }

    /// `sites//verify-identifier` has an empty secret id: the route matches and the handler says 404.
    @Test func emptySegmentIsAnEmptyParameter() {
        guard case .found(let route, let parameters) = router.match(method: .post, segments: segments("/api/v1/sites//verify-identifier")) else {
            Issue.record(); return
        }
        #expect(route.path.hasSuffix("verify-identifier"))
        #expect(parameters["secretId"] == "")
    }

    @Test func wrongMethodIs405WithAllow() {
        guard case .methodNotAllowed(let allowed) = router.match(method: .put, segments: segments("/api/v1/sites/abc")) else {
            Issue.record(); return
        }
        #expect(allowed == [.delete])
        guard case .methodNotAllowed(let loginAllowed) = router.match(method: .post, segments: segments("/login")) else {
            Issue.record(); return
        }
        #expect(loginAllowed == [.get, .head])
    }

    @Test func headFallsBackToGet() {
        guard case .found(let route, _) = router.match(method: .head, segments: segments("/login")) else { Issue.record(); return }
        #expect(route.method == .get)
    }

    @Test func unknownPathIsNotFound() {
        guard case .notFound = router.match(method: .get, segments: segments("/nope")) else { Issue.record(); return }
        guard case .notFound = router.match(method: .get, segments: segments("/login/extra")) else { Issue.record(); return }
    }
}

@Suite struct RouterBacktrackingTests {
    /// A constant branch that dead-ends falls back to the parameter branch.
    @Test func backtracksFromAConstantBranch() {
        var routes = Routes()
        routes.api(.get, "/logs/logins/:teamId") { _ in .text("a") }
        routes.api(.get, "/logs/:kind/:teamId/extra") { _ in .text("b") }
        let router = Router(routes)
        guard case .found(let route, let parameters) = router.match(method: .get, segments: ["logs", "logins", "7", "extra"]) else {
            Issue.record(); return
        }
        #expect(route.path == "/logs/:kind/:teamId/extra")
        #expect(parameters == ["kind": "logins", "teamId": "7"])
    }
}
