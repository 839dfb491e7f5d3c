import Foundation
import SLIP0013Signing
import Support
import TestSupport
import Testing

/// What operators do with storage, through the built program: start several processes at once,
/// keep one secret key per cluster, upgrade, move to PostgreSQL, and see the truth in `/api/status`.
@Suite(.serialized) struct StorageOperationsTests {
    /// Twelve processes migrating one new database at once all succeed (SQLite: a migration
    /// another process committed is looked up again; PostgreSQL: an advisory lock).
    @Test(arguments: Backend.allCases) func twelveSimultaneousStartsOnANewDatabase(_ backend: Backend) throws {
        let stack = try Stack(backend: backend)
        defer { stack.stop() }
        let results = ResultList()
        inParallel(12) { _ in
            results.add((try? stack.cli(["migrate"])) ?? CommandResult(status: -1, output: "", errors: "did not run"))
        }
        #expect(results.all.allSatisfy { $0.status == 0 }, "\(results.all.filter { $0.status != 0 }.map(\.errors))")
        let versions = backend == .sqlite ? "grdb_migrations" : "vestibule_migrations"
        #expect(try stack.count(versions) == MigrationVersions.count)
        // And the program starts on it (it waits for its "listening" line).
        try stack.startProgram()
    }

    /// The database records the secret key's check value when first used; a node with another
    /// key, or none, refuses to start and says what to do.
    @Test(arguments: Backend.allCases) func oneSecretKeyPerDatabase(_ backend: Backend) throws {
        let stack = try Stack.start(backend: backend)
        defer { stack.stop() }
        let original = try Data(contentsOf: URL(fileURLWithPath: stack.secretKeyPath))
        #expect(try stack.scalar("SELECT value FROM vestibule_meta WHERE name = 'secret_key_check'", as: String.self)?.hasPrefix("v1:") == true)
        try stack.signalProgram(SIGTERM)

        try FileManager.default.removeItem(atPath: stack.secretKeyPath)
        _ = try SecretKey.loadOrCreate(path: stack.secretKeyPath)
        #expect(throws: TestFailure.self) { try stack.startProgram() }
        #expect(stack.programLog.contains("is not the one"))
        #expect(stack.programLog.contains("Every node must use the same key file"))
        let team = try stack.cli(["team", "list"])
        #expect(team.status != 0 && team.errors.contains("is not the one"))

        try FileManager.default.removeItem(atPath: stack.secretKeyPath)
        #expect(throws: TestFailure.self) { try stack.startProgram() }
        #expect(stack.programLog.contains("there is no secret key file at \(stack.secretKeyPath)"))
        #expect(!FileManager.default.fileExists(atPath: stack.secretKeyPath))

        _ = FileManager.default.createFile(atPath: stack.secretKeyPath, contents: original, attributes: [.posixPermissions: 0o600])
        try stack.startProgram()
        #expect(try stack.http.request("GET", "/api/status").status == 200)
    }

    /// A database made by the last release (Tests/Fixtures/legacy-schema-3), upgraded in place by
    /// `serve`, and copied into PostgreSQL by `import-sqlite`: on both, every account, session,
    /// team key and grant works as before.
    @Test(arguments: Backend.allCases) func theLastReleasesDatabaseWorksAfterAnUpgradeOrAnImport(_ backend: Backend) throws {
        let stack = try Stack(backend: backend, environment: ["VESTIBULE_OUTBOUND_ALLOW_PRIVATE_NETWORKS": "true"])
        defer { stack.stop() }
        let fixture = Stack.repositoryRoot + "/Tests/Fixtures/legacy-schema-3"
        _ = FileManager.default.createFile(
            atPath: stack.secretKeyPath, contents: try Data(contentsOf: URL(fileURLWithPath: fixture + "/secret.key")),
            attributes: [.posixPermissions: 0o600])
        switch backend {
        case .sqlite:
            try FileManager.default.copyItem(atPath: fixture + "/vestibule.sqlite", toPath: stack.database)
        case .postgres:
            let copy = stack.directory + "/legacy.sqlite"
            try FileManager.default.copyItem(atPath: fixture + "/vestibule.sqlite", toPath: copy)
            let imported = try stack.cli(["import-sqlite", copy])
            #expect(imported.status == 0, "\(imported.errors)")
            #expect(imported.output.contains("users: 1") && imported.output.contains("grants: 2") && imported.output.contains("sessions: 3"))
            // A second import into the now full database is refused, and changes nothing.
            let again = try stack.cli(["import-sqlite", copy])
            #expect(again.status != 0 && again.errors.contains("already holds Vestibule data"))
            #expect(try stack.count("grants") == 2)
        }
        try stack.startProgram()
        try stack.startNginx()
        #expect(!stack.programLog.contains("created a new, empty database"))
        let facts = try JSONSerialization.jsonObject(with: Data(contentsOf: URL(fileURLWithPath: fixture + "/facts.json"))) as? [String: Any] ?? [:]

        // The account's sessions: still signed in, the name kept.
        for cookie in facts["sessionCookies"] as? [String] ?? [] {
            let account = try stack.http.request("GET", "/account", headers: ["Cookie": "vestibule_session=\(cookie)"])
            #expect(account.status == 200)
            #expect(account.text.contains("Ada Fixture"))
        }
        // The same Trezor signs in to the same account.
        let browser = Browser(stack)
        _ = try browser.signInWithTrezor(as: TestSigner(seed: UInt8(facts["signerSeed"] as? Int ?? 0)))
        #expect(try browser.get("/account").text.contains("Ada Fixture"))
        #expect(try stack.count("users") == 1)

        // The team's keys: the client's public key, the Connector's v1 and v2 credentials, the logs' private key.
        let teamFacts = facts["team"] as? [String: Any] ?? [:]
        let team = TLTeam(
            id: (teamFacts["id"] as? Int).map(Int64.init) ?? 0, name: "Fixture Team", publicKey: teamFacts["publicKey"] as? String ?? "",
            privateKey: teamFacts["privateKey"] as? String ?? "")
        let api = TrustedLoginAPI(http: stack.http)
        let lookup = try api.vendor("POST", "accounts/\(team.id)/sites", team: team, ["searchKeys": [String(repeating: "b", count: 64)]])
        #expect(lookup.status == 200)
        #expect(try lookup.json()[String(repeating: "b", count: 64)] as? [String] == [String(repeating: "a", count: 32)])
        #expect(try api.vendorV2("POST", "accounts/\(team.id)/sites", team: team, ["searchKeys": ["x"]]).status == 204)
        let logs = try stack.http.request("GET", "/api/v1/logs/login-attempts/\(team.id)", headers: ["X-TL-Api-Key": team.privateKey])
        #expect(logs.status == 200)
        #expect(try logs.json()["total"] as? Int == 1)
        #expect(try api.register(TrustedLoginAPI.grant(team: team), team: team).count == 32)
        // The envelope signing key opens with the key file, and is the one made before.
        let signing = try stack.http.request("GET", "/api/v1/envelope-signing-public-key")
        let stored = try #require(try stack.scalar("SELECT public_key FROM signing_keys", as: String.self))
        #expect(try signing.json()["publicKey"] as? String == stored)
        // The lookup values were made anew as HMACs: the one that was the v1 bearer is gone.
        #expect(try stack.scalar("SELECT lookup_scheme FROM teams WHERE id = \(team.id)", as: Int.self) == 2)
        #expect(try stack.scalar("SELECT api_key_lookup FROM teams WHERE id = \(team.id)", as: String.self) != team.v1Bearer)
        #expect(stack.programLog.contains("made the credential lookups of 2 team(s) anew"))
        // The paused team is still paused.
        let pausedKey = (facts["pausedTeam"] as? [String: Any])?["publicKey"] as? String ?? ""
        #expect(try stack.scalar("SELECT status FROM teams WHERE public_key = '\(pausedKey)'", as: String.self) == "paused")
    }

    /// The SQLite file deleted under the running program: within seconds writes are refused
    /// with 503, `/api/status` says why, and a restart says it made a new database (and
    /// `/api/status` shows the new creation time).
    @Test func aDeletedDatabaseFileIsNoticed() throws {
        let stack = try Stack.startForTrustedLogin()
        defer { stack.stop() }
        let team = try stack.createTeam()
        let api = TrustedLoginAPI(http: stack.http)
        let before = try stack.http.request("GET", "/api/status").json()["databaseCreatedAt"] as? String
        #expect(before != nil)
        for suffix in ["", "-wal", "-shm"] { try? FileManager.default.removeItem(atPath: stack.database + suffix) }
        var refused: HTTPClient.Response?
        let deadline = Date().addingTimeInterval(10)
        while refused == nil && Date() < deadline {
            let response = try api.client("POST", "sites", team: team, TrustedLoginAPI.grant(team: team))
            if response.status == 503 { refused = response } else { usleep(100_000) }
        }
        #expect(refused?.status == 503)
        #expect(refused?.header("Retry-After") != nil)
        var status = try stack.http.request("GET", "/api/status")
        while status.status != 503 && Date() < deadline {
            usleep(200_000)
            status = try stack.http.request("GET", "/api/status")
        }
        #expect(status.status == 503)
        #expect((try status.json()["message"] as? String)?.contains("was deleted or moved") == true)
        #expect(stack.programLog.contains("database file lost"))

        try stack.signalProgram(SIGTERM)
        try stack.startProgram()
        #expect(stack.programLog.contains("created a new, empty database"))
        #expect(stack.programLog.contains(stack.database))
        let after = try stack.http.request("GET", "/api/status")
        #expect(after.status == 200)
        #expect(try after.json()["databaseCreatedAt"] as? String != nil)
        #expect(try stack.count("teams") == 0)
    }

    /// A full disk: writes are 503 (not 500) and `/api/status` names it; freeing space heals both.
    @Test(.enabled(if: TemporaryFileSystem.canMount, "needs root to mount a small tmpfs"))
    func aFullDiskIs503AndSaysSo() throws {
        let stack = try Stack(environment: ["VESTIBULE_OUTBOUND_ALLOW_PRIVATE_NETWORKS": "true"])
        defer { stack.stop() }
        let disk = try TemporaryFileSystem(at: stack.directory + "/disk", megabytes: 4)
        defer { disk.unmount() }
        stack.extraEnvironment["VESTIBULE_DATABASE"] = disk.path + "/v.sqlite"
        try stack.startProgram()
        try stack.startNginx()
        let team = try stack.createTeam()
        let api = TrustedLoginAPI(http: stack.http)
        #expect(try api.client("POST", "sites", team: team, TrustedLoginAPI.grant(team: team)).status == 201)
        try disk.fill()
        // Big grants (metaData near its limits) until the WAL needs more room than there is.
        var statuses: [Int] = []
        for _ in 0..<40 {
            var grant = TrustedLoginAPI.grant(team: team)
            grant["metaData"] = Dictionary(uniqueKeysWithValues: (0..<100).map { ("k\($0)", String(repeating: "x", count: 900)) })
            let status = try api.client("POST", "sites", team: team, grant).status
            statuses.append(status)
            if status == 503 { break }
        }
        #expect(statuses.last == 503, "\(statuses)")
        #expect(!statuses.contains(500))
        // The status is checked at most once a second: within a few, it says so.
        var status = try stack.http.request("GET", "/api/status")
        let deadline = Date().addingTimeInterval(5)
        while status.status != 503 && Date() < deadline {
            usleep(200_000)
            status = try stack.http.request("GET", "/api/status")
        }
        #expect(status.status == 503)
        #expect((try status.json()["message"] as? String)?.contains("disk") == true)
        disk.unfill()
        #expect(try api.client("POST", "sites", team: team, TrustedLoginAPI.grant(team: team)).status == 201)
    }

    /// PostgreSQL going away: 503 and a status that says so; back, it is used again at once.
    @Test func aLostPostgreSQLConnectionIs503AndReconnects() throws {
        let stack = try Stack.startForTrustedLogin(backend: .postgres)
        defer { stack.stop() }
        let team = try stack.createTeam()
        let api = TrustedLoginAPI(http: stack.http)
        let server = try PostgresServer.shared()
        let name = String(stack.database.split(separator: "/").last!)
        // Connections cut (a failover, a restart): the next request reconnects and succeeds.
        try server.sql("SELECT pg_terminate_backend(pid) FROM pg_stat_activity WHERE datname = '\(name)'")
        #expect(try api.client("POST", "sites", team: team, TrustedLoginAPI.grant(team: team)).status == 201)
        // The database unreachable: 503, and the status names it.
        try server.sql("ALTER DATABASE \(name) ALLOW_CONNECTIONS false")
        try server.sql("SELECT pg_terminate_backend(pid) FROM pg_stat_activity WHERE datname = '\(name)'")
        #expect(try api.client("POST", "sites", team: team, TrustedLoginAPI.grant(team: team)).status == 503)
        var status = try stack.http.request("GET", "/api/status")
        let deadline = Date().addingTimeInterval(10)
        while status.status != 503 && Date() < deadline {
            usleep(200_000)
            status = try stack.http.request("GET", "/api/status")
        }
        #expect(status.status == 503)
        #expect((try status.json()["message"] as? String)?.contains("PostgreSQL") == true)
        #expect(!(try status.json()["message"] as? String ?? "").contains("127.0.0.1"))
        try server.sql("ALTER DATABASE \(name) ALLOW_CONNECTIONS true")
        var healed = 0
        while healed != 201 && Date() < deadline {
            usleep(200_000)
            healed = try api.client("POST", "sites", team: team, TrustedLoginAPI.grant(team: team)).status
        }
        #expect(healed == 201)
    }

    /// The PostgreSQL password from a file, or from the URL: it appears in no output.
    @Test func thePasswordIsReadAndNeverShown() throws {
        let server = try PostgresServer.shared()
        let database = String(try server.makeDatabase().split(separator: "/").last!)
        let (user, password) = PostgresServer.passwordUser
        let stack = try Stack(environment: [:])
        defer { stack.stop() }
        let passwordFile = stack.directory + "/pg.password"
        try (password + "\n").write(toFile: passwordFile, atomically: true, encoding: .utf8)
        let url = "postgresql://\(user)@127.0.0.1:\(server.port)/\(database)"
        stack.extraEnvironment = ["VESTIBULE_DATABASE": url, "VESTIBULE_PASSWORD_FILE": passwordFile]
        let migrated = try stack.cli(["migrate"])
        #expect(migrated.status == 0, "\(migrated.errors)")
        #expect(migrated.output.contains("PostgreSQL \(url): applied"))
        // In the URL, wrong: refused, and neither password is printed.
        stack.extraEnvironment = ["VESTIBULE_DATABASE": "postgresql://\(user):wrong-\(password)@127.0.0.1:\(server.port)/\(database)"]
        let refused = try stack.cli(["migrate"])
        #expect(refused.status != 0)
        #expect(refused.errors.contains("password authentication failed"))
        #expect(!(refused.output + refused.errors).contains(password))
        // Right, in the URL: serve runs, and its log has no password.
        stack.extraEnvironment = ["VESTIBULE_DATABASE": "postgresql://\(user):\(password)@127.0.0.1:\(server.port)/\(database)"]
        try stack.startProgram()
        try stack.startNginx()
        #expect(try stack.http.request("GET", "/api/status").status == 200)
        #expect(!stack.programLog.contains(password))
    }
}

final class ResultList: @unchecked Sendable {
    private let lock = NSLock()
    private var results: [CommandResult] = []

    func add(_ result: CommandResult) {
        lock.lock()
        results.append(result)
        lock.unlock()
    }

    var all: [CommandResult] {
        lock.lock()
        defer { lock.unlock() }
        return results
    }
}

/// A small tmpfs, to run out of disk space on purpose (root only).
final class TemporaryFileSystem {
    let path: String

    static let canMount: Bool = {
        guard getuid() == 0 else { return false }
        let probe = NSTemporaryDirectory() + "vestibule-tmpfs-probe-" + UUID().uuidString.prefix(8)
        guard (try? FileManager.default.createDirectory(atPath: probe, withIntermediateDirectories: true)) != nil else { return false }
        defer { try? FileManager.default.removeItem(atPath: probe) }
        guard (try? shell("/bin/mount", ["-t", "tmpfs", "-o", "size=1m", "tmpfs", probe])) != nil else { return false }
        _ = try? shell("/bin/umount", [probe])
        return true
    }()

    init(at path: String, megabytes: Int) throws {
        self.path = path
        try FileManager.default.createDirectory(atPath: path, withIntermediateDirectories: true)
        try Self.shell("/bin/mount", ["-t", "tmpfs", "-o", "size=\(megabytes)m", "tmpfs", path])
    }

    /// Fills what is left with one file.
    func fill() throws {
        _ = try? Self.shell("/bin/dd", ["if=/dev/zero", "of=\(path)/filler", "bs=64k"])
    }

    func unfill() { try? FileManager.default.removeItem(atPath: path + "/filler") }

    func unmount() { _ = try? Self.shell("/bin/umount", ["-l", path]) }

    @discardableResult
    static func shell(_ executable: String, _ arguments: [String]) throws -> Int32 {
        let process = Process()
        process.executableURL = URL(fileURLWithPath: executable)
        process.arguments = arguments
        process.standardOutput = FileHandle.nullDevice
        process.standardError = FileHandle.nullDevice
        try process.run()
        process.waitUntilExit()
        guard process.terminationStatus == 0 else { throw TestFailure("\(executable) failed") }
        return process.terminationStatus
    }
}

/// How many migrations there are (the same versions in both dialects).
enum MigrationVersions {
    static let count = 10
}
