import ArgumentParser
import Features
import Foundation
import Logging
import StoragePostgres
import StorageSQLite
import Support

/// `vestibule import-sqlite FILE`: moving from one node on SQLite to PostgreSQL, in one command.
struct ImportSQLiteCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "import-sqlite",
        abstract: "Copy every row of a Vestibule SQLite database into the configured PostgreSQL database.",
        discussion: """
            The PostgreSQL database (the database setting, VESTIBULE_DATABASE) gets its schema if it has none \
            and must hold no Vestibule rows yet. Everything is copied in one transaction, ids included, and \
            the counts are printed. Use the same secret key file as the SQLite node: the sealed values in the \
            rows open only with it. Stop the SQLite node first, so nothing is written during the copy.
            """)

    @OptionGroup var options: ConfigOptions
    @Argument(help: "The SQLite database file made by Vestibule.") var file: String

    func run() async throws {
        let configuration = try await options.load()
        guard case .postgres = configuration.database else {
            throw ValidationError(
                "import-sqlite copies into PostgreSQL: set the database setting (VESTIBULE_DATABASE) to a postgresql:// URL")
        }
        guard FileManager.default.fileExists(atPath: file) else { throw ValidationError("\(file) does not exist") }
        guard let key = try SecretKey.load(path: configuration.secretKeyFile) else {
            throw ValidationError(
                "there is no secret key file at \(configuration.secretKeyFile): copy the SQLite node's key file there (mode 0600) first")
        }
        let logger = LogSetup.bootstrap(level: configuration.logLevel)
        let source = try SQLiteStorage(path: file, logger: logger)
        defer { source.close() }
        let sourceMigration = try source.migrate()
        if !sourceMigration.applied.isEmpty {
            print("\(file): brought up to date first (\(sourceMigration.applied.joined(separator: ", ")))")
        }
        let (target, _) = try StorageOpening.open(configuration, connections: 1, logger: logger)
        defer { target.close() }
        guard let postgres = target as? PostgresStorage else { return }
        // The same key for both: it must open the secrets in the file (checked before anything is
        // recorded), and match each database's record of it.
        guard try TeamService(storage: source, clock: SystemClock(), random: SystemRandom(), secretKey: key).sealedKeysOpen() else {
            throw ValidationError(
                "the secret key in \(configuration.secretKeyFile) does not open the team keys sealed in \(file): use the SQLite node's key file")
        }
        _ = try ClusterSecretKey.load(path: configuration.secretKeyFile, storage: source)
        _ = try ClusterSecretKey.load(path: configuration.secretKeyFile, storage: target)
        let counts = try postgres.importRows(from: source)
        print("Copied \(file) into \(target.displayName) in one transaction:")
        for (table, rows) in counts { print("  \(table): \(rows)") }
    }
}
