import Foundation

/// Fills the shipped `nginx/` files with local paths and a port, and writes a main `nginx.conf`
/// around them, so `make run` and the integration tests run exactly the config integrators copy.
public struct NginxSite: Sendable {
    /// The folder holding the shipped files (`nginx/` in the repository).
    public var sourceDirectory: String
    public var publicDirectory: String
    public var socketPath: String
    /// The provider emulators' socket (the `sandboxSocket` setting): beside `socketPath` by default.
    public var sandboxSocketPath: String
    /// Several nodes (`HOST:PORT` each): the site runs `upstream-cluster.conf` instead of
    /// `upstream.conf`'s one socket.
    public var clusterNodes: [String]?
    /// Where the rendered config, pid, logs and temporary files go.
    public var runtimeDirectory: String
    public var port: Int
    public var workerProcesses: String = "auto"
    /// Set to run `vestibule-tls.conf` (https on `port`, the redirect on `redirectPort`) instead of `vestibule.conf`.
    public var tls: TLS?
    /// Extra files to include in http {} (the benchmark's baseline server).
    public var extraIncludes: [String] = []
    /// Replaces every `rate=...` in http.conf and lifts every `burst=` in locations.conf: the
    /// benchmark measures the program, not the rate limiter, and says so.
    public var rateOverride: String?

    public struct TLS: Sendable {
        public var certificate: String
        public var key: String
        public var redirectPort: Int

        public init(certificate: String, key: String, redirectPort: Int) {
            self.certificate = certificate
            self.key = key
            self.redirectPort = redirectPort
        }
    }

    public init(sourceDirectory: String, publicDirectory: String, socketPath: String, runtimeDirectory: String, port: Int) {
        self.sourceDirectory = sourceDirectory
        self.publicDirectory = publicDirectory
        self.socketPath = socketPath
        sandboxSocketPath = (socketPath as NSString).deletingLastPathComponent + "/vestibule-sandbox.sock"
        self.runtimeDirectory = runtimeDirectory
        self.port = port
    }

    public struct RenderError: Error, CustomStringConvertible {
        public let description: String
    }

    static let sharedFiles = ["http.conf", "locations.conf", "fastcgi-pass.conf", "sandbox-pass.conf", "security-headers.conf"]

    /// The upstream file this site runs.
    var upstreamFile: String { clusterNodes == nil ? "upstream.conf" : "upstream-cluster.conf" }

    /// The server file this site runs.
    var serverFile: String { tls == nil ? "vestibule.conf" : "vestibule-tls.conf" }

    public var configDirectory: String { runtimeDirectory + "/conf" }
    public var mainConfigPath: String { configDirectory + "/nginx.conf" }
    public var pidPath: String { runtimeDirectory + "/nginx.pid" }
    public var errorLogPath: String { runtimeDirectory + "/error.log" }
    public var accessLogPath: String { runtimeDirectory + "/access.log" }

    /// Writes the config; returns the path of the main file to give `nginx -c`.
    @discardableResult
    public func render() throws -> String {
        let manager = FileManager.default
        for directory in [configDirectory, runtimeDirectory + "/tmp"] {
            try manager.createDirectory(atPath: directory, withIntermediateDirectories: true)
        }
        for file in Self.sharedFiles + [upstreamFile, serverFile] {
            let source = try String(contentsOfFile: "\(sourceDirectory)/\(file)", encoding: .utf8)
            try substitute(source, file: file).write(toFile: "\(configDirectory)/\(file)", atomically: true, encoding: .utf8)
        }
        for file in ["fastcgi_params", "mime.types"] {
            let target = "\(configDirectory)/\(file)"
            if !manager.fileExists(atPath: target) {
                guard manager.fileExists(atPath: "/etc/nginx/\(file)") else {
                    throw RenderError(description: "/etc/nginx/\(file) is missing: is nginx installed (apt install nginx)?")
                }
                try manager.copyItem(atPath: "/etc/nginx/\(file)", toPath: target)
            }
        }
        try mainConfig().write(toFile: mainConfigPath, atomically: true, encoding: .utf8)
        return mainConfigPath
    }

    /// The replacements, each of which must be found: a shipped file that drifted fails loudly.
    private func substitute(_ text: String, file: String) throws -> String {
        var replacements: [(String, String)] = [("/etc/nginx/vestibule/", configDirectory + "/")]
        switch file {
        case "vestibule.conf":
            replacements += [("listen 80;", "listen 127.0.0.1:\(port);"), ("listen [::]:80;", "")]
        case "vestibule-tls.conf":
            guard let tls else { break }
            replacements += [
                ("listen 443 ssl http2;", "listen 127.0.0.1:\(port) ssl http2;"), ("listen [::]:443 ssl http2;", ""),
                ("listen 80;", "listen 127.0.0.1:\(tls.redirectPort);"), ("listen [::]:80;", ""),
                ("/etc/letsencrypt/live/login.example.com/fullchain.pem", tls.certificate),
                ("/etc/letsencrypt/live/login.example.com/privkey.pem", tls.key),
            ]
        case "locations.conf":
            replacements.append(("root /srv/vestibule/public;", "root \(publicDirectory);"))
            replacements.append(("/var/log/nginx/vestibule.access.log", accessLogPath))
        case "sandbox-pass.conf":
            replacements.append(("unix:/run/vestibule/vestibule-sandbox.sock", "unix:\(sandboxSocketPath)"))
        case "upstream.conf":
            replacements.append(("unix:/run/vestibule/vestibule.sock", "unix:\(socketPath)"))
        case "upstream-cluster.conf":
            let nodes = (clusterNodes ?? []).map { "    server \($0) max_fails=1 fail_timeout=10s;" }.joined(separator: "\n")
            replacements.append((
                "    server 192.0.2.11:9000 max_fails=1 fail_timeout=10s;   # EDIT: node A\n    server 192.0.2.12:9000 max_fails=1 fail_timeout=10s;   # EDIT: node B",
                nodes))
        case "http.conf" where clusterNodes != nil:
            // Before the folder is replaced below.
            replacements.insert(("vestibule/upstream.conf;", "vestibule/upstream-cluster.conf;"), at: 0)
        default: break
        }
        var result = text
        if file == "http.conf", let rateOverride {
            result = result.replacingOccurrences(of: #"rate=[0-9]+r/[sm]"#, with: "rate=\(rateOverride)", options: .regularExpression)
        }
        if file == "locations.conf", rateOverride != nil {
            result = result.replacingOccurrences(of: #"burst=[0-9]+"#, with: "burst=1000000", options: .regularExpression)
        }
        for (from, to) in replacements where from != "/etc/nginx/vestibule/" || text.contains(from) {
            guard result.contains(from) else {
                throw RenderError(description: "nginx/\(file) no longer contains `\(from)`; update NginxSite")
            }
            result = result.replacingOccurrences(of: from, with: to)
        }
        return result
    }

    private func mainConfig() -> String {
        // As root, nginx's workers would switch to `nobody`, who cannot reach the socket: keep our user.
        let userLine = geteuid() == 0 ? "user root root;\n" : ""
        return """
            # Written by Vestibule from nginx/*.conf; edits are overwritten.
            \(userLine)worker_processes \(workerProcesses);
            pid \(pidPath);
            error_log \(errorLogPath) warn;
            events { worker_connections 1024; }
            http {
                include \(configDirectory)/mime.types;
                default_type application/octet-stream;
                client_body_temp_path \(runtimeDirectory)/tmp/body;
                fastcgi_temp_path \(runtimeDirectory)/tmp/fastcgi;
                proxy_temp_path \(runtimeDirectory)/tmp/proxy;
                uwsgi_temp_path \(runtimeDirectory)/tmp/uwsgi;
                scgi_temp_path \(runtimeDirectory)/tmp/scgi;
                sendfile on;
                keepalive_timeout 65;
                include \(configDirectory)/http.conf;
                include \(configDirectory)/\(serverFile);
            \(extraIncludes.map { "    include \($0);" }.joined(separator: "\n"))
            }

            """
    }

    /// The arguments that run nginx in the foreground on the rendered config.
    public var arguments: [String] {
        ["-p", runtimeDirectory, "-c", mainConfigPath, "-e", errorLogPath, "-g", "daemon off;"]
    }

    public static var executable: String {
        ["/usr/sbin/nginx", "/usr/local/sbin/nginx", "/usr/bin/nginx"].first {
            FileManager.default.isExecutableFile(atPath: $0)
        } ?? "nginx"
    }
}
