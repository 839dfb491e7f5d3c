import Foundation
import Synchronization

/// nginx running in the foreground on a rendered `NginxSite`.
public final class NginxProcess: Sendable {
    private let process: Process
    public let site: NginxSite

    private init(process: Process, site: NginxSite) {
        self.process = process
        self.site = site
    }

    public struct StartError: Error, CustomStringConvertible {
        public let description: String
    }

    /// `setpriv --pdeathsig`, when there is one (util-linux): nginx gets SIGTERM when the process
    /// that started it dies, even by `kill -9`, instead of living on with the port.
    static let setpriv = ["/usr/bin/setpriv", "/bin/setpriv"].first { FileManager.default.isExecutableFile(atPath: $0) }

    /// Starts nginx and waits until it is up: it wrote its own pid file (it could bind its port;
    /// another nginx answering on the port does not count) and a request through the port reaches
    /// the program (`/api/status` answers, whatever its status).
    /// - Parameter onExit: called if nginx exits before `stop()` asked it to.
    public static func start(_ site: NginxSite, onExit: @escaping @Sendable () -> Void = {}) throws -> NginxProcess {
        try StaleNginx.stop(site)
        let process = Process()
        if let setpriv {
            process.executableURL = URL(fileURLWithPath: setpriv)
            process.arguments = ["--pdeathsig", "TERM", "--", NginxSite.executable] + site.arguments
        } else {
            process.executableURL = URL(fileURLWithPath: NginxSite.executable)
            process.arguments = site.arguments
        }
        process.standardInput = FileHandle.nullDevice
        process.terminationHandler = { _ in onExit() }
        try runOnThreadOfItsOwn(process)
        let deadline = Date().addingTimeInterval(10)
        while Date() < deadline {
            if !process.isRunning {
                let log = (try? String(contentsOfFile: site.errorLogPath, encoding: .utf8)) ?? ""
                throw StartError(description: "nginx did not start:\n\(log.suffix(2000))")
            }
            // Over TLS, the port accepting is the most a plain probe can see.
            let answering = site.tls == nil ? PortProbe.reachesProgram(port: site.port) : PortProbe.accepts(port: site.port)
            if StaleNginx.pid(in: site) == process.processIdentifier, answering {
                return NginxProcess(process: process, site: site)
            }
            usleep(20_000)
        }
        process.terminate()
        throw StartError(description: "nginx did not answer on port \(site.port) within 10 s; see \(site.errorLogPath)")
    }

    /// Linux sends the parent-death signal when the *thread* that started the child ends, not the
    /// process; async code runs on Dispatch worker threads, which end after a few idle seconds
    /// (and took nginx with them, 5 s after `make run` started). So nginx is started from a
    /// thread that lives until nginx exits.
    private static func runOnThreadOfItsOwn(_ process: Process) throws {
        let started = DispatchSemaphore(value: 0)
        let failure = Mutex<(any Error)?>(nil)
        let keeper = Thread {
            do {
                try process.run()
            } catch {
                failure.withLock { $0 = error }
                started.signal()
                return
            }
            started.signal()
            process.waitUntilExit()
        }
        keeper.name = "nginx-parent"
        keeper.start()
        started.wait()
        if let error = failure.withLock({ $0 }) { throw error }
    }

    /// Graceful stop (SIGQUIT: finish open requests), then SIGTERM if it takes over 8 s.
    public func stop() {
        process.terminationHandler = nil
        guard process.isRunning else { return }
        kill(process.processIdentifier, SIGQUIT)
        let deadline = Date().addingTimeInterval(8)
        while process.isRunning && Date() < deadline { usleep(20_000) }
        if process.isRunning { process.terminate() }
        process.waitUntilExit()
    }
}

/// An nginx left running by an earlier start on the same runtime folder (its parent was killed
/// where `setpriv` is missing, or something else started it): stopped before a new one starts, or
/// the new one would fail to bind while the old one answered in its place.
enum StaleNginx {
    /// The pid in the site's pid file, if there is one.
    static func pid(in site: NginxSite) -> Int32? {
        (try? String(contentsOfFile: site.pidPath, encoding: .utf8)).flatMap { Int32($0.trimmingCharacters(in: .whitespacesAndNewlines)) }
    }

    static func stop(_ site: NginxSite) throws {
        guard let pid = pid(in: site) else { return }
        defer { try? FileManager.default.removeItem(atPath: site.pidPath) }
        // Only an nginx running this site's own config: a reused pid is someone else's process.
        guard kill(pid, 0) == 0, let command = try? String(contentsOfFile: "/proc/\(pid)/cmdline", encoding: .utf8),
            command.contains("nginx"), command.contains(site.mainConfigPath)
        else { return }
        FileHandle.standardError.write(Data("vestibule: stopping nginx (pid \(pid)) left running by an earlier start\n".utf8))
        kill(pid, SIGTERM)
        let deadline = Date().addingTimeInterval(5)
        while kill(pid, 0) == 0 && Date() < deadline { usleep(20_000) }
        if kill(pid, 0) == 0 { kill(pid, SIGKILL) }
    }
}

public enum PortProbe {
    /// True when a request on 127.0.0.1:`port` gets an HTTP answer from the program behind nginx
    /// (`/api/status`: the program's JSON, not nginx's 502 page).
    public static func reachesProgram(port: Int) -> Bool {
        let fd = socket(AF_INET, Int32(SOCK_STREAM.rawValue), 0)
        guard fd >= 0 else { return false }
        defer { close(fd) }
        var timeout = timeval(tv_sec: 2, tv_usec: 0)
        setsockopt(fd, SOL_SOCKET, SO_RCVTIMEO, &timeout, socklen_t(MemoryLayout<timeval>.size))
        guard connectLoopback(fd, port: port) else { return false }
        let request = Array("GET /api/status HTTP/1.1\r\nHost: 127.0.0.1\r\nConnection: close\r\n\r\n".utf8)
        guard request.withUnsafeBytes({ send(fd, $0.baseAddress, $0.count, Int32(MSG_NOSIGNAL)) }) == request.count else { return false }
        var answer: [UInt8] = []
        var buffer = [UInt8](repeating: 0, count: 4096)
        while answer.count < 65536 {
            let count = buffer.withUnsafeMutableBytes { recv(fd, $0.baseAddress, $0.count, 0) }
            if count <= 0 { break }
            answer += buffer[0..<count]
        }
        let text = String(decoding: answer, as: UTF8.self)
        return text.hasPrefix("HTTP/1.1 ") && text.contains("\"database\"")
    }

    /// True when something accepts TCP connections on 127.0.0.1:`port`.
    public static func accepts(port: Int) -> Bool {
        let fd = socket(AF_INET, Int32(SOCK_STREAM.rawValue), 0)
        guard fd >= 0 else { return false }
        defer { close(fd) }
        return connectLoopback(fd, port: port)
    }

    private static func connectLoopback(_ fd: Int32, port: Int) -> Bool {
        var address = sockaddr_in()
        address.sin_family = sa_family_t(AF_INET)
        address.sin_port = in_port_t(UInt16(port).bigEndian)
        address.sin_addr.s_addr = inet_addr("127.0.0.1")
        return withUnsafePointer(to: &address) {
            $0.withMemoryRebound(to: sockaddr.self, capacity: 1) {
                Glibc.connect(fd, $0, socklen_t(MemoryLayout<sockaddr_in>.size)) == 0
            }
        }
    }
}
