#if canImport(Glibc)
import Glibc
#endif

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

/// A listening socket set to non-blocking, so that idle workers can wait in `poll` beside a
/// wake-up pipe and leave cleanly on shutdown.
final class ListeningSocket: Sendable {
    let fd: Int32
    private let ownedPath: String?

    init(_ address: ListenAddress, backlog: Int32 = 1024) throws {
        switch address {
        case .inheritedStandardInput:
            fd = 0
            ownedPath = nil
        case .unixSocket(let path, let mode):
            fd = try Self.bindUnixSocket(path: path, mode: mode, backlog: backlog)
            ownedPath = path
        }
        let flags = fcntl(fd, F_GETFL)
        _ = fcntl(fd, F_SETFL, flags | O_NONBLOCK)
    }

    /// Closes the socket; removes the socket file if this process made it.
    func close() {
        if let ownedPath {
            _ = Glibc.close(fd)
            _ = unlink(ownedPath)
        }
    }

    private static func bindUnixSocket(path: String, mode: UInt32, backlog: Int32) throws -> Int32 {
        var address = sockaddr_un()
        address.sun_family = sa_family_t(AF_UNIX)
        let capacity = MemoryLayout.size(ofValue: address.sun_path)
        guard path.utf8.count < capacity else {
            throw SocketError(operation: "socket path is too long:", path: path, code: ENAMETOOLONG)
        }
        try removeStaleSocket(at: path)
        let fd = socket(AF_UNIX, Int32(SOCK_STREAM.rawValue) | Int32(SOCK_CLOEXEC.rawValue), 0)
        guard fd >= 0 else { throw SocketError(operation: "socket", path: path, code: errno) }
        withUnsafeMutableBytes(of: &address.sun_path) { raw in
            raw.copyBytes(from: path.utf8)
        }
        let bound = withUnsafePointer(to: &address) {
            $0.withMemoryRebound(to: sockaddr.self, capacity: 1) {
                bind(fd, $0, socklen_t(MemoryLayout<sockaddr_un>.size))
            }
        }
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

    /// A socket file left behind by a crashed run is removed; anything else at the path is an error.
    private static func removeStaleSocket(at path: String) throws {
        var info = stat()
        guard lstat(path, &info) == 0 else { return }
        guard (info.st_mode & S_IFMT) == S_IFSOCK else {
            throw SocketError(operation: "refusing to replace a non-socket file at", path: path, code: EEXIST)
        }
        _ = unlink(path)
    }
}

/// Waits for a connection on the listening socket or for the stop signal, whichever comes first.
/// One idle worker at a time waits in `poll` (the others wait for the lock), as in libfcgi's own
/// threaded example: a connection wakes one thread, not every idle one.
final class Acceptor: Sendable {
    private let listener: ListeningSocket
    private let wakeRead: Int32
    private let wakeWrite: Int32
    private let turn = SleepingLock()

    init(listener: ListeningSocket) throws {
        self.listener = listener
        var fds: [Int32] = [0, 0]
        guard pipe(&fds) == 0 else {
            throw SocketError(operation: "pipe", path: "", code: errno)
        }
        for fd in fds { _ = fcntl(fd, F_SETFD, FD_CLOEXEC) }
        wakeRead = fds[0]
        wakeWrite = fds[1]
    }

    /// The next accepted connection, or nil once `stop()` was called.
    func next() -> Int32? {
        turn.lock()
        defer { turn.unlock() }
        return waitAndAccept()
    }

    private func waitAndAccept() -> Int32? {
        var polled = [
            pollfd(fd: listener.fd, events: Int16(POLLIN), revents: 0),
            pollfd(fd: wakeRead, events: Int16(POLLIN), revents: 0),
        ]
        while true {
            polled[0].revents = 0
            polled[1].revents = 0
            let ready = poll(&polled, 2, -1)
            if ready < 0 {
                if errno == EINTR { continue }
                return nil
            }
            if polled[1].revents != 0 { return nil }
            guard polled[0].revents != 0 else { continue }
            // The peer may have gone between poll and accept: EAGAIN, wait again.
            // Linux does not carry O_NONBLOCK over to the accepted socket: libfcgi reads it blocking.
            let connection = accept(listener.fd, nil, nil)
            if connection >= 0 {
                _ = fcntl(connection, F_SETFD, FD_CLOEXEC)
                return connection
            }
            switch errno {
            case EAGAIN, EINTR, ECONNABORTED, EPROTO: continue
            case EMFILE, ENFILE, ENOBUFS, ENOMEM:
                // Out of descriptors: back off briefly instead of spinning.
                usleep(10_000)
                continue
            default: return nil
            }
        }
    }

    /// Wakes every waiting worker; the pipe stays readable, so later calls to `next` return nil too.
    func stop() {
        var byte: UInt8 = 1
        _ = write(wakeWrite, &byte, 1)
    }

    func close() {
        _ = Glibc.close(wakeRead)
        _ = Glibc.close(wakeWrite)
    }
}

/// A plain pthread mutex: a waiter sleeps in the kernel at once. The idle workers queue here for
/// their turn to accept; Synchronization's `Mutex` spins first, and fifteen spinning idle threads
/// take the CPU that nginx and the busy workers need.
final class SleepingLock: @unchecked Sendable {
    private let mutex: UnsafeMutablePointer<pthread_mutex_t>

    init() {
        mutex = .allocate(capacity: 1)
        pthread_mutex_init(mutex, nil)
    }

    deinit {
        pthread_mutex_destroy(mutex)
        mutex.deallocate()
    }

    func lock() { pthread_mutex_lock(mutex) }
    func unlock() { pthread_mutex_unlock(mutex) }
}
