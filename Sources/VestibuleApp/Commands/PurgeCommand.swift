import ArgumentParser
import Foundation
import Storage

struct PurgeCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "purge",
        abstract: "Delete what has expired: sessions, Trezor challenges, failed-login records and bans, TrustedLogin grants past their expiry and log records past their retention.",
        discussion: "Safe to run while the server runs (a cron job or systemd timer, say).")

    @OptionGroup var options: ConfigOptions

    func run() async throws {
        let configuration = try await options.load()
        let database = try AppDatabase(path: configuration.databasePath)
        try database.migrate()
        let now = Date()
        let retention = TimeInterval(configuration.trustedLogin.logRetentionDays * 86400)
        let (sessions, challenges, regulation, grants, logs) = try database.write { db in
            (try SessionStore().purge(db, now: now, idleTimeout: configuration.session.idleTimeout),
             try TrezorChallengeStore().purge(db, now: now),
             try RegulationStore().purge(db, now: now, findTime: configuration.regulation.findTime),
             try TrustedLoginStore().purgeExpiredGrants(db, now: now),
             try TrustedLoginStore().purgeLogs(db, before: now.addingTimeInterval(-retention))
                + TrustedLoginStore().purgeRequestNonces(db, before: now.addingTimeInterval(-3600)))
        }
        try database.close()
        print("""
            purged \(sessions) session(s), \(challenges) Trezor challenge(s), \(regulation) regulation record(s), \
            \(grants) expired grant(s), \(logs) log record(s) older than \(configuration.trustedLogin.logRetentionDays) days
            """)
    }
}
