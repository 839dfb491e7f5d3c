import HTTPTypes

/// One request as the FastCGI layer hands it over: copied out of libfcgi's buffers into Swift
/// values, so nothing points into memory that libfcgi frees at its next accept.
public struct FastCGIRequest: Sendable {
    public var head: HTTPRequest
    public var body: Body
    /// The peer nginx saw (`REMOTE_ADDR`).
    public var remoteAddress: String
    /// The id nginx gave the request (`$request_id`), if it passed one.
    public var requestID: String?

    public enum Body: Sendable, Equatable {
        case bytes([UInt8])
        /// The declared length is above the server's limit; the body was not read.
        case tooLarge(declaredLength: Int)
        /// The peer sent fewer bytes than it declared.
        case incomplete
    }

    public init(head: HTTPRequest, body: Body, remoteAddress: String, requestID: String? = nil) {
        self.head = head
        self.body = body
        self.remoteAddress = remoteAddress
        self.requestID = requestID
    }
}

public struct FastCGIResponse: Sendable {
    public var head: HTTPResponse
    public var body: [UInt8]

    public init(head: HTTPResponse, body: [UInt8] = []) {
        self.head = head
        self.body = body
    }
}

/// What the server calls for every request, on the worker thread that accepted it.
/// Synchronous by design: one worker thread serves one request from accept to the last byte.
public protocol FastCGIResponder: Sendable {
    func respond(to request: FastCGIRequest) -> FastCGIResponse
}
