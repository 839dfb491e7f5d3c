import Foundation
import Support

/// What siteStartRequest gave: the link the QR code encodes, and when the request expires.
public struct TrusteeStart: Sendable, Equatable {
    public let link: String
    public let expiresAt: Date

    public init(link: String, expiresAt: Date) {
        self.link = link
        self.expiresAt = expiresAt
    }
}

/// What siteCheckRequest said about a request.
public struct TrusteeCheck: Sendable, Equatable {
    public enum Status: Sendable, Equatable {
        case pending
        case approved(TrusteeWallet)
        case denied
        case expired
    }

    public let status: Status
    /// Trustee's expiry, when it gave one.
    public let expiresAt: Date?
    /// A `statusCode` in none of the lists (counted as pending), for the log.
    public let unknownCode: String?
}

/// The person's wallet, as an approval names it.
public struct TrusteeWallet: Sendable, Equatable {
    /// The wallet's identity: what a Vestibule account is linked to.
    public let userPublicToken: String
    /// Only for verified partners.
    public let name: String?
    public let phone: String?

    public init(userPublicToken: String, name: String?, phone: String?) {
        self.userPublicToken = userPublicToken
        self.name = name
        self.phone = phone
    }
}

/// Why a call to Trustee did not give a usable answer. `description` is for the log (never holds
/// the merchantWebKey); `message` is the plain sentence for the person.
public enum TrusteeError: Error, Equatable, CustomStringConvertible {
    case unreachable(String)
    case httpStatus(Int)
    case graphQL([String])
    case malformed(String)
    case noLink

    public var description: String {
        switch self {
        case .unreachable(let reason): return "Trustee could not be reached: \(reason)"
        case .httpStatus(let status): return "Trustee answered HTTP \(status)"
        case .graphQL(let messages): return "Trustee answered with errors: \(messages.joined(separator: "; "))"
        case .malformed(let reason): return "Trustee's answer was not understood: \(reason)"
        case .noLink: return "Trustee's answer has no link, and trustee.linkTemplate is not set"
        }
    }

    public var message: String {
        switch self {
        case .unreachable, .httpStatus: return "Trustee cannot be reached right now. We will keep trying."
        case .graphQL, .malformed: return "Trustee gave an answer we could not use. We will keep trying."
        case .noLink: return "Sign-in with Trustee is not set up correctly on this server."
        }
    }
}

/// Every rule for reading Trustee's answers, in one place (spec/providers.md, Trustee). The
/// unknowns follow `TrusteeSettings`; anything else unexpected is `TrusteeError.malformed`.
public enum TrusteeWire {
    public static let startMutation = """
        mutation SiteStartRequest($merchantWebKey: String, $uniqueKeyForRequest: String, $requestType: String) { \
        siteStartRequest(merchantWebKey: $merchantWebKey, uniqueKeyForRequest: $uniqueKeyForRequest, requestType: $requestType) }
        """
    public static let checkMutation = """
        mutation SiteCheckRequest($merchantWebKey: String, $uniqueKeyForRequest: String) { \
        siteCheckRequest(merchantWebKey: $merchantWebKey, uniqueKeyForRequest: $uniqueKeyForRequest) }
        """

    /// The request body: `{"query", "variables", "operationName"}`.
    public static func body(query: String, operationName: String, variables: [String: String]) -> [UInt8] {
        let object: [String: Any] = ["query": query, "variables": variables, "operationName": operationName]
        return Array((try? JSONSerialization.data(withJSONObject: object, options: [.sortedKeys])) ?? Data())
    }

    /// `data.<field>` of a GraphQL answer: an object, or a string holding one. `errors` win.
    public static func result(_ field: String, in body: [UInt8]) throws(TrusteeError) -> JSONValue {
        let answer: JSONValue
        do {
            answer = try JSONValue.parse(body)
        } catch {
            throw .malformed("not JSON (\(error))")
        }
        guard case .object = answer else { throw .malformed("not a JSON object") }
        if case .array(let errors)? = answer["errors"], !errors.isEmpty {
            throw .graphQL(errors.map { $0["message"]?.string ?? "an error without a message" })
        }
        guard let result = answer["data"]?[field], !result.isNull else { throw .malformed("no data.\(field)") }
        switch result {
        case .object: return result
        case .string(let text):
            guard let inner = try? JSONValue.parse(Array(text.utf8)), case .object = inner else {
                throw .malformed("data.\(field) is a string that does not hold a JSON object")
            }
            return inner
        default: throw .malformed("data.\(field) is neither an object nor a string")
        }
    }

    /// siteStartRequest's result: the link (`linkField`, else `linkTemplate`) and the expiry.
    public static func start(_ result: JSONValue, uniqueKey: String, settings: TrusteeSettings, now: Date) throws(TrusteeError)
        -> TrusteeStart
    {
        let link: String
        if let sent = result[settings.linkField]?.string, !sent.isEmpty {
            link = sent
        } else if let template = settings.linkTemplate, !template.isEmpty {
            link = template.replacingOccurrences(of: "{uniqueKeyForRequest}", with: uniqueKey.addingPercentEncoding(withAllowedCharacters: .alphanumerics) ?? uniqueKey)
        } else {
            throw .noLink
        }
        guard link.utf8.count <= 2048, !link.unicodeScalars.contains(where: { $0.value <= 0x20 || $0.value == 0x7F }) else {
            throw .malformed("the link is longer than 2048 bytes or holds spaces or control characters")
        }
        // The page puts the link in an "Open in Trustee" href: only a URL with a scheme, and
        // never one that runs or embeds content in this site's page.
        guard let scheme = link.wholeMatch(of: /([A-Za-z][A-Za-z0-9+.\-]*):.+/)?.1.lowercased(),
            !["javascript", "data", "vbscript", "file", "blob", "about"].contains(scheme)
        else { throw .malformed("the link is not a URL Vestibule will offer: \(link.prefix(40))") }
        return TrusteeStart(link: link, expiresAt: expiry(result["resRequestWillExpire"]) ?? now + settings.attemptLifetime)
    }

    /// siteCheckRequest's result. Approved needs a non-empty `userPublicToken`, else it is pending.
    public static func check(_ result: JSONValue, codes: TrusteeStatusCodes) -> TrusteeCheck {
        let code = statusCode(result["statusCode"])
        let expiresAt = expiry(result["resRequestWillExpire"])
        func answer(_ status: TrusteeCheck.Status, unknown: String? = nil) -> TrusteeCheck {
            TrusteeCheck(status: status, expiresAt: expiresAt, unknownCode: unknown)
        }
        guard let code else { return answer(.pending, unknown: "(none)") }
        if codes.approved.contains(code) {
            guard let token = text(result["userPublicToken"], limit: 512) else { return answer(.pending) }
            return answer(.approved(TrusteeWallet(
                userPublicToken: token, name: text(result["name"], limit: 128), phone: text(result["phone"], limit: 32))))
        }
        if codes.denied.contains(code) { return answer(.denied) }
        if codes.expired.contains(code) { return answer(.expired) }
        if codes.pending.contains(code) { return answer(.pending) }
        return answer(.pending, unknown: String(code.prefix(64)))
    }

    /// A status code as a lowercase string: a number's text, or a string.
    static func statusCode(_ value: JSONValue?) -> String? {
        switch value {
        case .number(let text)?: return text.lowercased()
        case .string(let text)?: return text.trimmingCharacters(in: .whitespaces).lowercased()
        default: return nil
        }
    }

    /// A non-empty string of at most `limit` bytes without control characters; else nil.
    static func text(_ value: JSONValue?, limit: Int) -> String? {
        guard let text = value?.string?.trimmingCharacters(in: .whitespaces), !text.isEmpty, text.utf8.count <= limit,
            !text.unicodeScalars.contains(where: { $0.properties.generalCategory == .control || $0.properties.generalCategory == .format })
        else { return nil }
        return text
    }

    /// `resRequestWillExpire`: unix seconds, unix milliseconds (over 10^12), or ISO 8601, as a
    /// number or a string; nil when absent or not a date in the years 2000-9999.
    public static func expiry(_ value: JSONValue?) -> Date? {
        let number: Double?
        switch value {
        case .number(let text)?: number = Double(text)
        case .string(let text)?:
            let trimmed = text.trimmingCharacters(in: .whitespaces)
            if let parsed = Double(trimmed), trimmed.allSatisfy({ $0.isNumber || $0 == "." }) {
                number = parsed
            } else {
                return ClientDate.parse(trimmed)
            }
        default: return nil
        }
        guard let number, number.isFinite, number > 0 else { return nil }
        let date = Date(timeIntervalSince1970: number > 1e12 ? number / 1000 : number)
        return UTCDate.isInValidYears(date) ? date : nil
    }
}
