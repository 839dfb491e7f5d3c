import HTTPTypes

/// Serializes a response the way a FastCGI responder answers: a `Status:` line, the header
/// fields, a blank line, the body.
public enum ResponseEncoding {
    /// The framing every answer gets, whoever made it: `Content-Length` (sent, not left to nginx:
    /// the TrustedLogin Connector speaks HTTP/1.0 and reads to the length), none on 204, and no
    /// body for HEAD (`method` is nil when the request could not be read).
    public static func framed(_ response: FastCGIResponse, method: HTTPRequest.Method?) -> FastCGIResponse {
        var response = response
        if response.head.status != .noContent {
            response.head.headerFields[.contentLength] = String(response.body.count)
        }
        if method == .head { response.body = [] }
        return response
    }

    public static func headBytes(_ head: HTTPResponse) -> [UInt8] {
        var bytes: [UInt8] = []
        bytes.reserveCapacity(1024)
        bytes += "Status: ".utf8
        bytes += String(head.status.code).utf8
        bytes.append(UInt8(ascii: " "))
        bytes += head.status.reasonPhrase.utf8
        bytes += [13, 10]
        for field in head.headerFields {
            bytes += field.name.rawName.utf8
            bytes += [UInt8(ascii: ":"), UInt8(ascii: " ")]
            bytes += field.value.utf8
            bytes += [13, 10]
        }
        bytes += [13, 10]
        return bytes
    }
}
