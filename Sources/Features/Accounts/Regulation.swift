import Foundation
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
/// An admitted attempt is recorded as pending in the same write transaction that checks the
/// limit, and confirmed and pending attempts together may not exceed it, so parallel attempts
/// cannot slip past: the transaction serializes on each subject, on every node. Only confirmed failures ban: a refusal confirms
/// its attempt (`fail`), a successful login deletes it in the transaction that signs in (`forgive`).
/// Too many attempts at once, with too few failures for a ban, get a short 429 instead.
public struct Regulation: Sendable {
    public let settings: RegulationSettings
    let storage: any Storage
    let clock: any WallClock

    public init(settings: RegulationSettings, storage: any Storage, clock: any WallClock) {
        self.settings = settings
        self.storage = storage
        self.clock = clock
    }

    public typealias Subject = RegulationSubject

    /// The pending attempt, until it fails or succeeds.
    public struct Reservation: Sendable {
        let method: String
        let subjects: [Subject]
        let attemptIDs: [RegulationAttemptID]
    }

    private enum Admission {
        case admitted(Reservation)
        case banned(seconds: TimeInterval)
        case busy
    }

    /// Admits one attempt, or throws 429 with `Retry-After`.
    public func admit(method: String, subjects: [Subject]) throws -> Reservation {
        let now = clock.now()
        let admission = try storage.write { tx -> Admission in
            let standing = try standing(tx, method: method, subjects: subjects, now: now)
            if let seconds = standing.banSeconds { return .banned(seconds: seconds) }
            if standing.full { return .busy }
            return .admitted(Reservation(method: method, subjects: subjects, attemptIDs: try tx.regulation.record(
                subjects.map { RegulationAttempt(method: method, subject: $0, failedAt: now, pending: true) })))
        }
        switch admission {
        case .admitted(let reservation): return reservation
        case .banned(let seconds): throw tooMany(seconds)
        case .busy:
            throw HTTPError.tooManyRequests(retryAfter: 1, "Too many sign-in attempts at once. Wait a moment and try again.")
        }
    }

    /// Throws 429 when a subject is banned now, recording nothing: for the step before an
    /// attempt (a Trustee start), so a banned address causes no upstream call.
    public func refuseIfBanned(method: String, subjects: [Subject]) throws {
        let now = clock.now()
        let seconds = try storage.write { tx in try standing(tx, method: method, subjects: subjects, now: now).banSeconds }
        if let seconds { throw tooMany(seconds) }
    }

    /// Seconds until every ban on the subjects ends (a subject that has reached the limit is
    /// banned now), and whether the attempts in flight fill the limit of a subject not banned.
    /// Holds each subject's lock until the transaction ends, taken in one order everywhere.
    private func standing(_ tx: any Transaction, method: String, subjects: [Subject], now: Date) throws
        -> (banSeconds: TimeInterval?, full: Bool)
    {
        try tx.serialize(on: subjects.map { "regulation:\(method):\($0.scope):\($0.value)" })
        var until: Date?
        var full = false
        for subject in subjects {
            let counts = try tx.regulation.standing(method: method, subject: subject, now: now, since: now - settings.findTime)
            var end = counts.bannedUntil
            if end == nil {
                if counts.confirmed >= settings.maxFailures {
                    end = now + settings.banTime
                    try tx.regulation.ban(method: method, subject: subject, until: end!)
                } else if counts.confirmed + counts.pending >= settings.maxFailures {
                    full = true
                }
            }
            if let end { until = max(until ?? end, end) }
        }
        return (until.map { $0.timeIntervalSince(now) }, full)
    }

    /// The attempt was refused: it is a failure now, and may ban its subjects.
    public func fail(_ reservation: Reservation) throws {
        let now = clock.now()
        try storage.write { tx in
            try tx.regulation.confirm(reservation.attemptIDs)
            _ = try standing(tx, method: reservation.method, subjects: reservation.subjects, now: now)
        }
    }

    /// The attempt succeeded: it does not count. Runs in the login's own transaction.
    public func forgive(_ tx: any Transaction, _ reservation: Reservation) throws {
        try tx.regulation.delete(reservation.attemptIDs)
    }

    private func tooMany(_ seconds: TimeInterval) -> HTTPError {
        let wait = Int(seconds.rounded(.up))
        return .tooManyRequests(
            retryAfter: wait,
            "Too many failed sign-in attempts. Wait \(wait >= 120 ? "\(wait / 60) minutes" : "\(wait) seconds") and try again.")
    }
}
