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
        switch String(decoding: name, as: UTF8.self) {
        case "REQUEST_METHOD": method = value()
        case "REQUEST_URI": requestURI = value()
        case "DOCUMENT_URI": documentURI = value()
        case "HTTPS": https = value()
        case "REQUEST_SCHEME": requestScheme = value()
        case "REMOTE_ADDR": remoteAddress = value()
        case "REQUEST_ID": requestID = value()
        case "CONTENT_TYPE": fields.append(HTTPField(name: .contentType, value: value()))
        case "CONTENT_LENGTH":
            contentLength = value()
            fields.append(HTTPField(name: .contentLength, value: contentLength!))
        default: break
        }
    }

    /// The names of the parameters `add` reads, for skipping the rest before making strings.
    public static func isRead<Name: Collection<UInt8>>(_ name: Name) -> Bool {
        name.starts(with: httpPrefix) || readNames.contains { name.elementsEqual($0) }
    }

    static let httpPrefix = Array("HTTP_".utf8)
    static let httpProxy = Array("HTTP_PROXY".utf8)
    static let httpHost = Array("HTTP_HOST".utf8)
    static let httpContentType = Array("HTTP_CONTENT_TYPE".utf8)
    static let httpContentLength = Array("HTTP_CONTENT_LENGTH".utf8)
    static let readNames = [
        "REQUEST_METHOD", "REQUEST_URI", "DOCUMENT_URI", "HTTPS", "REQUEST_SCHEME", "REMOTE_ADDR", "REQUEST_ID",
        "CONTENT_TYPE", "CONTENT_LENGTH",
    ].map { Array($0.utf8) }

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
