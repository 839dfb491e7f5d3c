import Foundation
import HTTPTypes
import Logging
import TestSupport
import Testing
@testable import FastCGI

@Suite struct ParameterDecodingTests {
    let params = [
        "REQUEST_METHOD": "POST", "REQUEST_URI": "/logout?x=1", "HTTP_HOST": "login.example.com",
        "CONTENT_TYPE": "application/x-www-form-urlencoded", "CONTENT_LENGTH": "12",
        "HTTP_CONTENT_TYPE": "application/x-www-form-urlencoded", "HTTP_CONTENT_LENGTH": "12",
        "HTTP_USER_AGENT": "Test/1.0", "HTTP_X_CSRF_TOKEN": "abc", "HTTP_PROXY": "http://evil:8080",
        "HTTPS": "on", "REMOTE_ADDR": "10.0.0.1", "SERVER_NAME": "x",
    ]

    @Test func buildsTheRequestHead() throws {
        let head = try ParameterDecoding.head(from: params)
        #expect(head.method == .post)
        #expect(head.path == "/logout?x=1")
        #expect(head.scheme == "https")
        #expect(head.authority == "login.example.com")
        #expect(head.headerFields[.userAgent] == "Test/1.0")
        #expect(head.headerFields[HTTPField.Name("X-CSRF-Token")!] == "abc")
    }

    /// nginx passes Content-Type both as CONTENT_TYPE and HTTP_CONTENT_TYPE: it must appear once.
    @Test func contentTypeAndLengthAppearOnce() throws {
        let head = try ParameterDecoding.head(from: params)
        #expect(head.headerFields[values: .contentType] == ["application/x-www-form-urlencoded"])
        #expect(head.headerFields[values: .contentLength] == ["12"])
    }

    @Test func dropsTheProxyHeader() throws {
        let head = try ParameterDecoding.head(from: params)
        #expect(head.headerFields[HTTPField.Name("Proxy")!] == nil)
    }

    @Test func refusesMissingMethodOrURI() {
        #expect(throws: ParameterDecoding.Failure.missing("REQUEST_METHOD")) {
            try ParameterDecoding.head(from: ["REQUEST_URI": "/"])
        }
        #expect(throws: ParameterDecoding.Failure.missing("REQUEST_URI")) {
            try ParameterDecoding.head(from: ["REQUEST_METHOD": "GET", "REQUEST_URI": "nope"])
        }
    }

    @Test func encodesAResponseHead() {
        var fields = HTTPFields()
        fields[.contentType] = "text/plain"
        fields.append(HTTPField(name: .setCookie, value: "a=1"))
        fields.append(HTTPField(name: .setCookie, value: "b=2"))
        let text = String(decoding: ResponseEncoding.headBytes(HTTPResponse(status: .notFound, headerFields: fields)), as: UTF8.self)
        #expect(text == "Status: 404 Not Found\r\nContent-Type: text/plain\r\nSet-Cookie: a=1\r\nSet-Cookie: b=2\r\n\r\n")
    }

    @Test func framesEveryAnswer() {
        let ok = FastCGIResponse(head: HTTPResponse(status: .ok), body: Array("hello".utf8))
        #expect(ResponseEncoding.framed(ok, method: .get).head.headerFields[.contentLength] == "5")
        let head = ResponseEncoding.framed(ok, method: .head)
        #expect(head.body.isEmpty)
        #expect(head.head.headerFields[.contentLength] == "5")
        let unread = ResponseEncoding.framed(ok, method: nil)
        #expect(unread.body == ok.body && unread.head.headerFields[.contentLength] == "5")
        let empty = ResponseEncoding.framed(FastCGIResponse(head: HTTPResponse(status: .noContent)), method: .post)
        #expect(empty.head.headerFields[.contentLength] == nil)
    }

    /// A header value with CR/LF cannot split the response: swift-http-types replaces them.
    @Test func headerValuesCannotInjectLines() {
        let fields: HTTPFields = [.location: "/x\r\nSet-Cookie: evil=1"]
        let text = String(decoding: ResponseEncoding.headBytes(HTTPResponse(status: .seeOther, headerFields: fields)), as: UTF8.self)
        #expect(!text.contains("\r\nSet-Cookie"))
    }
}

@Suite struct ListeningSocketTests {
    /// A path longer than `sun_path` is refused by name, never cut short (which would bind, or
    /// probe, another path).
    @Test func refusesAPathTooLongForAUnixSocket() {
        let path = "/tmp/" + String(repeating: "v", count: 120) + ".sock"
        #expect { _ = try ListeningSocket(.unixSocket(path: path, mode: 0o600)) } throws: { error in
            "\(error)".contains("too long")
        }
        #expect(!FileManager.default.fileExists(atPath: path))
    }

    /// The socket file of a process still listening is not taken over; a stale one is replaced.
    @Test func replacesOnlyAStaleSocket() throws {
        let path = "/tmp/vestibule-ls-\(getpid()).sock"
        let first = try ListeningSocket(.unixSocket(path: path, mode: 0o600))
        #expect(throws: (any Error).self) { _ = try ListeningSocket(.unixSocket(path: path, mode: 0o600)) }
        _ = Glibc.close(first.fd)  // gone without cleaning up, like a crash
        let second = try ListeningSocket(.unixSocket(path: path, mode: 0o600))
        second.close()
        #expect(!FileManager.default.fileExists(atPath: path))
    }
}

/// `socket` = HOST:PORT: libfcgi's TCP listener, and `FCGI_WEB_SERVER_ADDRS` deciding who may
/// connect, through the real server and a FastCGI request written record by record.
@Suite struct TCPListenerTests {
    struct Fixed: FastCGIResponder {
        func respond(to request: FastCGIRequest) -> FastCGIResponse {
            FastCGIResponse(head: HTTPResponse(status: .ok, headerFields: [.contentType: "text/plain"]), body: Array("hello".utf8))
        }
    }

    static func server(
        port: Int, allowedPeers: Set<String>? = nil, threads: Int = 2, readTimeout: Duration = .seconds(5),
        requestTimeout: Duration = .seconds(30)
    ) throws -> FastCGIServer {
        var logger = Logger(label: "test")
        logger.logLevel = .critical
        let server = FastCGIServer(
            configuration: .init(
                address: .tcp(host: "127.0.0.1", port: port), threads: threads, allowedPeers: allowedPeers,
                readTimeout: readTimeout, requestTimeout: requestTimeout),
            responder: Fixed(), logger: logger)
        try server.start()
        return server
    }

    static func connect(_ port: Int) throws -> Int32 {
        let fd = socket(AF_INET, Int32(SOCK_STREAM.rawValue), 0)
        var address = sockaddr_in()
        address.sin_family = sa_family_t(AF_INET)
        address.sin_port = in_port_t(UInt16(port).bigEndian)
        address.sin_addr.s_addr = inet_addr("127.0.0.1")
        let connected = withUnsafePointer(to: &address) {
            $0.withMemoryRebound(to: sockaddr.self, capacity: 1) { Glibc.connect(fd, $0, socklen_t(MemoryLayout<sockaddr_in>.size)) }
        }
        guard connected == 0 else { throw TestFailure("cannot connect to the listener") }
        return fd
    }

    static let request = record(1, [0, 1, 0, 0, 0, 0, 0, 0])  // BEGIN_REQUEST, responder, no keep-alive
        + record(4, parameters(["REQUEST_METHOD": "GET", "REQUEST_URI": "/", "SERVER_PROTOCOL": "HTTP/1.1"]))
        + record(4, []) + record(5, [])

    /// Starts a server on 127.0.0.1, sends one request, returns what came back ("" when the
    /// server closed the connection without answering).
    func exchange(allowedPeers: Set<String>?) throws -> String {
        let port = PostgresServer.freePort()
        let server = try Self.server(port: port, allowedPeers: allowedPeers)
        defer {
            server.stop()
            server.waitUntilStopped(timeout: .seconds(5))
        }
        return try Self.exchange(on: port)
    }

    /// One request on a new connection; what came back.
    static func exchange(on port: Int) throws -> String {
        let fd = try connect(port)
        defer { Glibc.close(fd) }
        _ = request.withUnsafeBytes { send(fd, $0.baseAddress, $0.count, 0) }
        var timeout = timeval(tv_sec: 5, tv_usec: 0)
        setsockopt(fd, SOL_SOCKET, SO_RCVTIMEO, &timeout, socklen_t(MemoryLayout<timeval>.size))
        var received: [UInt8] = []
        var buffer = [UInt8](repeating: 0, count: 4096)
        while true {
            let count = buffer.withUnsafeMutableBytes { recv(fd, $0.baseAddress, $0.count, 0) }
            if count <= 0 { break }
            received += buffer[0..<count]
        }
        return String(decoding: received, as: UTF8.self)
    }

    static func record(_ type: UInt8, _ content: [UInt8]) -> [UInt8] {
        [1, type, 0, 1, UInt8(content.count >> 8), UInt8(content.count & 0xff), 0, 0] + content
    }

    static func parameters(_ pairs: [String: String]) -> [UInt8] {
        pairs.flatMap { name, value in [UInt8(name.utf8.count), UInt8(value.utf8.count)] + Array(name.utf8) + Array(value.utf8) }
    }

    @Test func aListedOrUnlistedPeerIsServedOrDisconnected() throws {
        #expect(try exchange(allowedPeers: nil).contains("hello"))
        #expect(try exchange(allowedPeers: ["127.0.0.1", "10.0.0.2"]).contains("hello"))
        #expect(try exchange(allowedPeers: ["10.0.0.2"]) == "")
    }

    /// Peers that connect and send nothing, or trickle a request a byte at a time, do not hold
    /// the workers: the read timeout (first record, and between reads) and the bound on reading
    /// a whole request free them, and a real request is served.
    @Test func silentOrTricklingPeersDoNotHoldTheWorkers() throws {
        let port = PostgresServer.freePort()
        let server = try Self.server(port: port, threads: 2, readTimeout: .milliseconds(500), requestTimeout: .seconds(2))
        defer {
            server.stop()
            server.waitUntilStopped(timeout: .seconds(5))
        }
        // One silent, one trickling a byte every 0.3 s (never silent long enough for the read timeout).
        let silent = try Self.connect(port)
        defer { Glibc.close(silent) }
        let trickling = try Self.connect(port)
        defer { Glibc.close(trickling) }
        let trickle = Thread {
            for byte in Self.request.prefix(20) {
                var value = byte
                if send(trickling, &value, 1, Int32(MSG_NOSIGNAL)) < 0 { return }
                usleep(300_000)
            }
        }
        trickle.start()
        // Both workers are taken; the real request is answered once they are let go.
        usleep(100_000)
        #expect(try Self.exchange(on: port).contains("hello"))
        // The trickling peer was cut off: its connection reads end of file.
        var buffer = [UInt8](repeating: 0, count: 64)
        var timeout = timeval(tv_sec: 5, tv_usec: 0)
        setsockopt(trickling, SOL_SOCKET, SO_RCVTIMEO, &timeout, socklen_t(MemoryLayout<timeval>.size))
        #expect(recv(trickling, &buffer, buffer.count, 0) == 0)
    }

    @Test func addressesAreIPv4AndAPort() {
        #expect(ListenAddress.tcp(parsing: "10.0.0.5:9000") == .tcp(host: "10.0.0.5", port: 9000))
        #expect(ListenAddress.tcp(parsing: ":9000") == .tcp(host: "", port: 9000))
        for bad in ["db.example:9000", "10.0.0.5:0", "10.0.0.5:70000", "10.0.0.5", "[::1]:9000", "10.0.0.300:9000"] {
            #expect(ListenAddress.tcp(parsing: bad) == nil, "\(bad)")
        }
        #expect(PeerFilter.parse(" 10.0.0.2 ,10.0.0.3,") == ["10.0.0.2", "10.0.0.3"])
        #expect(PeerFilter.parse("") == nil)
    }
}
