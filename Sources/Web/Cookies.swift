/// Reading the `Cookie` header and writing `Set-Cookie`.
public enum Cookies {
    /// Every cookie in the request's `Cookie` header(s); the first occurrence of a name wins.
    public static func parse(_ headerValues: [String]) -> [String: String] {
        var cookies: [String: String] = [:]
        for header in headerValues {
            for piece in header.split(separator: ";") {
                let parts = piece.split(separator: "=", maxSplits: 1)
                guard parts.count == 2 else { continue }
                let name = String(parts[0]).trimmed
                var value = String(parts[1]).trimmed
                if value.count >= 2, value.hasPrefix("\""), value.hasSuffix("\"") {
                    value = String(value.dropFirst().dropLast())
                }
                if cookies[name] == nil { cookies[name] = value }
            }
        }
        return cookies
    }
}

public struct SetCookie: Sendable, Equatable {
    public enum SameSite: String, Sendable { case strict = "Strict", lax = "Lax" }

    public var name: String
    public var value: String
    public var path = "/"
    public var maxAge: Int?
    public var secure: Bool
    public var httpOnly = true
    public var sameSite: SameSite = .lax

    public init(name: String, value: String, maxAge: Int? = nil, secure: Bool) {
        self.name = name
        self.value = value
        self.maxAge = maxAge
        self.secure = secure
    }

    /// A cookie that tells the browser to forget `name`.
    public static func expired(name: String, secure: Bool) -> SetCookie {
        SetCookie(name: name, value: "", maxAge: 0, secure: secure)
    }

    public var headerValue: String {
        var parts = ["\(name)=\(value)", "Path=\(path)"]
        if let maxAge { parts.append("Max-Age=\(maxAge)") }
        if secure { parts.append("Secure") }
        if httpOnly { parts.append("HttpOnly") }
        parts.append("SameSite=\(sameSite.rawValue)")
        return parts.joined(separator: "; ")
    }
}
