import Foundation

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

    /// Starts nginx and waits until its port answers.
    /// - Parameter onExit: called if nginx exits before `stop()` asked it to.
    public static func start(_ site: NginxSite, onExit: @escaping @Sendable () -> Void = {}) throws -> NginxProcess {
        let process = Process()
        process.executableURL = URL(fileURLWithPath: NginxSite.executable)
        process.arguments = site.arguments
        process.standardInput = FileHandle.nullDevice
        process.terminationHandler = { _ in onExit() }
        try process.run()
        let deadline = Date().addingTimeInterval(10)
        while Date() < deadline {
            if !process.isRunning {
                let log = (try? String(contentsOfFile: site.errorLogPath, encoding: .utf8)) ?? ""
                throw StartError(description: "nginx did not start:\n\(log.suffix(2000))")
            }
            if PortProbe.isOpen(port: site.port) { return NginxProcess(process: process, site: site) }
            usleep(20_000)
        }
        process.terminate()
        throw StartError(description: "nginx did not listen on port \(site.port) within 10 s; see \(site.errorLogPath)")
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

public enum PortProbe {
    /// True when something accepts TCP connections on 127.0.0.1:`port`.
    public static func isOpen(port: Int) -> Bool {
        let fd = socket(AF_INET, Int32(SOCK_STREAM.rawValue), 0)
        guard fd >= 0 else { return false }
        defer { close(fd) }
        var address = sockaddr_in()
        address.sin_family = sa_family_t(AF_INET)
        address.sin_port = in_port_t(UInt16(port).bigEndian)
        address.sin_addr.s_addr = inet_addr("127.0.0.1")
        return withUnsafePointer(to: &address) {
            $0.withMemoryRebound(to: sockaddr.self, capacity: 1) {
                connect(fd, $0, socklen_t(MemoryLayout<sockaddr_in>.size)) == 0
            }
        }
    }
}
