import Foundation
import HTTPTypes
import Support

public struct Response: Sendable {
    public var status: HTTPResponse.Status
    public var headers: HTTPFields
    public var body: [UInt8]

    public init(status: HTTPResponse.Status = .ok, headers: HTTPFields = [:], body: [UInt8] = []) {
        self.status = status
        self.headers = headers
        self.body = body
    }

    public static func html(_ text: String, status: HTTPResponse.Status = .ok) -> Response {
        Response(status: status, headers: [.contentType: "text/html; charset=utf-8"], body: Array(text.utf8))
    }

    public static func text(_ text: String, status: HTTPResponse.Status = .ok) -> Response {
        Response(status: status, headers: [.contentType: "text/plain; charset=utf-8"], body: Array(text.utf8))
    }

    /// JSON from an `Encodable` value; keys sorted, slashes not escaped.
    public static func json(_ value: some Encodable, status: HTTPResponse.Status = .ok) -> Response {
        let encoder = JSONEncoder()
        encoder.outputFormatting = [.sortedKeys, .withoutEscapingSlashes]
        // Encoding our own response types cannot fail; an empty object is the safe fallback.
        let data = (try? encoder.encode(value)) ?? Data("{}".utf8)
        return json(bytes: Array(data), status: status)
    }

    /// JSON written as PHP's json_encode writes it (member order kept): the TrustedLogin API's
    /// bodies, which PHP clients read and sometimes re-encode.
    public static func json(_ value: JSONValue, status: HTTPResponse.Status = .ok) -> Response {
        json(bytes: PHPJSON.encode(value), status: status)
    }

    public static func json(bytes: [UInt8], status: HTTPResponse.Status = .ok) -> Response {
        Response(status: status, headers: [.contentType: "application/json"], body: bytes)
    }

    /// A redirect after a form post or to a login page: 303 so the browser follows with GET.
    public static func redirect(to location: String, status: HTTPResponse.Status = .seeOther) -> Response {
        Response(status: status, headers: [.location: location])
    }

    public static let noContent = Response(status: .noContent)
}
