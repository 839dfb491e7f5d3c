import Foundation
import HTTPTypes
import Logging
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
        self.loginMethods = loginMethods
        self.version = version
        health = DatabaseHealth(interval: healthCheckInterval)
    }

    public func register(_ routes: inout Routes) {
        routes.page(.get, "/") { context in
            try context.page("home", title: "Vestibule", ["methods": methodCards()], sameFor: "")
        }
        routes.page(.get, "/login") { context in
            let next = LocalRedirect.validated(context.request.query["next"])
            if try context.userID() != nil { return .redirect(to: next ?? "/account") }
            // The same page for every visitor with the same `next` (a validated local path);
            // only the common case, without one, is kept, so visitors cannot fill the cache.
            return try context.page(
                "login", title: "Sign in",
                ["methods": methodCards(next: next), "next": next ?? "", "trusteeOffered": trusteeOffered], csrf: true,
                sameFor: next == nil ? "" : nil)
        }
        routes.api(.get, "/api/status") { context in
            health.reading(context.storage, logger: context.logger, version: version).response
        }
    }

    private var trusteeOffered: Bool { loginMethods.contains { $0.id == "trustee" && $0.path != nil } }

    private func methodCards(next: String? = nil) -> [[String: Any]] {
        loginMethods.map { method in
            var card: [String: Any] = ["id": method.id, "name": method.name, "summary": method.summary]
            switch method.availability {
            case .offered(let path):
                card["path"] = next.map { "\(path)?next=\(URLEncoding.component($0))" } ?? path
                // The Trustee card shows the QR code on the login page itself (its script starts
                // an attempt once the page is visible; without script, the card's link remains).
                card["inlineTrustee"] = method.id == "trustee"
            case .notSetUp: card["notSetUp"] = true
            case .upcoming: card["upcoming"] = true
            }
            return card
        }
    }
}

struct StatusBody: Encodable {
    let status: String
    let database: String
    let version: String
    /// When the database was made (ISO 8601): a monitor sees a reset as a change of this value.
    let databaseCreatedAt: String?
    var error: Bool?
    var message: String?
}

/// The answer of `/api/status`: whether storage can be written (a small write) and when the
/// database was made. A check is at most `interval` old, and one thread makes it while the others
/// answer with the last one, so a monitor polling hard costs one write a second, not one per poll
/// or per worker. A change between healthy and not is logged once, in full.
final class DatabaseHealth: Sendable {
    struct Reading: Sendable {
        let health: StorageHealth
        let createdAt: String?
        /// The answer, encoded once per check (monitors may poll hard; JSONEncoder is not free).
        let response: Response

        init(health: StorageHealth, createdAt: String?, version: String) {
            self.health = health
            self.createdAt = createdAt
            guard case .unavailable(let reason) = health else {
                response = .json(StatusBody(status: "ok", database: "ok", version: version, databaseCreatedAt: createdAt))
                return
            }
            response = .json(
                StatusBody(
                    status: "error", database: "unavailable", version: version, databaseCreatedAt: createdAt,
                    error: true, message: "The database cannot be written: \(StorageHealth.summary(of: reason))."),
                status: .serviceUnavailable)
        }
    }

    private struct State: Sendable {
        var last: (at: ContinuousClock.Instant, reading: Reading)?
        var checking = false
    }

    private let interval: Duration
    private let state = Mutex(State())

    init(interval: Duration) {
        self.interval = interval
    }

    func reading(_ storage: any Storage, logger: Logger, version: String) -> Reading {
        let now = ContinuousClock.now
        let (previous, check) = state.withLock { state -> (Reading?, Bool) in
            let previous = state.last?.reading
            if let last = state.last, now - last.at < interval || state.checking { return (previous, false) }
            state.checking = true
            return (previous, true)
        }
        guard check else { return previous! }
        let health = storage.checkHealth()
        let createdAt = (try? storage.read { tx in try tx.metadata.value(.createdAt) }) ?? previous?.createdAt
        let reading = Reading(health: health, createdAt: createdAt, version: version)
        state.withLock {
            $0.last = (now, reading)
            $0.checking = false
        }
        if health != previous?.health ?? .ok {
            switch health {
            case .ok: logger.notice("storage is writable again", metadata: ["storage": "\(storage.displayName)"])
            case .unavailable(let reason):
                logger.error("storage cannot be written", metadata: ["storage": "\(storage.displayName)", "reason": "\(reason)"])
            }
        }
        return reading
    }
}
