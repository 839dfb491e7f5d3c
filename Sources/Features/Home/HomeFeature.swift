import Foundation
import HTTPTypes
import Synchronization
import Storage
import Support
import Web

/// `/`, `/login` and `/api/status`.
public struct HomeFeature: Feature {
    let loginMethods: [LoginMethod]
    let version: String
    let health: DatabaseHealth

    public init(loginMethods: [LoginMethod], version: String, healthCheckInterval: Duration = .seconds(1)) {
        self.loginMethods = LoginMethodCatalog.merged(available: loginMethods)
        self.version = version
        health = DatabaseHealth(interval: healthCheckInterval)
    }

    public func register(_ routes: inout Routes) {
        routes.page(.get, "/") { context in
            try context.page("home", title: "Vestibule", ["methods": methodCards()])
        }
        routes.page(.get, "/login") { context in
            let next = LocalRedirect.validated(context.request.query["next"])
            if try context.userID() != nil { return .redirect(to: next ?? "/account") }
            return try context.page("login", title: "Sign in", ["methods": methodCards(next: next)], csrf: true)
        }
        let healthy = Response.json(StatusBody(status: "ok", database: "ok", version: version))
        let unhealthy = Response.json(
            StatusBody(status: "error", database: "unavailable", version: version, error: true,
                message: "The database cannot be read."),
            status: .serviceUnavailable)
        routes.api(.get, "/api/status") { context in
            health.isUsable(context.database) ? healthy : unhealthy
        }
    }

    private func methodCards(next: String? = nil) -> [[String: Any]] {
        loginMethods.map { method in
            var card: [String: Any] = ["id": method.id, "name": method.name, "summary": method.summary]
            if let path = method.path {
                card["path"] = next.map { "\(path)?next=\(URLEncoding.component($0))" } ?? path
            }
            return card
        }
    }
}

struct StatusBody: Encodable {
    let status: String
    let database: String
    let version: String
    var error: Bool?
    var message: String?
}

/// The answer of `/api/status`: whether the database answers a read. A check is at most
/// `interval` old, so a monitor polling hard costs one read a second, not one per poll.
final class DatabaseHealth: Sendable {
    private let interval: Duration
    private let last = Mutex<(at: ContinuousClock.Instant, usable: Bool)?>(nil)

    init(interval: Duration) {
        self.interval = interval
    }

    func isUsable(_ database: AppDatabase) -> Bool {
        let now = ContinuousClock.now
        if let cached = last.withLock({ $0 }), now - cached.at < interval { return cached.usable }
        let usable = database.isUsable()
        last.withLock { $0 = (now, usable) }
        return usable
    }
}
