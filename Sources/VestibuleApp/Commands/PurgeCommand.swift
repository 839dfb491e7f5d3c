import ArgumentParser
import Foundation
import Storage

struct PurgeCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "purge",
        abstract: "Delete what has expired: sessions, Trezor challenges, old failed-login records and bans.",
        discussion: "Safe to run while the server runs (a cron job or systemd timer, say).")

    @OptionGroup var options: ConfigOptions

    func run() async throws {
        let configuration = try await options.load()
        let database = try AppDatabase(path: configuration.databasePath)
        try database.migrate()
        let now = Date()
        let (sessions, challenges, regulation) = try database.write { db in
            (try SessionStore().purge(db, now: now, idleTimeout: configuration.session.idleTimeout),
             try TrezorChallengeStore().purge(db, now: now),
             try RegulationStore().purge(db, now: now, findTime: configuration.regulation.findTime))
        }
        try database.close()
        print("purged \(sessions) session(s), \(challenges) Trezor challenge(s), \(regulation) regulation record(s)")
    }
}
