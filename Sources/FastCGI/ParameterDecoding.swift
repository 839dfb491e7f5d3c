import HTTPTypes

/// Turns the CGI parameters nginx sends (`fastcgi_params`) into an `HTTPRequest`.
public enum ParameterDecoding {
    public enum Failure: Error, Equatable {
        case missing(String)
        case invalid(String)
    }

    /// - Parameter params: the name/value pairs of the request, in any order.
    public static func head(from params: [String: String]) throws(Failure) -> HTTPRequest {
        guard let methodName = params["REQUEST_METHOD"], !methodName.isEmpty else {
            throw .missing("REQUEST_METHOD")
        }
        guard let method = HTTPRequest.Method(methodName) else { throw .invalid("REQUEST_METHOD") }
        guard let uri = params["REQUEST_URI"] ?? params["DOCUMENT_URI"], uri.hasPrefix("/") else {
            throw .missing("REQUEST_URI")
        }
        let https = params["HTTPS"].map { !$0.isEmpty && $0.lowercased() != "off" } ?? false
        let scheme = params["REQUEST_SCHEME"] ?? (https ? "https" : "http")
        var fields = HTTPFields()
        for (key, value) in params {
            guard let name = headerName(forParameter: key) else { continue }
            guard let fieldName = HTTPField.Name(name) else { continue }
            fields.append(HTTPField(name: fieldName, value: value))
        }
        return HTTPRequest(
            method: method, scheme: scheme, authority: params["HTTP_HOST"], path: uri,
            headerFields: fields)
    }

    /// `HTTP_USER_AGENT` → `user-agent`; `CONTENT_TYPE`/`CONTENT_LENGTH` are headers without the prefix.
    static func headerName(forParameter key: String) -> String? {
        switch key {
        case "CONTENT_TYPE": return "content-type"
        case "CONTENT_LENGTH": return "content-length"
        default:
            guard key.hasPrefix("HTTP_"), key.count > 5 else { return nil }
            // nginx also passes these two as HTTP_*; the CGI variables are the ones to trust.
            // HTTP_PROXY is the client's Proxy header: never a header we act on (httpoxy).
            if key == "HTTP_PROXY" || key == "HTTP_CONTENT_TYPE" || key == "HTTP_CONTENT_LENGTH" { return nil }
            let name = key.utf8.dropFirst(5).map { byte -> UInt8 in
                switch byte {
                case UInt8(ascii: "_"): return UInt8(ascii: "-")
                case UInt8(ascii: "A")...UInt8(ascii: "Z"): return byte + 32
                default: return byte
                }
            }
            return String(decoding: name, as: UTF8.self)
        }
    }
}
