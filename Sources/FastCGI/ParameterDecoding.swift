#if canImport(Glibc)
import Glibc
#endif
import HTTPTypes

/// The CGI parameters nginx sends (`fastcgi_params`), gathered in one pass: the request's header
/// fields and the few other variables the program reads. Everything else is skipped unread.
public struct CGIParameters: Sendable {
    public var method: String?
    public var requestURI: String?
    public var documentURI: String?
    public var https: String?
    public var requestScheme: String?
    public var remoteAddress: String?
    public var requestID: String?
    public var contentLength: String?
    public var host: String?
    public var fields: [HTTPField] = []

    public init() {}

    /// Builds them from name/value pairs (tests, and anything not reading libfcgi's array).
    public init(_ params: [String: String]) {
        for (name, value) in params { add(name: Array(name.utf8), value: value) }
    }

    /// Copies the parameters the program reads out of libfcgi's `NAME=value` array at once (libfcgi
    /// frees it at its next accept), splitting on bytes; the rest of what `fastcgi_params` sends is
    /// skipped unread. The fuzz checks feed it arrays built from hostile bytes.
    public init(environment: UnsafeMutablePointer<UnsafeMutablePointer<CChar>?>?) {
        fields.reserveCapacity(24)
        guard var cursor = environment else { return }
        while let entry = cursor.pointee {
            let bytes = UnsafeRawBufferPointer(start: entry, count: strlen(entry))
            if let equals = bytes.firstIndex(of: UInt8(ascii: "=")) {
                add(
                    name: UnsafeRawBufferPointer(rebasing: bytes[..<equals]),
                    value: String(decoding: UnsafeRawBufferPointer(rebasing: bytes[(equals + 1)...]), as: UTF8.self))
            }
            cursor += 1
        }
    }

    /// Takes one parameter; its name as bytes, so unread names never become strings.
    public mutating func add<Name: Collection<UInt8>>(name: Name, value: @autoclosure () -> String) {
        if name.starts(with: Self.httpPrefix) {
            // nginx also passes these as CONTENT_*; the CGI variables are the ones to trust.
            // HTTP_PROXY is the client's Proxy header: never a header we act on (httpoxy).
            guard !name.elementsEqual(Self.httpProxy), !name.elementsEqual(Self.httpContentType),
                !name.elementsEqual(Self.httpContentLength), let fieldName = Self.fieldName(name.dropFirst(5))
            else { return }
            let text = value()
            if name.elementsEqual(Self.httpHost) { host = text }
            fields.append(HTTPField(name: fieldName, value: text))
            return
        }
        guard let reader = Self.readers.first(where: { name.elementsEqual($0.name) }) else { return }
        reader.read(&self, value())
    }

    /// The other parameters the program reads, each with where it goes; the rest are skipped.
    static let readers: [(name: [UInt8], read: @Sendable (inout CGIParameters, String) -> Void)] = [
        (Array("REQUEST_METHOD".utf8), { $0.method = $1 }),
        (Array("REQUEST_URI".utf8), { $0.requestURI = $1 }),
        (Array("DOCUMENT_URI".utf8), { $0.documentURI = $1 }),
        (Array("HTTPS".utf8), { $0.https = $1 }),
        (Array("REQUEST_SCHEME".utf8), { $0.requestScheme = $1 }),
        (Array("REMOTE_ADDR".utf8), { $0.remoteAddress = $1 }),
        (Array("REQUEST_ID".utf8), { $0.requestID = $1 }),
        (Array("CONTENT_TYPE".utf8), { $0.fields.append(HTTPField(name: .contentType, value: $1)) }),
        (Array("CONTENT_LENGTH".utf8), { $0.contentLength = $1; $0.fields.append(HTTPField(name: .contentLength, value: $1)) }),
    ]

    static let httpPrefix = Array("HTTP_".utf8)
    static let httpProxy = Array("HTTP_PROXY".utf8)
    static let httpHost = Array("HTTP_HOST".utf8)
    static let httpContentType = Array("HTTP_CONTENT_TYPE".utf8)
    static let httpContentLength = Array("HTTP_CONTENT_LENGTH".utf8)

    /// `USER_AGENT` → `user-agent`.
    static func fieldName<Bytes: Collection<UInt8>>(_ bytes: Bytes) -> HTTPField.Name? {
        guard !bytes.isEmpty else { return nil }
        let name = bytes.map { byte -> UInt8 in
            switch byte {
            case UInt8(ascii: "_"): return UInt8(ascii: "-")
            case UInt8(ascii: "A")...UInt8(ascii: "Z"): return byte + 32
            default: return byte
            }
        }
        return HTTPField.Name(String(decoding: name, as: UTF8.self))
    }
}

/// Turns the CGI parameters into an `HTTPRequest`.
public enum ParameterDecoding {
    public enum Failure: Error, Equatable {
        case missing(String)
        case invalid(String)
    }

    public static func head(from params: [String: String]) throws(Failure) -> HTTPRequest {
        try head(from: CGIParameters(params))
    }

    public static func head(from params: CGIParameters) throws(Failure) -> HTTPRequest {
        guard let methodName = params.method, !methodName.isEmpty else { throw .missing("REQUEST_METHOD") }
        guard let method = HTTPRequest.Method(methodName) else { throw .invalid("REQUEST_METHOD") }
        guard let uri = params.requestURI ?? params.documentURI, uri.hasPrefix("/") else {
            throw .missing("REQUEST_URI")
        }
        let https = params.https.map { !$0.isEmpty && $0.lowercased() != "off" } ?? false
        let scheme = params.requestScheme ?? (https ? "https" : "http")
        return HTTPRequest(
            method: method, scheme: scheme, authority: params.host, path: uri, headerFields: HTTPFields(params.fields))
    }
}
