import Foundation
import GRDB
import HTTPTypes
import Storage
import Support
import Web

public struct RegulationSettings: Sendable {
    /// Failures within `findTime` that trigger a ban.
    public var maxFailures: Int
    public var findTime: TimeInterval
    public var banTime: TimeInterval

    public init(maxFailures: Int = 3, findTime: TimeInterval = 120, banTime: TimeInterval = 300) {
        self.maxFailures = maxFailures
        self.findTime = findTime
        self.banTime = banTime
    }
}

/// Brute-force protection for login methods, per client address and per identity (Authelia's
/// model: `maxFailures` failures within `findTime` ban the subject for `banTime`).
///
/// An attempt is counted as a failure when it is admitted, in the same write transaction as the
/// check, so parallel attempts cannot slip past the limit (SQLite serializes writers); a
/// successful login removes its own count, in the transaction that signs in.
public struct Regulation: Sendable {
    public let settings: RegulationSettings
    let database: AppDatabase
    let clock: any WallClock
    let store = RegulationStore()

    public init(settings: RegulationSettings, database: AppDatabase, clock: any WallClock) {
        self.settings = settings
        self.database = database
        self.clock = clock
    }

    public typealias Subject = RegulationStore.Subject

    /// The failures this attempt counts as until it succeeds.
    public struct Reservation: Sendable {
        let failureIDs: [Int64]
    }

    /// Admits one attempt, or throws 429 with `Retry-After` while any subject is banned.
    public func admit(method: String, subjects: [Subject]) throws -> Reservation {
        let now = clock.now()
        let outcome = try database.write { db -> Result<Reservation, HTTPError> in
            if let retryAfter = try banned(db, method: method, subjects: subjects, now: now) {
                return .failure(tooMany(retryAfter))
            }
            return .success(Reservation(failureIDs: try subjects.map {
                try store.recordFailure(db, method: method, subject: $0, at: now)
            }))
        }
        return try outcome.get()
    }

    /// Seconds until every ban on the subjects ends; bans a subject that has reached the limit.
    private func banned(_ db: Database, method: String, subjects: [Subject], now: Date) throws -> TimeInterval? {
        var until: Date?
        for subject in subjects {
            var end = try store.bannedUntil(db, method: method, subject: subject, now: now)
            if end == nil,
                try store.failures(db, method: method, subject: subject, since: now - settings.findTime) >= settings.maxFailures
            {
                end = now + settings.banTime
                try store.ban(db, method: method, subject: subject, until: end!)
            }
            if let end { until = max(until ?? end, end) }
        }
        return until.map { $0.timeIntervalSince(now) }
    }

    /// The attempt succeeded: it does not count. Runs in the login's own transaction.
    public func forgive(_ db: Database, _ reservation: Reservation) throws {
        try store.deleteFailures(db, ids: reservation.failureIDs)
    }

    private func tooMany(_ seconds: TimeInterval) -> HTTPError {
        let wait = Int(seconds.rounded(.up))
        return .tooManyRequests(
            retryAfter: wait,
            "Too many failed sign-in attempts. Wait \(wait >= 120 ? "\(wait / 60) minutes" : "\(wait) seconds") and try again.")
    }
}
