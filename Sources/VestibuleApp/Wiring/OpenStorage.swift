import Foundation
import Logging
import Storage
import StoragePostgres
import StorageSQL
import StorageSQLite
import Support

/// The one place every command opens storage: the backend the `database` setting names,
/// migrated, and (for the commands that need secrets) the secret key checked against the one the
/// database was set up with.
enum StorageOpening {
    /// Opens and migrates. `serve` warns when it had to make the database: a restart that
    /// silently began on an empty one would look like lost data.
    static func open(
        _ configuration: VestibuleConfiguration, connections: Int, logger: Logger
    ) throws -> (storage: any SQLStorage, migration: MigrationReport) {
        let storage: any SQLStorage
        switch configuration.database {
        case .sqlite(let path):
            storage = try SQLiteStorage(path: path, readers: connections, logger: logger)
        case .postgres(let location):
            storage = PostgresStorage(location: location, connections: connections, logger: logger)
        }
        let migration = try storage.migrate()
        if migration.createdDatabase {
            logger.warning(
                "created a new, empty database: if one should exist here, stop and restore it",
                metadata: ["database": "\(storage.displayName)"])
        }
        if !migration.applied.isEmpty {
            logger.info("migrated database", metadata: ["migrations": "\(migration.applied)", "database": "\(storage.displayName)"])
        }
        return (storage, migration)
    }
}

/// Every node of a cluster must hold the same secret key: values sealed by one must open on the
/// others. The database records the key's check value the first time it is used, and a node
/// whose key does not match it, or that has none while the database has a value, refuses to start.
enum ClusterSecretKey {
    struct Refusal: Error, CustomStringConvertible {
        let description: String
    }

    static func load(path: String, storage: any Storage) throws -> SecretKey {
        let recorded = try storage.read { tx in try tx.metadata.value(.secretKeyCheck) }
        guard let key = try SecretKey.load(path: path) else {
            if recorded != nil {
                throw Refusal(description: """
                    there is no secret key file at \(path), but \(storage.displayName) was set up with one. \
                    Copy the key file from another node (or your backup) to \(path) with mode 0600; a new key \
                    could not open the secrets already stored.
                    """)
            }
            return try record(SecretKey.loadOrCreate(path: path), path: path, storage: storage)
        }
        if let recorded {
            try check(key, against: recorded, path: path, storage: storage)
            return key
        }
        return try record(key, path: path, storage: storage)
    }

    /// Two nodes starting at once on a new database with different keys: one value is stored,
    /// and the other node refuses.
    private static func record(_ key: SecretKey, path: String, storage: any Storage) throws -> SecretKey {
        let stored = try storage.write { tx in try tx.metadata.insertIfAbsent(.secretKeyCheck, key.checkValue) }
        try check(key, against: stored, path: path, storage: storage)
        return key
    }

    private static func check(_ key: SecretKey, against recorded: String, path: String, storage: any Storage) throws {
        guard ConstantTime.equals(key.checkValue, recorded) else {
            throw Refusal(description: """
                the secret key in \(path) is not the one \(storage.displayName) was set up with. Every node must \
                use the same key file: copy it from a node that works, or restore it from your backup.
                """)
        }
    }
}

/// Storage and the checked secret key, for tools beside the server (the benchmark's fixtures).
public struct OpenedStorage: Sendable {
    public let storage: any Storage
    public let secretKey: SecretKey
}

public func openStorage(
    _ configuration: VestibuleConfiguration, connections: Int = 2, logger: Logger = Logger(label: "vestibule")
) throws -> OpenedStorage {
    let (storage, _) = try StorageOpening.open(configuration, connections: connections, logger: logger)
    return OpenedStorage(storage: storage, secretKey: try ClusterSecretKey.load(path: configuration.secretKeyFile, storage: storage))
}
