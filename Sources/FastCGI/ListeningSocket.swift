import CFastCGI
#if canImport(Glibc)
import Glibc
#endif
import Synchronization

/// Where the server listens: a unix socket it creates at a path, a listening socket it
/// inherited on file descriptor 0 (spawn-fcgi, systemd `StandardInput=socket`), or a TCP port
/// (nodes on other machines than nginx), opened by libfcgi's own `FCGX_OpenSocket`.
public enum ListenAddress: Sendable, Equatable, CustomStringConvertible {
    case unixSocket(path: String, mode: UInt32)
    case inheritedStandardInput
    /// An IPv4 address (empty: every address) and a port, as libfcgi takes them.
    case tcp(host: String, port: Int)

    public var description: String {
        switch self {
        case .unixSocket(let path, _): return "unix:\(path)"
        case .inheritedStandardInput: return "fd 0 (inherited)"
        case .tcp(let host, let port): return "tcp:\(host.isEmpty ? "*" : host):\(port)"
        }
    }

    /// `HOST:PORT` with an IPv4 address or nothing before the colon (`:9000`, every address);
    /// libfcgi listens on IPv4 only, and a host name is not looked up.
    public static func tcp(parsing text: String) -> ListenAddress? {
        guard let colon = text.lastIndex(of: ":") else { return nil }
        let host = String(text[..<colon])
        guard let port = Int(text[text.index(after: colon)...]), (1...65535).contains(port) else { return nil }
        guard host.isEmpty || IPv4.isAddress(host) else { return nil }
        return .tcp(host: host, port: port)
    }

    /// True for a TCP address that only this machine can reach (127.0.0.0/8).
    public var isLoopbackTCP: Bool {
        guard case .tcp(let host, _) = self else { return false }
        return host.hasPrefix("127.")
    }

    /// True when fd 0 is a listening socket, as it is under spawn-fcgi and systemd socket activation.
    public static var standardInputIsListeningSocket: Bool {
        var accepting: Int32 = 0
        var length = socklen_t(MemoryLayout<Int32>.size)
        return getsockopt(0, SOL_SOCKET, SO_ACCEPTCONN, &accepting, &length) == 0 && accepting != 0
    }
}

public struct SocketError: Error, CustomStringConvertible {
    public let operation: String
    public let path: String
    public let code: Int32

    public var description: String {
        "\(operation) \(path): \(String(cString: strerror(code)))"
    }
}

/// A listening socket in blocking mode with a receive timeout: idle workers block in `accept`
/// (Linux wakes one of them per connection) and come up for air every `acceptTimeout` to see
/// whether the server is stopping.
final class ListeningSocket: Sendable {
    static let acceptTimeout = timeval(tv_sec: 0, tv_usec: 250_000)

    let fd: Int32
    private let ownedPath: String?
    /// The socket file this process made (device, inode): at exit it removes that file only, not
    /// one a newer instance has made at the same path meanwhile.
    private let ownedFile: (device: UInt, inode: UInt)?

    init(_ address: ListenAddress, backlog: Int32 = 1024) throws {
        switch address {
        case .inheritedStandardInput:
            fd = 0
            ownedPath = nil
            ownedFile = nil
        case .tcp(let host, let port):
            // libfcgi's listener (SO_REUSEADDR, IPv4); accepting stays with the workers.
            fd = FCGX_OpenSocket("\(host):\(port)", backlog)
            guard fd >= 0 else { throw SocketError(operation: "listen on", path: "\(host):\(port)", code: errno) }
            _ = fcntl(fd, F_SETFD, FD_CLOEXEC)
            ownedPath = nil
            ownedFile = nil
        case .unixSocket(let path, let mode):
            fd = try Self.bindUnixSocket(path: path, mode: mode, backlog: backlog)
            ownedPath = path
            ownedFile = Self.identity(of: path)
        }
        let flags = fcntl(fd, F_GETFL)
        _ = fcntl(fd, F_SETFL, flags & ~O_NONBLOCK)
        // accept(2) honours SO_RCVTIMEO on Linux: it returns EAGAIN when the time is up.
        var timeout = Self.acceptTimeout
        _ = setsockopt(fd, SOL_SOCKET, SO_RCVTIMEO, &timeout, socklen_t(MemoryLayout<timeval>.size))
    }

    /// Closes the socket (not an inherited one, which systemd may hand to the next start); removes
    /// the socket file if this process made it and it is still there.
    func close() {
        guard fd != 0 else { return }
        _ = Glibc.close(fd)
        guard let ownedPath else { return }
        if let ownedFile, let current = Self.identity(of: ownedPath), current == ownedFile {
            _ = unlink(ownedPath)
        }
    }

    private static func identity(of path: String) -> (device: UInt, inode: UInt)? {
        var info = stat()
        guard lstat(path, &info) == 0 else { return nil }
        return (UInt(info.st_dev), UInt(info.st_ino))
    }

    /// Calls `body` with the `sockaddr_un` of `path` (checked to fit, NUL-terminated).
    private static func withUnixAddress<T>(
        _ path: String, _ body: (UnsafePointer<sockaddr>, socklen_t) -> T
    ) throws -> T {
        var address = sockaddr_un()
        address.sun_family = sa_family_t(AF_UNIX)
        guard path.utf8.count < MemoryLayout.size(ofValue: address.sun_path) else {
            throw SocketError(operation: "socket path is too long:", path: path, code: ENAMETOOLONG)
        }
        withUnsafeMutableBytes(of: &address.sun_path) { raw in raw.copyBytes(from: path.utf8) }
        return withUnsafePointer(to: &address) {
            $0.withMemoryRebound(to: sockaddr.self, capacity: 1) { body($0, socklen_t(MemoryLayout<sockaddr_un>.size)) }
        }
    }

    private static func bindUnixSocket(path: String, mode: UInt32, backlog: Int32) throws -> Int32 {
        _ = try withUnixAddress(path) { _, _ in () }  // the length check, before anything is touched
        try removeStaleSocket(at: path)
        let fd = socket(AF_UNIX, Int32(SOCK_STREAM.rawValue) | Int32(SOCK_CLOEXEC.rawValue), 0)
        guard fd >= 0 else { throw SocketError(operation: "socket", path: path, code: errno) }
        let bound = try withUnixAddress(path) { address, length in bind(fd, address, length) }
        guard bound == 0 else {
            let code = errno
            _ = Glibc.close(fd)
            throw SocketError(operation: "bind", path: path, code: code)
        }
        _ = chmod(path, mode_t(mode))
        guard listen(fd, backlog) == 0 else {
            let code = errno
            _ = Glibc.close(fd)
            throw SocketError(operation: "listen", path: path, code: code)
        }
        return fd
    }

    /// A socket file left behind by a crashed run is removed; one that another process still
    /// listens on, or anything that is not a socket, is an error.
    private static func removeStaleSocket(at path: String) throws {
        var info = stat()
        guard lstat(path, &info) == 0 else { return }
        guard (info.st_mode & S_IFMT) == S_IFSOCK else {
            throw SocketError(operation: "refusing to replace a non-socket file at", path: path, code: EEXIST)
        }
        guard try !isListening(path) else {
            throw SocketError(operation: "another process is listening at", path: path, code: EADDRINUSE)
        }
        _ = unlink(path)
    }

    private static func isListening(_ path: String) throws -> Bool {
        let probe = socket(AF_UNIX, Int32(SOCK_STREAM.rawValue), 0)
        guard probe >= 0 else { return false }
        defer { _ = Glibc.close(probe) }
        return try withUnixAddress(path) { address, length in connect(probe, address, length) == 0 }
    }
}

/// Hands out connections until the server stops. Every idle worker blocks in `accept` at once:
/// the kernel wakes one per connection (no thundering herd), so no lock or `poll` is needed, and
/// a stop is seen within `ListeningSocket.acceptTimeout`.
final class Acceptor: Sendable {
    private let listener: ListeningSocket
    private let peers: PeerFilter
    private let stopping = Atomic<Bool>(false)

    init(listener: ListeningSocket, peers: PeerFilter = PeerFilter(allowed: nil)) {
        self.listener = listener
        self.peers = peers
    }

    /// The next accepted connection, or nil once `stop()` was called.
    func next() -> Int32? {
        while !stopping.load(ordering: .acquiring) {
            // Linux does not carry O_NONBLOCK or the timeout over to the accepted socket.
            let connection = accept(listener.fd, nil, nil)
            if connection >= 0 {
                guard peers.admits(connection) else {
                    _ = Glibc.close(connection)
                    continue
                }
                // Accepted, even in the instant of stopping: it is served, the drain waits for it.
                _ = fcntl(connection, F_SETFD, FD_CLOEXEC)
                return connection
            }
            switch errno {
            case EAGAIN, EINTR, ECONNABORTED, EPROTO: continue
            case EBADF, ENOTSOCK, EINVAL: return nil  // the listening socket itself is gone
            default:
                // Out of descriptors, or a network error passed on by accept: back off, retry.
                usleep(10_000)
                continue
            }
        }
        return nil
    }

    /// Idle workers return from `next` within the accept timeout; busy ones finish first.
    func stop() {
        stopping.store(true, ordering: .releasing)
    }
}

/// The web servers allowed to connect over TCP: libfcgi's `FCGI_WEB_SERVER_ADDRS` rule (a
/// comma-separated list of IPv4 addresses; a peer not on it is disconnected at once). libfcgi
/// applies it only in its own accept, and our workers accept themselves, so it is applied here,
/// with libfcgi's semantics. Unix-socket peers are not filtered (file modes guard the socket).
public struct PeerFilter: Sendable {
    /// nil: every peer (no list given).
    let allowed: Set<String>?

    public init(allowed: Set<String>?) {
        self.allowed = allowed
    }

    /// `FCGI_WEB_SERVER_ADDRS` as libfcgi reads it; nil when unset or empty.
    public static func parse(_ value: String?) -> Set<String>? {
        guard let value else { return nil }
        let addresses = value.split(separator: ",").map { $0.trimmingWhitespace() }.filter { !$0.isEmpty }
        return addresses.isEmpty ? nil : Set(addresses)
    }

    func admits(_ connection: Int32) -> Bool {
        guard let allowed else { return true }
        var address = sockaddr_in()
        var length = socklen_t(MemoryLayout<sockaddr_in>.size)
        let found = withUnsafeMutablePointer(to: &address) {
            $0.withMemoryRebound(to: sockaddr.self, capacity: 1) { getpeername(connection, $0, &length) }
        }
        guard found == 0, address.sin_family == sa_family_t(AF_INET) else { return true }
        return allowed.contains(IPv4.text(address.sin_addr))
    }
}

/// Dotted-quad IPv4 text, without a resolver.
public enum IPv4 {
    public static func isAddress(_ text: String) -> Bool {
        var address = in_addr()
        return inet_pton(AF_INET, text, &address) == 1
    }

    static func text(_ address: in_addr) -> String {
        var copy = address
        var buffer = [CChar](repeating: 0, count: Int(INET_ADDRSTRLEN))
        guard inet_ntop(AF_INET, &copy, &buffer, socklen_t(buffer.count)) != nil else { return "" }
        return String(decoding: buffer.prefix { $0 != 0 }.map { UInt8(bitPattern: $0) }, as: UTF8.self)
    }
}

extension Substring {
    func trimmingWhitespace() -> String {
        String(drop { $0 == " " || $0 == "\t" }.reversed().drop { $0 == " " || $0 == "\t" }.reversed())
    }
}
