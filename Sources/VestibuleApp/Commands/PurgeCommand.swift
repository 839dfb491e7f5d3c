import ArgumentParser
import Foundation
import Logging
import Storage

struct PurgeCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "purge",
        abstract: "Delete what has expired: sessions, Trezor challenges, failed-login records and bans, TrustedLogin grants past their expiry and log records past their retention.",
        discussion: "Safe to run while the server runs (a cron job or systemd timer, say).")

    @OptionGroup var options: ConfigOptions

    func run() async throws {
        let configuration = try await options.load()
        let (storage, _) = try StorageOpening.open(configuration, connections: 1, logger: LogSetup.bootstrap(level: configuration.logLevel))
        defer { storage.close() }
        let now = Date()
        let retention = TimeInterval(configuration.trustedLogin.logRetentionDays * 86400)
        let (sessions, challenges, regulation, grants, logs) = try storage.write { tx in
            (try tx.sessions.purge(now: now, idleTimeout: configuration.session.idleTimeout, anonymousLifetime: 3600),
             // Trustee attempts are kept an hour past their end, so a late poll still reads its answer.
             try tx.trezorChallenges.purge(now: now) + tx.trusteeAttempts.purge(before: now.addingTimeInterval(-3600)),
             try tx.regulation.purge(now: now, findTime: configuration.regulation.findTime),
             try tx.grants.purgeExpired(now: now, team: nil) + tx.invitations.purge(before: now) + tx.connect.purge(before: now),
             try tx.teamLogs.purge(before: now.addingTimeInterval(-retention))
                + tx.nonces.purgeRequestNonces(before: now.addingTimeInterval(-3600)))
        }
        print("""
            purged \(sessions) session(s), \(challenges) sign-in request(s) (Trezor, Trustee), \(regulation) regulation record(s), \
            \(grants) expired grant(s) and invitation(s), \(logs) log record(s) older than \(configuration.trustedLogin.logRetentionDays) days
            """)
    }
}
