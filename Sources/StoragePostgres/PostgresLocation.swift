import Foundation

/// A PostgreSQL database named by a `postgres://` or `postgresql://` URL (libpq's URI form),
/// with the password from the URL, a password file, or `PGPASSFILE` (libpq reads that itself).
public struct PostgresLocation: Sendable, Equatable {
    /// The URL as given: handed to libpq, never printed (it may hold the password).
    let url: String
    /// A password read from the `passwordFile` setting, if there is one; wins over the URL's.
    let password: String?

    public static func isURL(_ text: String) -> Bool {
        text.hasPrefix("postgres://") || text.hasPrefix("postgresql://")
    }

    public init?(url: String, password: String? = nil) {
        guard Self.isURL(url), URLComponents(string: url) != nil else { return nil }
        self.url = url
        self.password = password
    }

    /// The URL without its password (in the user part or as a `password` parameter): what logs,
    /// errors and banners show.
    public var redacted: String {
        guard var components = URLComponents(string: url) else { return "postgresql://(unparsable URL)" }
        if components.password != nil { components.password = nil }
        if let items = components.queryItems {
            let kept = items.filter { $0.name.lowercased() != "password" }
            components.queryItems = kept.isEmpty ? nil : kept
        }
        return components.string ?? "postgresql://(unparsable URL)"
    }
}
