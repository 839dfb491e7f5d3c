import ArgumentParser
import Foundation
import Storage

struct PurgeCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "purge",
        abstract: "Delete what has expired: sessions past their idle or absolute limit.",
        discussion: "Safe to run while the server runs (a cron job or systemd timer, say).")

    @OptionGroup var options: ConfigOptions

    func run() async throws {
        let configuration = try await options.load()
        let database = try AppDatabase(path: configuration.databasePath)
        try database.migrate()
        let sessions = try database.write { db in
            try SessionStore().purge(db, now: Date(), idleTimeout: configuration.session.idleTimeout)
        }
        try database.close()
        print("purged \(sessions) expired session(s)")
    }
}
