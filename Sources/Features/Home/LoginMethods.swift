import Web

/// A way to sign in, as the `/login` page shows it. Each login method's feature declares its own
/// (`LoginMethodFeature`); the page and the account page take them from the features, so adding
/// a method edits no list elsewhere.
public struct LoginMethod: Sendable {
    public enum Availability: Sendable, Equatable {
        /// Built and set up: the card links to `path`.
        case offered(path: String)
        /// Built, but this server has no credentials for its provider.
        case notSetUp
        /// Not part of this installation yet.
        case upcoming
    }

    /// The identity kind the method signs in with (`trezor`, `trustee`, ...).
    public let id: String
    public let name: String
    public let summary: String
    public let availability: Availability

    public init(id: String, name: String, summary: String, availability: Availability) {
        self.id = id
        self.name = name
        self.summary = summary
        self.availability = availability
    }

    public var path: String? {
        if case .offered(let path) = availability { return path }
        return nil
    }
}

/// A feature that is a login method: it declares its card and identity kind once.
public protocol LoginMethodFeature: Feature {
    var loginMethod: LoginMethod { get }
}

public enum LoginMethodCatalog {
    /// Methods planned but not built yet, shown so people know they are coming. A method's own
    /// feature replaces its entry here when it lands.
    public static let upcoming: [LoginMethod] = [
        LoginMethod(
            id: "trinsic", name: "Trinsic identity verification",
            summary: "Verify your identity document with Trinsic.", availability: .upcoming),
    ]

    /// The login methods among `features`, in their order, then the upcoming ones not among them.
    public static func methods(of features: [any Feature]) -> [LoginMethod] {
        let built = features.compactMap { ($0 as? any LoginMethodFeature)?.loginMethod }
        return built + upcoming.filter { method in !built.contains { $0.id == method.id } }
    }
}

/// The login methods as the account page needs them: the names of identity kinds (an unknown
/// kind shows as itself) and the offered methods, to link another identity with.
public struct LoginMethodNames: Sendable {
    let names: [String: String]
    public let offered: [LoginMethod]

    public init(_ methods: [LoginMethod]) {
        names = Dictionary(methods.map { ($0.id, $0.name) }, uniquingKeysWith: { first, _ in first })
        offered = methods.filter { $0.path != nil }
    }

    public func name(of id: String) -> String { names[id] ?? id }
}
