/// A way to sign in, as the `/login` page shows it.
public struct LoginMethod: Sendable {
    public let id: String
    public let name: String
    public let summary: String
    /// Where the method starts; nil while the method is not built yet.
    public let path: String?

    public init(id: String, name: String, summary: String, path: String?) {
        self.id = id
        self.name = name
        self.summary = summary
        self.path = path
    }

    /// This method, built: its card links to `path`.
    public func available(at path: String) -> LoginMethod {
        LoginMethod(id: id, name: name, summary: summary, path: path)
    }
}

/// The methods Vestibule offers, in the order the login page shows them. A method that is not
/// available yet keeps its card, saying so, so the page never links to something that is not there.
public enum LoginMethodCatalog {
    public static let planned: [LoginMethod] = [
        LoginMethod(
            id: "trezor", name: "Trezor",
            summary: "Confirm a sign-in challenge on your Trezor hardware wallet.", path: nil),
        LoginMethod(
            id: "trustee", name: "Trustee wallet",
            summary: "Scan a QR code with the Trustee app and approve on your phone.", path: nil),
        LoginMethod(
            id: "trinsic", name: "Trinsic identity verification",
            summary: "Verify your identity document with Trinsic.", path: nil),
    ]

    /// The planned method with this id (`trezor`, `trustee`, `trinsic`).
    public static func method(_ id: String) -> LoginMethod? { planned.first { $0.id == id } }

    /// The name to show for an identity's method; the id itself for one not in the catalog.
    public static func name(of id: String) -> String { method(id)?.name ?? id }

    /// The planned list, with each built method's entry replacing its placeholder.
    public static func merged(available: [LoginMethod]) -> [LoginMethod] {
        planned.map { plannedMethod in available.first { $0.id == plannedMethod.id } ?? plannedMethod }
            + available.filter { method in !planned.contains { $0.id == method.id } }
    }
}
