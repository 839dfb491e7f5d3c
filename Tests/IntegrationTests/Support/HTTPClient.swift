import Foundation
import TestSupport

/// A small HTTP/1.1 client over a plain TCP socket (one request per connection), so tests see
/// exactly what nginx sent: every header line, duplicates included, and redirects unfollowed.
struct HTTPClient: Sendable {
    let port: Int
    /// The loopback address requests come from (all of 127.0.0.0/8 is this machine): nginx then
    /// sees another client address, as requests from another machine would have.
    var from: String = "127.0.0.1"

    struct Response: Sendable {
        let status: Int
        let headers: [(name: String, value: String)]
        let body: [UInt8]

        var text: String { String(decoding: body, as: UTF8.self) }

        func header(_ name: String) -> String? {
            headers.first { $0.name.lowercased() == name.lowercased() }?.value
        }

        func headers(_ name: String) -> [String] {
            headers.filter { $0.name.lowercased() == name.lowercased() }.map(\.value)
        }

        func json() throws -> [String: Any] {
            try JSONSerialization.jsonObject(with: Data(body)) as? [String: Any] ?? [:]
        }

        /// The CSRF token of a page's `<meta name="csrf-token">`.
        var csrfToken: String? {
            guard let range = text.range(of: "<meta name=\"csrf-token\" content=\"") else { return nil }
            return String(text[range.upperBound...].prefix { $0 != "\"" })
        }
    }

    func request(
        _ method: String, _ path: String, headers: [String: String] = [:], body: [UInt8] = [],
        timeout: TimeInterval = 30
    ) throws -> Response {
        let fd = try connect(timeout: timeout)
        defer { close(fd) }
        var head = "\(method) \(path) HTTP/1.1\r\nHost: 127.0.0.1:\(port)\r\nConnection: close\r\n"
        for (name, value) in headers { head += "\(name): \(value)\r\n" }
        if !body.isEmpty || ["POST", "PUT", "PATCH", "DELETE"].contains(method) {
            head += "Content-Length: \(body.count)\r\n"
        }
        head += "\r\n"
        try send(fd, Array(head.utf8) + body)
        return try parse(receiveAll(fd))
    }

    /// Sends `bytes` as they are (a malformed request, say); the answer.
    func raw(_ bytes: [UInt8]) throws -> Response {
        let fd = try connect()
        defer { close(fd) }
        try send(fd, bytes)
        return try parse(receiveAll(fd))
    }

    func form(_ path: String, _ fields: String, headers: [String: String] = [:]) throws -> Response {
        try request("POST", path, headers: headers.merging(["Content-Type": "application/x-www-form-urlencoded"]) { a, _ in a }, body: Array(fields.utf8))
    }

    func connect(timeout: TimeInterval = 30) throws -> Int32 {
        let fd = socket(AF_INET, Int32(SOCK_STREAM.rawValue), 0)
        var address = sockaddr_in()
        address.sin_family = sa_family_t(AF_INET)
        address.sin_port = in_port_t(UInt16(port).bigEndian)
        address.sin_addr.s_addr = inet_addr("127.0.0.1")
        var limit = timeval(tv_sec: Int(timeout), tv_usec: 0)
        setsockopt(fd, SOL_SOCKET, SO_RCVTIMEO, &limit, socklen_t(MemoryLayout<timeval>.size))
        if from != "127.0.0.1" {
            var source = sockaddr_in()
            source.sin_family = sa_family_t(AF_INET)
            source.sin_addr.s_addr = inet_addr(from)
            let bound = withUnsafePointer(to: &source) {
                $0.withMemoryRebound(to: sockaddr.self, capacity: 1) { bind(fd, $0, socklen_t(MemoryLayout<sockaddr_in>.size)) }
            }
            guard bound == 0 else {
                close(fd)
                throw TestFailure("cannot send from \(from)")
            }
        }
        let connected = withUnsafePointer(to: &address) {
            $0.withMemoryRebound(to: sockaddr.self, capacity: 1) { Glibc.connect(fd, $0, socklen_t(MemoryLayout<sockaddr_in>.size)) }
        }
        guard connected == 0 else {
            close(fd)
            throw TestFailure("cannot connect to 127.0.0.1:\(port)")
        }
        return fd
    }

    func send(_ fd: Int32, _ bytes: [UInt8]) throws {
        var sent = 0
        while sent < bytes.count {
            let count = bytes[sent...].withUnsafeBytes { Glibc.send(fd, $0.baseAddress, $0.count, Int32(MSG_NOSIGNAL)) }
            // nginx may answer (413) and close before the whole body is sent: stop, then read its answer.
            if count <= 0 { return }
            sent += count
        }
    }

    /// Reads one response: to the end of its Content-Length or last chunk, or to EOF without either
    /// (a peer may keep the connection open despite `Connection: close`).
    private func receiveAll(_ fd: Int32) throws -> [UInt8] {
        var data: [UInt8] = []
        var buffer = [UInt8](repeating: 0, count: 65536)
        while !Self.isComplete(data) {
            let count = recv(fd, &buffer, buffer.count, 0)
            if count < 0 {
                if data.isEmpty { throw TestFailure("no answer (errno \(errno))") }
                break
            }
            if count == 0 { break }
            data += buffer[0..<count]
        }
        return data
    }

    static func isComplete(_ data: [UInt8]) -> Bool {
        let separator: [UInt8] = [13, 10, 13, 10]
        guard let end = data.indices.first(where: { data[$0...].starts(with: separator) }) else { return false }
        let head = String(decoding: data[..<end], as: UTF8.self).lowercased()
        let bodyLength = data.count - end - 4
        if let line = head.components(separatedBy: "\r\n").first(where: { $0.hasPrefix("content-length:") }),
            let length = Int(line.dropFirst("content-length:".count).trimmingCharacters(in: .whitespaces))
        {
            return bodyLength >= length
        }
        if head.contains("transfer-encoding: chunked") {
            return data.suffix(5).elementsEqual(Array("0\r\n\r\n".utf8))
        }
        let status = head.split(separator: " ").dropFirst().first.flatMap { Int($0) } ?? 0
        return status == 204 || status == 304 || (100..<200).contains(status)
    }

    private func parse(_ data: [UInt8]) throws -> Response {
        let separator: [UInt8] = [13, 10, 13, 10]
        guard let end = data.indices.first(where: { data[$0...].starts(with: separator) }) else {
            throw TestFailure("malformed response: \(String(decoding: data.prefix(200), as: UTF8.self))")
        }
        let lines = String(decoding: data[..<end], as: UTF8.self).components(separatedBy: "\r\n")
        let statusParts = lines[0].split(separator: " ")
        guard statusParts.count >= 2, let status = Int(statusParts[1]) else { throw TestFailure("bad status line \(lines[0])") }
        let headers = lines.dropFirst().compactMap { line -> (String, String)? in
            guard let colon = line.firstIndex(of: ":") else { return nil }
            return (String(line[..<colon]), String(line[line.index(after: colon)...]).trimmingCharacters(in: .whitespaces))
        }
        var body = Array(data[(end + 4)...])
        if headers.contains(where: { $0.0.lowercased() == "transfer-encoding" && $0.1.lowercased().contains("chunked") }) {
            body = try dechunk(body)
        }
        return Response(status: status, headers: headers, body: body)
    }

    private func dechunk(_ data: [UInt8]) throws -> [UInt8] {
        var out: [UInt8] = []
        var index = 0
        while index < data.count {
            guard let lineEnd = data[index...].indices.first(where: { data[$0] == 13 }) else { break }
            let sizeText = String(decoding: data[index..<lineEnd], as: UTF8.self).split(separator: ";")[0]
            guard let size = Int(sizeText, radix: 16) else { throw TestFailure("bad chunk size") }
            if size == 0 { break }
            let start = lineEnd + 2
            out += data[start..<min(data.count, start + size)]
            index = start + size + 2
        }
        return out
    }
}

/// A browser's cookie jar, enough for one site: name → value, updated from Set-Cookie.
final class CookieJar: @unchecked Sendable {
    var cookies: [String: String] = [:]

    func absorb(_ response: HTTPClient.Response) {
        for header in response.headers("Set-Cookie") {
            let pair = header.split(separator: ";")[0].split(separator: "=", maxSplits: 1, omittingEmptySubsequences: false)
            let name = String(pair[0])
            let value = pair.count > 1 ? String(pair[1]) : ""
            if header.contains("Max-Age=0") { cookies[name] = nil } else { cookies[name] = value }
        }
    }

    var header: [String: String] {
        cookies.isEmpty ? [:] : ["Cookie": cookies.map { "\($0.key)=\($0.value)" }.sorted().joined(separator: "; ")]
    }
}
