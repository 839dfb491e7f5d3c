import HTTPTypes

/// Serializes a response the way a FastCGI responder answers: a `Status:` line, the header
/// fields, a blank line, the body.
public enum ResponseEncoding {
    public static func headBytes(_ head: HTTPResponse) -> [UInt8] {
        var text = "Status: \(head.status.code) \(head.status.reasonPhrase)\r\n"
        for field in head.headerFields {
            text += "\(field.name.rawName): \(field.value)\r\n"
        }
        text += "\r\n"
        return Array(text.utf8)
    }
}
