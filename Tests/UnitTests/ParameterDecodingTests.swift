import Foundation
import HTTPTypes
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
