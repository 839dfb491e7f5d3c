import TestSupport
import Foundation
import GRDB
import Storage
import Support
import Testing

@Suite struct MigrationTests {
    @Test func migratesAFreshDatabaseOnceAndCleanly() throws {
        let directory = TemporaryDirectory()
        defer { directory.remove() }
        let database = try AppDatabase(path: directory.path + "/nested/dir/v.sqlite")
        let first = try database.migrate()
        #expect(first == Migrations.migrator.migrations)
        #expect(try database.migrate().isEmpty)
        let (tables, violations, journal, foreignKeys) = try database.read { db in
            (try ["users", "sessions"].allSatisfy { try db.tableExists($0) },
             try Row.fetchAll(db, sql: "PRAGMA foreign_key_check").count,
             try String.fetchOne(db, sql: "PRAGMA journal_mode"),
             try Bool.fetchOne(db, sql: "PRAGMA foreign_keys"))
        }
        #expect(tables)
        #expect(violations == 0)
        #expect(journal == "wal")
        #expect(foreignKeys == true)
    }

    @Test func migrationNamesAreUniqueAndOrdered() {
        let names = Migrations.migrator.migrations
        #expect(Set(names).count == names.count)
        #expect(names == names.sorted())
    }

    @Test func foreignKeysAreEnforced() throws {
        let directory = TemporaryDirectory()
        defer { directory.remove() }
        let database = try AppDatabase(path: directory.path + "/v.sqlite")
        try database.migrate()
        #expect(throws: DatabaseError.self) {
            try database.write { db in
                try db.execute(sql: "INSERT INTO sessions (token_hash, user_id, created_at, last_seen_at, expires_at) VALUES (x'00', 999, 0, 0, 0)")
            }
        }
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

@Suite struct NoncePurgeTests {
    /// v2 request nonces go once their time window is long past; envelope nonces (no time) stay.
    @Test func onlyOldRequestNoncesArePurged() throws {
        let directory = TemporaryDirectory()
        defer { directory.remove() }
        let database = try AppDatabase(path: directory.path + "/v.sqlite")
        try database.migrate()
        let store = TrustedLoginStore()
        let now = Date()
        let remaining = try database.write { db -> [String] in
            try db.execute(sql: "INSERT INTO teams (name, public_key, bearer_lookup, token_lookup, api_key_lookup, private_key_sealed, created_at) VALUES ('t', 'p', 'b', 't', 'a', x'00', 0)")
            #expect(try store.useNonce(db, teamID: 1, nonce: "v2:old", at: now.addingTimeInterval(-7200)))
            #expect(try store.useNonce(db, teamID: 1, nonce: "v2:new", at: now))
            #expect(try store.useNonce(db, teamID: 1, nonce: "envelope:old", at: now.addingTimeInterval(-7200)))
            #expect(try !store.useNonce(db, teamID: 1, nonce: "v2:new", at: now))
            #expect(try store.purgeRequestNonces(db, before: now.addingTimeInterval(-3600)) == 1)
            return try String.fetchAll(db, sql: "SELECT nonce FROM vendor_nonces ORDER BY nonce")
        }
        #expect(remaining == ["envelope:old", "v2:new"])
    }
}
