#if canImport(Glibc)
import Glibc
#endif
import Synchronization

/// Where the server listens: a unix socket it creates at a path, or a listening socket it
/// inherited on file descriptor 0 (spawn-fcgi, systemd `StandardInput=socket`).
public enum ListenAddress: Sendable, Equatable, CustomStringConvertible {
    case unixSocket(path: String, mode: UInt32)
    case inheritedStandardInput

    public var description: String {
        switch self {
        case .unixSocket(let path, _): return "unix:\(path)"
        case .inheritedStandardInput: return "fd 0 (inherited)"
        }
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

    /// Closes the socket; removes the socket file if this process made it and it is still there.
    func close() {
        guard let ownedPath else { return }
        _ = Glibc.close(fd)
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
    private let stopping = Atomic<Bool>(false)

    init(listener: ListeningSocket) {
        self.listener = listener
    }

    /// The next accepted connection, or nil once `stop()` was called.
    func next() -> Int32? {
        while !stopping.load(ordering: .acquiring) {
            // Linux does not carry O_NONBLOCK or the timeout over to the accepted socket.
            let connection = accept(listener.fd, nil, nil)
            if connection >= 0 {
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
