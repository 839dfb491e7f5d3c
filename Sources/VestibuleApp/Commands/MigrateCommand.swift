import ArgumentParser
import Logging
import Storage

struct MigrateCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "migrate", abstract: "Create or update the database schema (serve also does this at start).")

    @OptionGroup var options: ConfigOptions

    func run() async throws {
        let configuration = try await options.load()
        let (storage, migration) = try StorageOpening.open(configuration, connections: 1, logger: LogSetup.bootstrap(level: configuration.logLevel))
        storage.close()
        if migration.applied.isEmpty {
            print("\(storage.displayName): up to date")
        } else {
            print("\(storage.displayName): applied \(migration.applied.joined(separator: ", "))")
        }
    }
}
