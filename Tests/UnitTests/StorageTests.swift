import Foundation
import Logging
import Storage
import StorageSQL
import StoragePostgres
import StorageSQLite
import Support
import TestSupport
import Testing

@Suite struct MigrationTests {
    static let versions = [
        "001-users-and-sessions", "002-identities-challenges-regulation", "003-trustedlogin", "004-metadata",
        "005-team-lookup-scheme", "006-trustee-attempts", "007-team-members-and-api-tokens", "008-invitations",
        "009-operators", "010-connect-tokens",
    ]

    @Test(arguments: Backend.allCases) func migratesAFreshDatabaseOnceAndCleanly(_ backend: Backend) throws {
        let directory = TemporaryDirectory()
        defer { directory.remove() }
        let location = try backend.makeDatabase(in: directory.path + "/nested/dir")
        let storage: any SQLStorage = try open(backend, location)
        defer { storage.close() }
        let first = try storage.migrate()
        #expect(first == MigrationReport(applied: Self.versions, createdDatabase: true))
        #expect(try storage.migrate() == MigrationReport(applied: [], createdDatabase: backend == .sqlite))
        try expectSchemaMatchesTheTableList(storage, backend)
        #expect(storage.checkHealth() == .ok)
    }

    func open(_ backend: Backend, _ location: String) throws -> any SQLStorage {
        switch backend {
        case .sqlite: return try SQLiteStorage(path: location, logger: TestStorage.quiet)
        case .postgres: return PostgresStorage(location: .init(url: location)!, connections: 2, logger: TestStorage.quiet)
        }
    }

    /// Both dialects' migrations make exactly the tables and columns `Schema.tables` lists: what
    /// `import-sqlite` copies. A column added to one dialect only fails here.
    func expectSchemaMatchesTheTableList(_ storage: any SQLStorage, _ backend: Backend) throws {
        let sql = backend == .sqlite
            ? "SELECT m.name, p.name FROM sqlite_master m JOIN pragma_table_info(m.name) p WHERE m.type = 'table' AND m.name NOT LIKE 'sqlite_%' AND m.name != 'grdb_migrations' ORDER BY m.name, p.cid"
            : "SELECT table_name, column_name FROM information_schema.columns WHERE table_schema = 'public' AND table_name != 'vestibule_migrations' ORDER BY table_name, ordinal_position"
        let rows = try storage.readSQL { db in try db.query(sql, []) }
        var found: [String: [String]] = [:]
        for row in rows {
            var row = row
            let table: String = try row.next()
            found[table, default: []].append(try row.next())
        }
        let listed = Dictionary(uniqueKeysWithValues: Schema.tables.map { ($0.name, $0.columns) })
        #expect(Set(found.keys) == Set(listed.keys))
        for (table, columns) in listed { #expect(Set(found[table] ?? []) == Set(columns), "\(table)") }
    }

    @Test func sqliteRunsInWALWithForeignKeys() throws {
        let directory = TemporaryDirectory()
        defer { directory.remove() }
        let storage = try SQLiteStorage(path: directory.path + "/v.sqlite", logger: TestStorage.quiet)
        defer { storage.close() }
        _ = try storage.migrate()
        #expect(try storage.scalar("PRAGMA journal_mode", as: String.self) == "wal")
        // What the writer runs with (reads use read-only connections of their own).
        func writer(_ pragma: String) throws -> Int? {
            try storage.writeSQL { db in
                guard var row = try db.query("PRAGMA \(pragma)", []).first else { return nil }
                return try row.next(Int.self)
            }
        }
        #expect(try writer("foreign_keys") == 1)
        #expect(try writer("synchronous") == 1)  // NORMAL
        #expect(try storage.count("pragma_foreign_key_check") == 0)
    }

    /// A database made by the code before the storage move (Tests/Fixtures/legacy-schema-3)
    /// migrates and keeps every row.
    @Test func aDatabaseFromTheLastReleaseMigratesAndKeepsItsData() throws {
        let directory = TemporaryDirectory()
        defer { directory.remove() }
        let path = directory.path + "/vestibule.sqlite"
        try FileManager.default.copyItem(atPath: TestPaths.repositoryRoot + "/Tests/Fixtures/legacy-schema-3/vestibule.sqlite", toPath: path)
        let storage = try SQLiteStorage(path: path, logger: TestStorage.quiet)
        defer { storage.close() }
        // The tables the last release had (later migrations add the others, empty).
        let legacy = try Schema.tables.map(\.name).filter { name in
            try storage.scalar("SELECT count(*) FROM sqlite_master WHERE type = 'table' AND name = ?", [.text(name)], as: Int.self) == 1
        }
        #expect(legacy.count == Schema.tables.count - 7)
        let before = try legacy.map { try storage.count($0) }
        let report = try storage.migrate()
        #expect(report == MigrationReport(applied: Array(Self.versions.dropFirst(3)), createdDatabase: false))
        #expect(try legacy.map { try storage.count($0) } == before)
        #expect(before.reduce(0, +) > 15)
        let facts = try LegacyFixture.facts()
        let team = try #require(try storage.read { tx in try tx.teams.team(where: .publicKey, is: facts.teamPublicKey) })
        #expect(team.name == "Fixture Team" && team.signatureKey != nil)
        // Lookup values as the last release made them, until a program with the key upgrades them.
        #expect(team.credentials.lookupScheme == 1)
        let metaData = try #require(try storage.read { tx in try tx.grants.grant(team: team.id, secretID: String(repeating: "a", count: 32)) }?.metaData)
        #expect(try JSONValue.parse(Array(metaData.utf8)) == .object([("plan", .string("pro")), ("seats", .number("3"))])
            || JSONValue.parse(Array(metaData.utf8)) == .object([("seats", .number("3")), ("plan", .string("pro"))]))
        let user = try #require(try storage.read { tx in try tx.accounts.user(UserID(1)) })
        #expect(user.displayName == "Ada Fixture")
        #expect(try storage.read { tx in try tx.accounts.identities(of: user.id) }.map(\.method) == ["trezor"])
        #expect(try storage.read { tx in try tx.sessions.sessions(of: user.id) }.count == 2)
        #expect(try storage.read { tx in try tx.teams.team(where: .publicKey, is: facts.pausedTeamPublicKey) }?.status == .paused)
    }
}

/// What Tests/Fixtures/legacy-schema-3/facts.json says was put into that database.
enum LegacyFixture {
    struct Facts {
        let teamPublicKey: String
        let pausedTeamPublicKey: String
    }

    static func facts() throws -> Facts {
        let data = try Data(contentsOf: URL(fileURLWithPath: TestPaths.repositoryRoot + "/Tests/Fixtures/legacy-schema-3/facts.json"))
        let json = try JSONSerialization.jsonObject(with: data) as? [String: Any] ?? [:]
        let team = json["team"] as? [String: Any] ?? [:], paused = json["pausedTeam"] as? [String: Any] ?? [:]
        return Facts(teamPublicKey: team["publicKey"] as? String ?? "", pausedTeamPublicKey: paused["publicKey"] as? String ?? "")
    }
}

@Suite struct SecretKeyTests {
    @Test func createdWithMode0600AndReloadedTheSame() throws {
        let directory = TemporaryDirectory()
        defer { directory.remove() }
        let path = directory.path + "/keys/secret.key"
        let first = try SecretKey.loadOrCreate(path: path)
        let mode = try FileManager.default.attributesOfItem(atPath: path)[.posixPermissions] as? Int
        #expect(mode == 0o600)
        let second = try SecretKey.loadOrCreate(path: path)
        let sealed = try SecretSealer(secretKey: first, purpose: "t").seal(Array("hello".utf8), context: "row:1")
        #expect(try SecretSealer(secretKey: second, purpose: "t").open(sealed, context: "row:1") == Array("hello".utf8))
        #expect(first.checkValue == second.checkValue)
        #expect(try SecretKey.load(path: directory.path + "/none.key") == nil)
    }

    /// The check value tells keys apart and does not contain the key.
    @Test func checkValuesDifferPerKey() throws {
        let one = SecretKey(bytes: Array(repeating: 1, count: 32)), two = SecretKey(bytes: Array(repeating: 2, count: 32))
        #expect(one.checkValue != two.checkValue)
        #expect(one.checkValue.hasPrefix("v1:"))
        #expect(!one.checkValue.contains(Data(repeating: 1, count: 32).base64EncodedString()))
    }

    @Test func refusesAKeyOthersCanRead() throws {
        let directory = TemporaryDirectory()
        defer { directory.remove() }
        let path = directory.path + "/secret.key"
        _ = try SecretKey.loadOrCreate(path: path)
        chmod(path, 0o644)
        #expect(throws: SecretKey.LoadError.self) { try SecretKey.loadOrCreate(path: path) }
    }

    @Test func refusesAMalformedKey() throws {
        let directory = TemporaryDirectory()
        defer { directory.remove() }
        let path = directory.path + "/secret.key"
        _ = FileManager.default.createFile(atPath: path, contents: Data("c2hvcnQ=\n".utf8), attributes: [.posixPermissions: 0o600])
        #expect(throws: SecretKey.LoadError.self) { try SecretKey.loadOrCreate(path: path) }
    }

    @Test func sealedValuesAreBoundToPurposeAndContext() throws {
        let key = SecretKey(bytes: Array(repeating: 1, count: 32))
        let sealer = SecretSealer(secretKey: key, purpose: "team-private-key")
        let sealed = try sealer.seal(Array("secret".utf8), context: "teams:1")
        #expect(!sealed.isEmpty && sealed != Array("secret".utf8))
        #expect(throws: SecretSealer.OpenError.self) { try sealer.open(sealed, context: "teams:2") }
        #expect(throws: SecretSealer.OpenError.self) {
            try SecretSealer(secretKey: key, purpose: "other").open(sealed, context: "teams:1")
        }
        var tampered = sealed
        tampered[tampered.count - 1] ^= 1
        #expect(throws: SecretSealer.OpenError.self) { try sealer.open(tampered, context: "teams:1") }
    }
}

@Suite struct SupportTests {
    @Test func hexIsStrict() {
        #expect(Hex.decode("00ffAB") == [0, 255, 171])
        #expect(Hex.decode("abc") == nil)
        #expect(Hex.decode("zz") == nil)
        #expect(Hex.encode([0, 15, 255]) == "000fff")
        #expect(Hex.isLowercase("00ff", length: 4))
        #expect(!Hex.isLowercase("00FF", length: 4))
    }

    @Test func base64URLHasTheURLAlphabetAndNoPadding() {
        #expect(Base64URL.encode([0xfb, 0xff]) == "-_8")
        #expect(Base64URL.encode([0xfb, 0xef, 0xbe]) == "----")
        #expect(Base64URL.encode(Array("hello".utf8)) == "aGVsbG8")
        #expect(Base64URL.encode([]) == "")
    }

    @Test func constantTimeEquality() {
        #expect(ConstantTime.equals("abc", "abc"))
        #expect(!ConstantTime.equals("abc", "abd"))
        #expect(!ConstantTime.equals("abc", "abcd"))
    }

    @Test func uuidsAreVersion4() {
        let uuid = SystemRandom().uuid()
        #expect(uuid.count == 36)
        #expect(Array(uuid)[14] == "4")
        #expect("89ab".contains(Array(uuid)[19]))
    }
}
