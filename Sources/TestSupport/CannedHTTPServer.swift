import Foundation

/// An HTTP server on 127.0.0.1 that answers every request with one canned response (after an
/// optional delay), and counts requests: a vendor's WordPress site, a slow or hostile one.
public final class CannedHTTPServer: @unchecked Sendable {
    public struct Answer: Sendable {
        public var status: Int
        public var headers: [String: String]
        public var body: [UInt8]
        public var delay: TimeInterval

        public init(status: Int = 200, headers: [String: String] = ["Content-Type": "application/json"], body: String = "", delay: TimeInterval = 0) {
            self.status = status
            self.headers = headers
            self.body = Array(body.utf8)
            self.delay = delay
        }
    }

    public let port: Int
    private let fd: Int32
    private let lock = NSLock()
    private var answer: Answer
    private var paths: [String] = []
    private var bodies: [[UInt8]] = []

    public init(_ answer: Answer) throws {
        self.answer = answer
        let fd = socket(AF_INET, Int32(SOCK_STREAM.rawValue), 0)
        var reuse: Int32 = 1
        setsockopt(fd, SOL_SOCKET, SO_REUSEADDR, &reuse, socklen_t(MemoryLayout<Int32>.size))
        var address = sockaddr_in()
        address.sin_family = sa_family_t(AF_INET)
        address.sin_addr.s_addr = inet_addr("127.0.0.1")
        var length = socklen_t(MemoryLayout<sockaddr_in>.size)
        let bound = withUnsafeMutablePointer(to: &address) {
            $0.withMemoryRebound(to: sockaddr.self, capacity: 1) { bind(fd, $0, length) == 0 && getsockname(fd, $0, &length) == 0 }
        }
        guard bound, listen(fd, 64) == 0 else { throw TestFailure("cannot listen") }
        self.fd = fd
        port = Int(UInt16(bigEndian: address.sin_port))
        let thread = Thread { [self] in serve() }
        thread.start()
    }

    /// Stops listening: the accept loop wakes up, closes the socket and ends, and with it the
    /// server. (Closing here instead could hand the descriptor's number to another test's socket
    /// while the loop is about to accept on it.)
    public func stop() {
        shutdown(fd, Int32(SHUT_RDWR))
    }

    public var requestedPaths: [String] {
        lock.lock()
        defer { lock.unlock() }
        return paths
    }

    /// The bodies of the requests served, in order (by Content-Length).
    public var requestBodies: [[UInt8]] {
        lock.lock()
        defer { lock.unlock() }
        return bodies
    }

    public func set(_ answer: Answer) {
        lock.lock()
        self.answer = answer
        lock.unlock()
    }

    private func serve() {
        defer { close(fd) }
        while true {
            let connection = accept(fd, nil, nil)
            if connection < 0 { return }
            Thread { [self] in handle(connection) }.start()
        }
    }

    private func handle(_ connection: Int32) {
        defer { close(connection) }
        var request: [UInt8] = []
        var buffer = [UInt8](repeating: 0, count: 4096)
        while !String(decoding: request, as: UTF8.self).contains("\r\n\r\n") {
            let count = recv(connection, &buffer, buffer.count, 0)
            if count <= 0 { return }
            request += buffer[0..<count]
        }
        let text = String(decoding: request, as: UTF8.self)
        let line = text.split(separator: "\r\n").first ?? ""
        let length = text.split(separator: "\r\n").compactMap { header -> Int? in
            let parts = header.split(separator: ":", maxSplits: 1)
            guard parts.count == 2, parts[0].lowercased() == "content-length" else { return nil }
            return Int(parts[1].trimmingCharacters(in: .whitespaces))
        }.first ?? 0
        let headEnd = (request.firstRange(of: Array("\r\n\r\n".utf8))?.upperBound) ?? request.count
        while request.count - headEnd < length {
            let count = recv(connection, &buffer, buffer.count, 0)
            if count <= 0 { break }
            request += buffer[0..<count]
        }
        lock.lock()
        paths.append(line.split(separator: " ").dropFirst().first.map(String.init) ?? "")
        bodies.append(Array(request[headEnd..<min(request.count, headEnd + length)]))
        let answer = self.answer
        lock.unlock()
        if answer.delay > 0 { Thread.sleep(forTimeInterval: answer.delay) }
        var head = "HTTP/1.1 \(answer.status) Canned\r\nContent-Length: \(answer.body.count)\r\nConnection: close\r\n"
        for (name, value) in answer.headers { head += "\(name): \(value)\r\n" }
        let bytes = Array((head + "\r\n").utf8) + answer.body
        _ = bytes.withUnsafeBytes { send(connection, $0.baseAddress, $0.count, Int32(MSG_NOSIGNAL)) }
    }
}
