import TestSupport
import FastCGI
import Foundation
import StoragePostgres
import Providers
import Testing
@testable import VestibuleApp

@Suite struct ConfigurationTests {
    func load(env: [String: String] = [:], file: String? = nil) async throws -> VestibuleConfiguration {
        var path: String?
        if let file {
            path = NSTemporaryDirectory() + "vestibule-config-\(UUID().uuidString).json"
            try file.write(toFile: path!, atomically: true, encoding: .utf8)
        }
        defer { if let path { try? FileManager.default.removeItem(atPath: path) } }
        return try await VestibuleConfiguration.load(environment: env, configFile: path)
    }

    func error(env: [String: String] = [:], file: String? = nil) async -> String {
        do {
            _ = try await load(env: env, file: file)
            return "no error"
        } catch {
            return "\(error)"
        }
    }

    @Test func defaults() async throws {
        let configuration = try await load()
        #expect(configuration.threads == 16)
        #expect(configuration.maxBodySize == 1 << 20)
        #expect(configuration.database == .sqlite(path: "var/vestibule.sqlite"))
        #expect(configuration.templatesPath == "templates")
        #expect(configuration.secretKeyFile == "var/secret.key")
        #expect(configuration.sandbox == false)
        #expect(configuration.publicURL.origin == "http://127.0.0.1:8080")
        #expect(configuration.session.secureCookies == false)
        #expect(configuration.httpPort == 8080)
        if !ListenAddress.standardInputIsListeningSocket {
            #expect(configuration.listen == .unixSocket(path: "var/vestibule.sock", mode: 0o660))
        }
    }

    @Test func fileValues() async throws {
        let configuration = try await load(file: """
            {"threads": 4, "database": "/tmp/x.sqlite", "publicURL": "https://login.example.com",
             "socket": "/run/v.sock", "socketMode": "0600", "sandbox": true,
             "session": {"idleTimeout": 900, "absoluteTimeout": 3600}, "logLevel": "debug"}
            """)
        #expect(configuration.threads == 4)
        #expect(configuration.database == .sqlite(path: "/tmp/x.sqlite"))
        #expect(configuration.publicURL.isHTTPS)
        #expect(configuration.session.secureCookies)
        #expect(configuration.listen == .unixSocket(path: "/run/v.sock", mode: 0o600))
        #expect(configuration.sandbox)
        #expect(configuration.session.idleTimeout == 900)
        #expect(configuration.logLevel == .debug)
    }

    @Test func environmentOverridesTheFile() async throws {
        let configuration = try await load(
            env: ["VESTIBULE_DATABASE": "/data/v.sqlite", "VESTIBULE_THREADS": "8", "VESTIBULE_HTTP_PORT": "9090",
                  "VESTIBULE_SESSION_IDLE_TIMEOUT": "120", "VESTIBULE_SANDBOX": "true", "VESTIBULE_SOCKET": "fd:0"],
            file: #"{"threads": 4, "database": "file.sqlite"}"#)
        #expect(configuration.database == .sqlite(path: "/data/v.sqlite"))
        #expect(configuration.threads == 8)
        #expect(configuration.httpPort == 9090)
        #expect(configuration.session.idleTimeout == 120)
        #expect(configuration.sandbox)
        #expect(configuration.listen == .inheritedStandardInput)
    }

    @Test func badValuesNameTheKeyAndWhereItCameFrom() async {
        #expect(await error(env: ["VESTIBULE_THREADS": "lots"]).contains("threads (environment variable VESTIBULE_THREADS) must be a whole number"))
        #expect(await error(env: ["VESTIBULE_THREADS": "0"]).contains("VESTIBULE_THREADS"))
        #expect(await error(file: #"{"threads": 1000}"#).contains("threads (threads in "))
        #expect(await error(env: ["VESTIBULE_PUBLIC_URL": "ftp://x"]).contains("publicURL"))
        #expect(await error(env: ["VESTIBULE_PUBLIC_URL": "https://x.example/path"]).contains("publicURL"))
        #expect(await error(env: ["VESTIBULE_SANDBOX": "maybe"]).contains("sandbox"))
        #expect(await error(env: ["VESTIBULE_LOG_LEVEL": "loud"]).contains("logLevel"))
        #expect(await error(env: ["VESTIBULE_SOCKET_MODE": "999"]).contains("socketMode"))
        #expect(await error(env: ["VESTIBULE_DATABASE": ""]).contains("database"))
        #expect(await error(file: #"{"session": {"idleTimeout": 7200, "absoluteTimeout": 3600}}"#).contains("session.absoluteTimeout"))
    }

    @Test func unknownKeysInTheFileAreReported() async {
        let message = await error(file: #"{"thread": 4}"#)
        #expect(message.contains("thread ") && message.contains("not a setting"))
        #expect(await error(file: #"{"session": {"idle": 5}}"#).contains("session.idle"))
    }

    @Test func malformedOrMissingFile() async {
        #expect(await error(file: "{not json").contains("not valid JSON"))
        do {
            _ = try await VestibuleConfiguration.load(environment: [:], configFile: "/nonexistent/v.json")
            Issue.record("expected an error")
        } catch {
            #expect("\(error)".contains("does not exist"))
        }
    }

    /// `database` takes a path (SQLite) or libpq's URI form (PostgreSQL), in the file and the
    /// environment; a password comes from the URL or `passwordFile`, and no message repeats it.
    @Test func databaseIsAPathOrAPostgresURL() async throws {
        #expect(try await load(env: ["VESTIBULE_DATABASE": "/srv/v.sqlite"]).database == .sqlite(path: "/srv/v.sqlite"))
        for url in ["postgres://vestibule@db.internal:5432/vestibule", "postgresql://vestibule@10.0.0.5/vestibule?sslmode=require"] {
            let fromEnvironment = try await load(env: ["VESTIBULE_DATABASE": url]).database
            #expect(fromEnvironment == .postgres(PostgresLocation(url: url)!))
            let fromFile = try await load(file: #"{"database": "\#(url)"}"#).database
            #expect(fromFile == fromEnvironment)
        }
        let withPassword = try await load(env: ["VESTIBULE_DATABASE": "postgresql://u:hunter2@127.0.0.1:5432/v?password=hunter3&sslmode=disable"])
        #expect(!withPassword.database.description.contains("hunter"))
        #expect(withPassword.database.description == "postgresql://u@127.0.0.1:5432/v?sslmode=disable")
    }

    @Test func thePasswordMayComeFromAFile() async throws {
        let directory = TemporaryDirectory()
        defer { directory.remove() }
        let file = directory.path + "/pg.password"
        try "correct horse\n".write(toFile: file, atomically: true, encoding: .utf8)
        let configuration = try await load(env: ["VESTIBULE_DATABASE": "postgresql://u@127.0.0.1/v", "VESTIBULE_PASSWORD_FILE": file])
        #expect(configuration.database == .postgres(PostgresLocation(url: "postgresql://u@127.0.0.1/v", password: "correct horse")!))
        let missing = await error(env: ["VESTIBULE_DATABASE": "postgresql://u@127.0.0.1/v", "VESTIBULE_PASSWORD_FILE": "/nonexistent/pw"])
        #expect(missing.contains("passwordFile"))
    }

    /// `socket` also takes HOST:PORT for nodes on other machines; an address others can reach
    /// needs FCGI_WEB_SERVER_ADDRS, as FastCGI has no authentication of its own.
    @Test func socketTakesAnIPv4AddressAndPort() async throws {
        #expect(try await load(env: ["VESTIBULE_SOCKET": "127.0.0.1:9000"]).listen == .tcp(host: "127.0.0.1", port: 9000))
        let open = try await load(env: ["VESTIBULE_SOCKET": ":9000", "FCGI_WEB_SERVER_ADDRS": "10.0.0.2, 10.0.0.3"])
        #expect(open.listen == .tcp(host: "", port: 9000))
        #expect(open.allowedPeers == ["10.0.0.2", "10.0.0.3"])
        #expect(await error(env: ["VESTIBULE_SOCKET": "10.0.0.5:9000"]).contains("FCGI_WEB_SERVER_ADDRS"))
        #expect(await error(env: ["VESTIBULE_SOCKET": "127.0.0.1:99999"]).contains("socket"))
        #expect(await error(env: ["VESTIBULE_SOCKET": "db.example:9000"]).contains("socket"))
        #expect(await error(env: ["VESTIBULE_SOCKET": ":9000", "FCGI_WEB_SERVER_ADDRS": "nginx-host"]).contains("not one"))
        #expect(try await load(env: ["VESTIBULE_SOCKET": "var/v.sock"]).listen == .unixSocket(path: "var/v.sock", mode: 0o660))
    }

    @Test func trusteeSettings() async throws {
        // Off by default; the sandbox's emulator behind this site's nginx when the sandbox is on.
        #expect(try await load().trusteeInEffect.isConfigured == false)
        let sandbox = try await load(env: ["VESTIBULE_SANDBOX": "true", "VESTIBULE_PUBLIC_URL": "http://127.0.0.1:9100"]).trusteeInEffect
        #expect(sandbox.endpoint == "http://127.0.0.1:9100/sandbox/trustee/graphql")
        #expect(sandbox.merchantWebKey == "sandbox-merchant-web-key")
        #expect(sandbox.statusCodes == .defaults && sandbox.checkInterval == 2 && sandbox.attemptLifetime == 300)
        #expect(sandbox.requestType == "login" && sandbox.linkField == "link" && sandbox.linkTemplate == nil)

        let keyFile = NSTemporaryDirectory() + "vestibule-mwk-\(UUID().uuidString)"
        try "mwk-from-file\n".write(toFile: keyFile, atomically: true, encoding: .utf8)
        defer { try? FileManager.default.removeItem(atPath: keyFile) }
        let file = """
            {"trustee": {"endpoint": "https://trustee.internal/graphql", "merchantWebKeyFile": "\(keyFile)",
              "requestType": "auth", "linkField": "deeplink", "linkTemplate": "trustee://login/{uniqueKeyForRequest}",
              "statusCodes": {"approved": "1, OK ,yes"}, "checkInterval": 3, "attemptLifetime": 120}}
            """
        let configured = try await load(env: ["VESTIBULE_TRUSTEE_STATUS_CODES_DENIED": "2,no"], file: file).trusteeInEffect
        #expect(configured.endpoint == "https://trustee.internal/graphql" && configured.merchantWebKey == "mwk-from-file")
        #expect(configured.requestType == "auth" && configured.linkField == "deeplink")
        #expect(configured.linkTemplate == "trustee://login/{uniqueKeyForRequest}")
        #expect(configured.statusCodes.approved == ["1", "ok", "yes"] && configured.statusCodes.denied == ["2", "no"])
        #expect(configured.statusCodes.pending == TrusteeStatusCodes.defaults.pending)
        #expect(configured.checkInterval == 3 && configured.attemptLifetime == 120)

        let twice = await error(env: ["VESTIBULE_TRUSTEE_MERCHANT_WEB_KEY": "abc", "VESTIBULE_TRUSTEE_MERCHANT_WEB_KEY_FILE": keyFile])
        #expect(twice.contains("trustee.merchantWebKey") && !twice.contains("abc"))
        #expect(await error(env: ["VESTIBULE_TRUSTEE_ENDPOINT": "ftp://x/graphql"]).contains("trustee.endpoint"))
        #expect(await error(env: ["VESTIBULE_TRUSTEE_CHECK_INTERVAL": "0"]).contains("trustee.checkInterval"))
        #expect(await error(env: ["VESTIBULE_TRUSTEE_STATUS_CODES_EXPIRED": " , "]).contains("trustee.statusCodes.expired"))
        #expect(await error(env: ["VESTIBULE_TRUSTEE_MERCHANT_WEB_KEY_FILE": "/nonexistent/key"]).contains("trustee.merchantWebKeyFile"))
    }

    @Test func environmentNamesFollowSwiftConfiguration() {
        #expect(SettingsReader.environmentName(for: "publicURL") == "VESTIBULE_PUBLIC_URL")
        #expect(SettingsReader.environmentName(for: "session.idleTimeout") == "VESTIBULE_SESSION_IDLE_TIMEOUT")
        #expect(SettingsReader.environmentName(for: "http.port") == "VESTIBULE_HTTP_PORT")
    }
}

@Suite struct ShippedConfigurationTests {
    /// The example integrators copy only uses keys that exist, with valid values.
    @Test func exampleConfigurationLoads() async throws {
        let configuration = try await VestibuleConfiguration.load(
            environment: [:], configFile: repositoryRoot + "/deploy/vestibule.example.json")
        #expect(configuration.publicURL.isHTTPS)
        #expect(configuration.session.secureCookies)
        #expect(configuration.database == .sqlite(path: "/var/lib/vestibule/vestibule.sqlite"))
    }
}
