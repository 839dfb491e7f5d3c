import FastCGI
import HTTPTypes

/// An incoming request as handlers see it: the head, the whole body, and the parts of the URI.
public struct Request: Sendable {
    public let head: HTTPRequest
    public let body: [UInt8]
    public let remoteAddress: String
    public let id: String
    /// The path as sent, percent-encoded, without the query.
    public let path: String
    public let query: FormFields

    public var method: HTTPRequest.Method { head.method }
    public var userAgent: String { head.headerFields[.userAgent] ?? "" }

    public init(head: HTTPRequest, body: [UInt8], remoteAddress: String, id: String) throws(HTTPError) {
        self.head = head
        self.body = body
        self.remoteAddress = remoteAddress
        self.id = id
        let target = head.path ?? "/"
        if let mark = target.utf8.firstIndex(of: UInt8(ascii: "?")) {
            path = String(target[..<mark])
            query = try FormFields(urlEncoded: String(target[target.utf8.index(after: mark)...]), limits: .query)
        } else {
            path = target
            query = FormFields()
        }
    }

    /// The request without its query or body, for answering a request whose query was malformed.
    init(withoutQuery head: HTTPRequest, remoteAddress: String, id: String) {
        self.head = head
        body = []
        self.remoteAddress = remoteAddress
        self.id = id
        let target = head.path ?? "/"
        path = target.utf8.firstIndex(of: UInt8(ascii: "?")).map { String(target[..<$0]) } ?? target
        query = FormFields()
    }

    public func header(_ name: HTTPField.Name) -> String? { head.headerFields[name] }

    /// Path segments for routing: the leading slash and one trailing slash do not count, but
    /// empty segments inside do (`/sites//verify-identifier` has an empty secret id).
    public var pathSegments: [String] {
        var segments = path.utf8.split(separator: UInt8(ascii: "/"), omittingEmptySubsequences: false)
            .map { String(decoding: $0, as: UTF8.self) }
        if segments.first == "" { segments.removeFirst() }
        if segments.last == "" { segments.removeLast() }
        return segments
    }

    /// The media type of the body, lowercased, without parameters.
    public var mediaType: String? {
        header(.contentType).map {
            $0.split(separator: ";", maxSplits: 1).first.map { String($0).trimmed.lowercased() } ?? ""
        }
    }
}

extension String {
    var trimmed: String {
        var text = Substring(self)
        while let first = text.first, first == " " || first == "\t" { text.removeFirst() }
        while let last = text.last, last == " " || last == "\t" { text.removeLast() }
        return String(text)
    }
}
