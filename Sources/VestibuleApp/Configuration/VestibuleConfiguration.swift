import Configuration
import FastCGI
import Features
import Foundation
import Logging
import Outbound
import Providers
import Sandbox
import StoragePostgres
import SystemPackage
import Web

/// Every setting, validated at start. Read from a JSON file (`--config`, `VESTIBULE_CONFIG`, or
/// `vestibule.json` in the working directory when present) and `VESTIBULE_*` environment
/// variables, which win. `docs/configuration.md` lists the keys; keep it in step with `load`.
public struct VestibuleConfiguration: Sendable {
    /// The address people type: scheme, host and port. Decides `Secure` cookies and HSTS.
    public var publicURL: PublicURL
    public var listen: ListenAddress
    /// The provider emulators' own FastCGI socket (sandbox only), beside the program's.
    public var sandboxSocket: String
    public var threads: Int
    public var maxBodySize: Int
    /// Over TCP, the web servers allowed to connect: `FCGI_WEB_SERVER_ADDRS`, as libfcgi reads it.
    public var allowedPeers: Set<String>?
    public var database: DatabaseLocation
    public var templatesPath: String
    public var secretKeyFile: String
    /// Mounts the provider emulators and test aids. Development and tests only.
    public var sandbox: Bool
    public var logLevel: Logger.Level
    public var session: SessionSettings
    /// The port `vestibule dev` gives nginx.
    public var httpPort: Int
    public var trezor: TrezorSettings
    /// Trustee sign-in as configured; `trusteeInEffect` is what the program uses.
    public var trustee: TrusteeSettings
    public var regulation: RegulationSettings
    public var trustedLogin: TrustedLoginSettings
    /// Outbound requests may reach loopback and private networks: development and tests only.
    public var allowPrivateNetworks: Bool
    /// Outbound calls in flight at once, in all and per team: the excess is a 503 at once.
    public var outboundMaxInFlight: Int
    public var outboundMaxInFlightPerTeam: Int

    /// Trustee as the program uses it: with the sandbox on and no endpoint set, the emulator
    /// behind this site's own nginx (at the public URL, which `dev` may still change), with its key.
    public var trusteeInEffect: TrusteeSettings {
        var settings = trustee
        if settings.endpoint == nil, sandbox {
            settings.endpoint = publicURL.origin + "/sandbox/trustee/graphql"
            settings.merchantWebKey = settings.merchantWebKey ?? TrusteeEmulator.merchantWebKey
        }
        return settings
    }

    public static let defaultDatabasePath = "var/vestibule.sqlite"
    public static let defaultSocketPath = "var/vestibule.sock"

    /// - Parameters:
    ///   - configFile: an explicit file (must exist); nil uses `VESTIBULE_CONFIG` or `./vestibule.json` if present.
    ///   - developmentDefaults: the `dev` command's defaults, which the configuration may override:
    ///     the sandbox on, and outbound requests allowed to this machine (where `dev` runs the
    ///     vendor sites and provider emulators).
    public static func load(
        environment: [String: String] = ProcessInfo.processInfo.environment, configFile: String? = nil,
        developmentDefaults: Bool = false
    ) async throws -> VestibuleConfiguration {
        let filePath = configFile ?? environment["VESTIBULE_CONFIG"]
            ?? (FileManager.default.fileExists(atPath: "vestibule.json") ? "vestibule.json" : nil)
        var file: (provider: any ConfigProvider, path: String)?
        if let filePath {
            guard FileManager.default.fileExists(atPath: filePath) else {
                throw ConfigurationError(key: "config file", source: nil, problem: "\(filePath) does not exist")
            }
            do {
                file = (try await FileProvider<JSONSnapshot>(filePath: FilePath(filePath)), filePath)
            } catch {
                throw ConfigurationError(key: "config file", source: nil, problem: "\(filePath) is not valid JSON: \(error)")
            }
        }
        let reader = SettingsReader(environment: environment, file: file)
        let configuration = try read(reader, developmentDefaults: developmentDefaults)
        if let filePath {
            let unknown = try SettingsReader.leafKeys(ofJSONFile: filePath).filter { !reader.keysRead.contains($0) }
            if let first = unknown.first {
                throw ConfigurationError(
                    key: first, source: "in \(filePath)",
                    problem: "is not a setting Vestibule knows; see docs/configuration.md")
            }
        }
        return configuration
    }

    private static func read(_ reader: SettingsReader, developmentDefaults: Bool) throws -> VestibuleConfiguration {
        let publicURL = try reader.parsed(
            "publicURL", default: PublicURL(string: "http://127.0.0.1:8080")!,
            expected: "an http or https URL with a host and no path, like https://login.example.com",
            PublicURL.init(string:))
        let socket = try reader.string("socket", default: "")
        let socketMode = try reader.parsed(
            "socketMode", default: UInt32(0o660), expected: "an octal file mode like 0660") {
                UInt32($0, radix: 8).flatMap { $0 <= 0o777 ? $0 : nil }
            }
        let listen: ListenAddress
        switch socket {
        case "fd:0": listen = .inheritedStandardInput
        case "": listen = ListenAddress.standardInputIsListeningSocket
            ? .inheritedStandardInput : .unixSocket(path: defaultSocketPath, mode: socketMode)
        case let text where !text.contains("/") && text.contains(":"):
            guard let tcp = ListenAddress.tcp(parsing: text) else {
                throw ConfigurationError(
                    key: "socket", source: nil,
                    problem: "must be a socket path, fd:0, or IPv4-ADDRESS:PORT (like 10.0.0.5:9000, or :9000 for every address)")
            }
            listen = tcp
        default: listen = .unixSocket(path: socket, mode: socketMode)
        }
        let allowedPeers = try readAllowedPeers(reader, listen: listen)
        // The emulators' socket sits beside the program's.
        var sandboxDefault = "var/vestibule-sandbox.sock"
        if case .unixSocket(let path, _) = listen {
            let directory = (path as NSString).deletingLastPathComponent
            sandboxDefault = directory.isEmpty ? "vestibule-sandbox.sock" : directory + "/vestibule-sandbox.sock"
        }
        let sandbox = try reader.bool("sandbox", default: developmentDefaults)
        let idle = try reader.int("session.idleTimeout", default: 8 * 3600, in: 60...(90 * 86400))
        let absolute = try reader.int("session.absoluteTimeout", default: 7 * 86400, in: 60...(365 * 86400))
        let threads = try reader.int("threads", default: 16, in: 1...256)
        let maxInFlight = try reader.int("outbound.maxInFlight", default: OutboundGate.share(ofThreads: threads), in: 1...threads)
        guard absolute >= idle else {
            throw ConfigurationError(
                key: "session.absoluteTimeout", source: nil, problem: "must not be shorter than session.idleTimeout")
        }
        return VestibuleConfiguration(
            publicURL: publicURL,
            listen: listen,
            sandboxSocket: try nonEmpty(reader, "sandboxSocket", default: sandboxDefault),
            threads: threads,
            maxBodySize: try reader.int("maxBodySize", default: 1 << 20, in: 1024...(64 << 20)),
            allowedPeers: allowedPeers,
            database: try readDatabase(reader),
            templatesPath: try nonEmpty(reader, "templates", default: "templates"),
            secretKeyFile: try nonEmpty(reader, "secretKeyFile", default: "var/secret.key"),
            sandbox: sandbox,
            logLevel: try reader.parsed(
                "logLevel", default: .info, expected: "one of trace, debug, info, notice, warning, error, critical",
                Logger.Level.init(rawValue:)),
            session: SessionSettings(
                idleTimeout: TimeInterval(idle), absoluteTimeout: TimeInterval(absolute),
                secureCookies: publicURL.isHTTPS),
            httpPort: try reader.int("http.port", default: 8080, in: 1...65535),
            trezor: try readTrezor(reader, publicURL: publicURL),
            trustee: try readTrustee(reader),
            regulation: RegulationSettings(
                maxFailures: try reader.int("regulation.maxFailures", default: 3, in: 1...1_000_000),
                findTime: TimeInterval(try reader.int("regulation.findTime", default: 120, in: 1...86400)),
                banTime: TimeInterval(try reader.int("regulation.banTime", default: 300, in: 1...(30 * 86400)))),
            trustedLogin: TrustedLoginSettings(
                envelopeSigning: try reader.bool("trustedlogin.envelopeSigning", default: true),
                loginAttemptsPerSecret: try reader.int("trustedlogin.loginAttemptsPerSecret", default: 10, in: 1...1_000_000),
                loginAttemptsPerTeam: try reader.int("trustedlogin.loginAttemptsPerTeam", default: 100, in: 1...1_000_000),
                loginAttemptsWindow: TimeInterval(try reader.int("trustedlogin.loginAttemptsWindow", default: 60, in: 1...86400)),
                logRetentionDays: try reader.int("trustedlogin.logRetentionDays", default: 90, in: 1...3650),
                acceptApiKeyInQuery: try reader.bool("trustedlogin.acceptApiKeyInQuery", default: false)),
            allowPrivateNetworks: try reader.bool("outbound.allowPrivateNetworks", default: developmentDefaults),
            outboundMaxInFlight: maxInFlight,
            outboundMaxInFlightPerTeam: try reader.int("outbound.maxInFlightPerTeam", default: min(2, maxInFlight), in: 1...maxInFlight))
    }

    private static func readTrezor(_ reader: SettingsReader, publicURL: PublicURL) throws -> TrezorSettings {
        let script = try reader.parsed(
            "trezor.connectScriptURL", default: "https://connect.trezor.io/9/trezor-connect.js",
            expected: "an https URL (http only for 127.0.0.1 or localhost)") { text -> String? in
                guard let url = URLComponents(string: text), let host = url.host, !host.isEmpty else { return nil }
                let local = host == "127.0.0.1" || host == "localhost"
                return url.scheme == "https" || (url.scheme == "http" && local) ? text : nil
            }
        let email = try reader.parsed(
            "trezor.manifestEmail", default: "webmaster@\(publicURL.host)", expected: "an email address") {
                $0.contains("@") && !$0.contains(" ") && $0.utf8.count <= 254 ? $0 : nil
            }
        return TrezorSettings(
            connectScriptURL: script, manifestEmail: email,
            manifestAppName: try nonEmpty(reader, "trezor.manifestAppName", default: "Vestibule"),
            manifestAppURL: publicURL.origin,
            challengeLifetime: TimeInterval(try reader.int("trezor.challengeLifetime", default: 300, in: 30...3600)))
    }

    /// Trustee's settings (docs/trustee.md).
    private static func readTrustee(_ reader: SettingsReader) throws -> TrusteeSettings {
        var endpoint: String? = try reader.parsed(
            "trustee.endpoint", default: "", expected: "an http or https URL") { text -> String? in
                guard let url = URLComponents(string: text), let scheme = url.scheme?.lowercased(),
                    scheme == "http" || scheme == "https", let host = url.host, !host.isEmpty, url.user == nil
                else { return nil }
                return text
            }
        if endpoint == "" { endpoint = nil }
        let key = try secret(reader, "trustee.merchantWebKey")
        let codes = TrusteeStatusCodes.defaults
        func list(_ name: String, _ fallback: [String]) throws -> [String] {
            let text = try reader.string("trustee.statusCodes.\(name)", default: fallback.joined(separator: ","))
            let values = text.split(separator: ",").map { $0.trimmingCharacters(in: .whitespaces) }.filter { !$0.isEmpty }
            guard !values.isEmpty else {
                throw ConfigurationError(key: "trustee.statusCodes.\(name)", source: nil, problem: "must list at least one code (comma-separated)")
            }
            return values
        }
        let template = try reader.string("trustee.linkTemplate", default: "")
        return TrusteeSettings(
            endpoint: endpoint, merchantWebKey: key,
            requestType: try nonEmpty(reader, "trustee.requestType", default: "login"),
            linkField: try nonEmpty(reader, "trustee.linkField", default: "link"),
            linkTemplate: template.isEmpty ? nil : template,
            statusCodes: TrusteeStatusCodes(
                pending: try list("pending", codes.pending), approved: try list("approved", codes.approved),
                denied: try list("denied", codes.denied), expired: try list("expired", codes.expired)),
            checkInterval: TimeInterval(try reader.int("trustee.checkInterval", default: 2, in: 1...60)),
            attemptLifetime: TimeInterval(try reader.int("trustee.attemptLifetime", default: 300, in: 30...3600)))
    }

    /// A secret given as `KEY` or in the file `KEY + "File"` (not both); nil when neither is set.
    /// The value never appears in a message.
    private static func secret(_ reader: SettingsReader, _ key: String) throws -> String? {
        let value = try reader.string(key, default: "")
        let file = try reader.string(key + "File", default: "")
        if !value.isEmpty, !file.isEmpty {
            throw ConfigurationError(key: key, source: nil, problem: "is set twice: give \(key) or \(key)File, not both")
        }
        guard !file.isEmpty else { return value.isEmpty ? nil : value }
        guard let text = try? String(contentsOfFile: file, encoding: .utf8) else {
            throw ConfigurationError(key: key + "File", source: nil, problem: "names a file that cannot be read: \(file)")
        }
        let trimmed = text.trimmingCharacters(in: .whitespacesAndNewlines)
        guard !trimmed.isEmpty else { throw ConfigurationError(key: key + "File", source: nil, problem: "names an empty file: \(file)") }
        return trimmed
    }

    /// `database`: a file path (SQLite) or a `postgres://` / `postgresql://` URL; the URL's
    /// password may instead be in `passwordFile`. Neither value is ever repeated in a message.
    private static func readDatabase(_ reader: SettingsReader) throws -> DatabaseLocation {
        let database = try nonEmpty(reader, "database", default: defaultDatabasePath)
        let passwordFile = try reader.string("passwordFile", default: "")
        guard PostgresLocation.isURL(database) else { return .sqlite(path: database) }
        var password: String?
        if !passwordFile.isEmpty {
            guard let text = try? String(contentsOfFile: passwordFile, encoding: .utf8) else {
                throw ConfigurationError(key: "passwordFile", source: nil, problem: "names a file that cannot be read: \(passwordFile)")
            }
            password = text.trimmingCharacters(in: .newlines)
        }
        guard let location = PostgresLocation(url: database, password: password) else {
            throw ConfigurationError(
                key: "database", source: nil, problem: "looks like a PostgreSQL URL but cannot be parsed (postgresql://USER@HOST:PORT/DATABASE)")
        }
        return .postgres(location)
    }

    /// FastCGI has no authentication: over TCP on an address other machines reach, the web
    /// servers must be named (`FCGI_WEB_SERVER_ADDRS`), or anyone reaching the port could send
    /// requests with any client address. Loopback needs no list.
    private static func readAllowedPeers(_ reader: SettingsReader, listen: ListenAddress) throws -> Set<String>? {
        let value = reader.environment["FCGI_WEB_SERVER_ADDRS"]
        let peers = PeerFilter.parse(value)
        if let bad = peers?.first(where: { !IPv4.isAddress($0) }) {
            throw ConfigurationError(
                key: "FCGI_WEB_SERVER_ADDRS", source: "environment variable",
                problem: "must be IPv4 addresses separated by commas; \(bad) is not one")
        }
        if case .tcp = listen, !listen.isLoopbackTCP, peers == nil {
            throw ConfigurationError(
                key: "socket", source: nil,
                problem: "\(listen) would accept FastCGI from any host: set FCGI_WEB_SERVER_ADDRS to the nginx hosts' addresses (comma-separated); see docs/scaling.md")
        }
        return peers
    }

    private static func nonEmpty(_ reader: SettingsReader, _ key: String, default fallback: String) throws -> String {
        let value = try reader.string(key, default: fallback)
        guard !value.isEmpty else { throw ConfigurationError(key: key, source: nil, problem: "must not be empty") }
        return value
    }
}

/// The site's public origin, like `https://login.example.com` (no path, no trailing slash).
public struct PublicURL: Sendable, Equatable, CustomStringConvertible {
    public let scheme: String
    public let host: String
    public let port: Int?

    public init?(string: String) {
        guard let components = URLComponents(string: string),
            let scheme = components.scheme?.lowercased(), scheme == "http" || scheme == "https",
            let host = components.host, !host.isEmpty,
            components.path.isEmpty || components.path == "/",
            components.query == nil, components.fragment == nil, components.user == nil
        else { return nil }
        self.scheme = scheme
        self.host = host.lowercased()
        port = components.port
    }

    public var isHTTPS: Bool { scheme == "https" }

    /// `scheme://host[:port]`, the port left out when it is the scheme's default.
    public var origin: String {
        let defaultPort = isHTTPS ? 443 : 80
        if let port, port != defaultPort { return "\(scheme)://\(host):\(port)" }
        return "\(scheme)://\(host)"
    }

    public var description: String { origin }
}

/// Where the state is: an SQLite file (one node) or a PostgreSQL database (one or many nodes).
public enum DatabaseLocation: Sendable, Equatable, CustomStringConvertible {
    case sqlite(path: String)
    case postgres(PostgresLocation)

    /// For messages: the path, or the URL without its password.
    public var description: String {
        switch self {
        case .sqlite(let path): return path
        case .postgres(let location): return location.redacted
        }
    }
}
