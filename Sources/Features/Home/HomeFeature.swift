import Foundation
import HTTPTypes
import Storage
import Support
import Web

/// `/`, `/login` and `/api/status`.
public struct HomeFeature: Feature {
    let loginMethods: [LoginMethod]
    let version: String

    public init(loginMethods: [LoginMethod], version: String) {
        self.loginMethods = LoginMethodCatalog.merged(available: loginMethods)
        self.version = version
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
        routes.api(.get, "/api/status") { context in
            status(database: context.database)
        }
    }

    func status(database: AppDatabase) -> Response {
        guard database.isUsable() else {
            return .json(
                StatusBody(status: "error", database: "unavailable", version: version, error: true,
                    message: "The database cannot be read."),
                status: .serviceUnavailable)
        }
        return .json(StatusBody(status: "ok", database: "ok", version: version))
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
