import HTTPTypes
import Storage
import Support

/// An error that knows its HTTP status and a message that is safe to show to the client.
/// Anything else thrown by a handler becomes a 500 whose details go only to the log.
public struct HTTPError: Error, Sendable, CustomStringConvertible {
    public var status: HTTPResponse.Status
    public var message: String
    /// The input field at fault, for 400 answers that name it.
    public var field: String?
    /// Laravel-shaped validation messages, for 422 answers.
    public var fieldErrors: [(field: String, messages: [String])]
    public var headers: HTTPFields
    /// A JSON body to send as is, for API routes whose wire contract fixes the error body.
    public var jsonBody: JSONValue?

    public init(
        _ status: HTTPResponse.Status, _ message: String, field: String? = nil,
        headers: HTTPFields = [:], jsonBody: JSONValue? = nil
    ) {
        self.status = status
        self.message = message
        self.field = field
        self.fieldErrors = []
        self.headers = headers
        self.jsonBody = jsonBody
    }

    /// 422 with one message per field, in the order given.
    public static func validation(_ errors: [(field: String, messages: [String])]) -> HTTPError {
        var error = HTTPError(.unprocessableContent, "The given data was invalid.")
        error.fieldErrors = errors
        return error
    }

    public static func notFound(_ message: String = "The page you asked for does not exist.") -> HTTPError {
        HTTPError(.notFound, message)
    }

    public static func badRequest(_ message: String, field: String? = nil) -> HTTPError {
        HTTPError(.badRequest, message, field: field)
    }

    public static func tooManyRequests(retryAfter seconds: Int, _ message: String) -> HTTPError {
        HTTPError(.tooManyRequests, message, headers: [.retryAfter: String(max(1, seconds))])
    }

    /// `{"field": ["message", ...], ...}`: the `errors` member of a 422 body.
    public var fieldErrorsJSON: JSONValue {
        .object(fieldErrors.map { ($0.field, .array($0.messages.map(JSONValue.string))) })
    }

    public var description: String { "\(status.code) \(message)" }
}

/// An error of another layer that knows what it means over HTTP: the error middleware answers
/// with `httpError` and logs `logDetail` (never shown) when there is one. Domain errors conform
/// in extensions, so the layers below Web need not know HTTP.
public protocol HTTPResponseError: Error {
    var httpError: HTTPError { get }
    var logDetail: String? { get }
}

extension HTTPResponseError {
    public var logDetail: String? { nil }
}

/// Storage that cannot be reached or written is a 503 the client may retry; the reason is for
/// the log and `/api/status`, not for the visitor.
extension StorageError: HTTPResponseError {
    public var httpError: HTTPError {
        switch self {
        case .unavailable:
            return HTTPError(
                .serviceUnavailable, "This service cannot save anything right now. Please try again in a minute.",
                headers: [.retryAfter: "30"])
        case .conflict:
            return HTTPError(.conflict, "Another request changed the same thing at the same moment. Please try again.")
        case .failed:
            return ErrorResponses.internalError
        }
    }

    public var logDetail: String? { description }
}

extension HTTPResponse.Status {
    /// 402: a TrustedLogin team not in good standing.
    public static var paymentRequired: Self { Self(code: 402, reasonPhrase: "Payment Required") }
    /// 423: the TrustedLogin API's pause mode.
    public static var locked: Self { Self(code: 423, reasonPhrase: "Locked") }
    /// 424: something the request depends on (a vendor's signing key) could not be had.
    public static var failedDependency: Self { Self(code: 424, reasonPhrase: "Failed Dependency") }
}
