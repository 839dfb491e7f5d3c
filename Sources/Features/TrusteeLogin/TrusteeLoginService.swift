import Foundation
import Logging
import Outbound
import Providers
import Storage
import Support
import Synchronization
import Web

/// Trustee wallet sign-in: attempts bound to the browser session, polled cheaply, finished by the
/// shared sign-in step. Trustee being down, slow or answering garbage never counts against a
/// person; a denial in the app counts against the address, like a bad signature.
public struct TrusteeLoginService: Sendable {
    public static let method = "trustee"
    /// A session keeps at most this many attempts (a reload starts a new one).
    static let attemptsPerSession = 5

    let client: any TrusteeClient
    let storage: any Storage
    let clock: any WallClock
    let random: any RandomSource
    let regulation: Regulation
    let step: SignInStep
    let gate: OutboundGate
    let unknownCodes = LoggedOnce()

    public init(
        client: any TrusteeClient, storage: any Storage, clock: any WallClock, random: any RandomSource,
        regulation: Regulation, step: SignInStep, gate: OutboundGate
    ) {
        self.client = client
        self.storage = storage
        self.clock = clock
        self.random = random
        self.regulation = regulation
        self.step = step
        self.gate = gate
    }

    var settings: TrusteeSettings { client.settings }
    /// How often the page polls: the check interval, so each poll may bring news.
    var pollInterval: Int { Int(settings.checkInterval * 1000) }

    // MARK: Start

    /// A new attempt for this session: siteStartRequest with a fresh uniqueKeyForRequest.
    func start(session: Stored<Session>, client request: Request, logger: Logger) throws -> Stored<TrusteeAttempt> {
        try regulation.refuseIfBanned(method: Self.method, subjects: [.init(scope: "ip", value: request.remoteAddress)])
        let uniqueKey = random.hex(byteCount: 24)
        let now = clock.now()
        let started: TrusteeStart
        do {
            started = try gate.withPlace(for: Self.method) { try client.start(uniqueKey: uniqueKey, now: now) }
        } catch let error as TrusteeError {
            logger.warning("Trustee siteStartRequest failed", metadata: ["reason": "\(error)"])
            throw HTTPError(.serviceUnavailable, error.message, headers: [.retryAfter: "5"])
        } catch is OutboundGate.Busy {
            throw HTTPError(.serviceUnavailable, "Too many sign-ins are waiting for Trustee right now. Try again in a moment.",
                headers: [.retryAfter: "2"])
        }
        return try storage.write { tx in
            try tx.trusteeAttempts.prune(session: session.id, keep: Self.attemptsPerSession)
            return try tx.trusteeAttempts.insert(
                TrusteeAttempt(
                    publicID: Base64URL.encode(random.bytes(18)), sessionID: session.id, uniqueKey: uniqueKey,
                    link: started.link, createdAt: now, expiresAt: started.expiresAt))
        }
    }

    /// The session's attempt with this public id; nil for an unknown one or another session's
    /// (the same answer, so nothing leaks).
    func attempt(_ publicID: String, session: Stored<Session>?) throws -> Stored<TrusteeAttempt>? {
        guard let session, let attempt = try storage.read({ tx in try tx.trusteeAttempts.attempt(publicID: publicID) }),
            attempt.sessionID == session.id
        else { return nil }
        return attempt
    }

    // MARK: Poll

    public struct PollAnswer: Sendable {
        public enum Status: String, Sendable { case pending, approved, denied, expired, error }
        public var status: Status
        public var message: String?
        public var created: Bool?
        /// The session to adopt: the approval signed this browser in.
        public var session: IssuedSession?
        public var linked = false
    }

    /// Where the attempt stands. At most one siteCheckRequest per attempt per check interval, on
    /// every node together (a claim in storage); every other poll answers from the stored result.
    func poll(_ attempt: Stored<TrusteeAttempt>, session: Stored<Session>, client request: Request, logger: Logger) throws
        -> PollAnswer
    {
        let now = clock.now()
        if let answer = Self.settled(attempt.record, now: now) {
            if answer.status == .expired, attempt.state == .pending { try record(attempt, .expired, error: nil, expiresAt: attempt.expiresAt) }
            return answer
        }
        if let checked = attempt.checkedAt, checked > now - settings.checkInterval { return Self.stored(attempt.record) }
        let claimed = try storage.write { tx in
            try tx.trusteeAttempts.claimCheck(attempt.id, at: now, unlessClaimedAfter: now - settings.checkInterval)
        }
        guard claimed else { return Self.stored(attempt.record) }
        return try check(attempt, session: session, client: request, logger: logger, now: now)
    }

    /// The answer an attempt gives by itself: used, denied, expired; nil while it is open.
    static func settled(_ attempt: TrusteeAttempt, now: Date) -> PollAnswer? {
        if attempt.usedAt != nil {
            if attempt.state == .approved { return PollAnswer(status: .approved, created: attempt.createdAccount) }
            return PollAnswer(status: .denied, message: attempt.lastError ?? Messages.denied)
        }
        switch attempt.state {
        case .denied: return PollAnswer(status: .denied, message: attempt.lastError ?? Messages.denied)
        case .expired: return PollAnswer(status: .expired, message: Messages.expired)
        case .approved: return PollAnswer(status: .approved, created: attempt.createdAccount)
        case .pending: return now >= attempt.expiresAt ? PollAnswer(status: .expired, message: Messages.expired) : nil
        }
    }

    /// An open attempt's last result, without asking Trustee.
    static func stored(_ attempt: TrusteeAttempt) -> PollAnswer {
        if let error = attempt.lastError { return PollAnswer(status: .error, message: error) }
        return PollAnswer(status: .pending)
    }

    private func check(
        _ attempt: Stored<TrusteeAttempt>, session: Stored<Session>, client request: Request, logger: Logger, now: Date
    ) throws -> PollAnswer {
        let checked: TrusteeCheck
        do {
            checked = try gate.withPlace(for: Self.method) { try client.check(uniqueKey: attempt.uniqueKey) }
        } catch let error as TrusteeError {
            logger.warning("Trustee siteCheckRequest failed", metadata: ["reason": "\(error)"])
            try record(attempt, .pending, error: error.message, expiresAt: attempt.expiresAt)
            return PollAnswer(status: .error, message: error.message)
        } catch is OutboundGate.Busy {
            return Self.stored(attempt.record)
        }
        if let code = checked.unknownCode, unknownCodes.first(attempt.record.publicID) {
            logger.notice("Trustee sent a statusCode in none of trustee.statusCodes; counted as pending", metadata: ["statusCode": "\(code)"])
        }
        let expiresAt = checked.expiresAt ?? attempt.expiresAt
        let address = [Regulation.Subject(scope: "ip", value: request.remoteAddress)]
        switch checked.status {
        case _ where now >= expiresAt, .expired:
            try record(attempt, .expired, error: nil, expiresAt: expiresAt)
            return PollAnswer(status: .expired, message: Messages.expired)
        case .pending:
            try record(attempt, .pending, error: nil, expiresAt: expiresAt)
            return PollAnswer(status: .pending)
        case .denied:
            try record(attempt, .denied, error: nil, expiresAt: expiresAt)
            // Counted like a bad signature; an address banned already needs no more counting.
            if let reservation = try? regulation.admit(method: Self.method, subjects: address) { try regulation.fail(reservation) }
            return PollAnswer(status: .denied, message: Messages.denied)
        case .approved(let wallet):
            let reservation = try regulation.admit(method: Self.method, subjects: address)
            return try finish(attempt, wallet: wallet, session: session, reservation: reservation, client: request)
        }
    }

    private func finish(
        _ attempt: Stored<TrusteeAttempt>, wallet: TrusteeWallet, session: Stored<Session>,
        reservation: Regulation.Reservation, client request: Request
    ) throws -> PollAnswer {
        let now = clock.now()
        let proof = SignInStep.Proof(
            method: Self.method, subject: wallet.userPublicToken, detail: Self.detail(of: wallet), displayName: wallet.name ?? "")
        do {
            let completion = try step.finish(
                proof, session: session, reservation: reservation, client: request,
                consume: { tx in try tx.trusteeAttempts.markUsed(attempt.id, at: now) },
                settle: { tx, completion in
                    try tx.trusteeAttempts.settle(attempt.id, session: completion.session.record.id, createdAccount: completion.created)
                })
            return PollAnswer(status: .approved, created: completion.created, session: completion.session, linked: completion.linked)
        } catch SignInStep.Refusal.alreadyUsed {
            // Another poll finished it first (and rotated this browser's session).
            return PollAnswer(status: .approved, created: false)
        } catch SignInStep.Refusal.belongsToAnotherAccount {
            try storage.write { tx in try tx.trusteeAttempts.close(attempt.id, state: .denied, lastError: Messages.anotherAccount, at: now) }
            return PollAnswer(status: .denied, message: Messages.anotherAccount)
        }
    }

    private func record(_ attempt: Stored<TrusteeAttempt>, _ state: TrusteeAttempt.State, error: String?, expiresAt: Date) throws {
        try storage.write { tx in
            try tx.trusteeAttempts.recordCheck(attempt.id, state: state, lastError: error, expiresAt: expiresAt)
        }
    }

    /// Shown beside the identity: the name and a masked phone number, when Trustee gave them.
    static func detail(of wallet: TrusteeWallet) -> String {
        [wallet.name, wallet.phone.flatMap(maskedPhone)].compactMap { $0 }.joined(separator: ", ")
    }

    /// Only the last two digits: `•••••••67`. Fewer than four digits is no phone number.
    static func maskedPhone(_ phone: String) -> String? {
        let digits = phone.filter(\.isASCIIDigit)
        guard digits.count >= 4 else { return nil }
        return String(repeating: "•", count: digits.count - 2) + digits.suffix(2)
    }

    enum Messages {
        static let denied = "The sign-in was declined in the Trustee app."
        static let expired = "This QR code has expired. Start again for a new one."
        static let anotherAccount =
            "This Trustee wallet is already linked to another account. Sign out and sign in with it instead."
    }
}

extension Character {
    var isASCIIDigit: Bool { isASCII && isNumber }
}

/// Remembers which keys were seen, so something is logged once per attempt on this node
/// (bounded: the oldest half is forgotten past `capacity`).
final class LoggedOnce: Sendable {
    private let seen = Mutex<(set: Set<String>, order: [String])>(([], []))
    let capacity = 10_000

    /// True the first time `key` is passed.
    func first(_ key: String) -> Bool {
        seen.withLock { state in
            guard state.set.insert(key).inserted else { return false }
            state.order.append(key)
            if state.order.count > capacity {
                let dropped = state.order.prefix(capacity / 2)
                state.set.subtract(dropped)
                state.order.removeFirst(capacity / 2)
            }
            return true
        }
    }
}
