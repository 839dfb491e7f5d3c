import ArgumentParser
import Storage

struct MigrateCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "migrate", abstract: "Create or update the database schema (serve also does this at start).")

    @OptionGroup var options: ConfigOptions

    func run() async throws {
        let configuration = try await options.load()
        let database = try AppDatabase(path: configuration.databasePath)
        let applied = try database.migrate()
        try database.close()
        if applied.isEmpty {
            print("\(configuration.databasePath): up to date")
        } else {
            print("\(configuration.databasePath): applied \(applied.joined(separator: ", "))")
        }
    }
}
