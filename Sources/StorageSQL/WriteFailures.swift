import Synchronization

/// The last real write that failed for a reason an operator can act on, until a write succeeds
/// or a minute passes: the health check reports it even when its own small write gets through.
public final class WriteFailures: Sendable {
    private let last = Mutex<(reason: String, at: ContinuousClock.Instant)?>(nil)

    public init() {}

    public func record(_ reason: String) { last.withLock { $0 = (reason, .now) } }
    public func clear() { last.withLock { $0 = nil } }

    public func recent() -> String? {
        last.withLock { last in
            guard let last, ContinuousClock.now - last.at < .seconds(60) else { return nil }
            return last.reason
        }
    }
}
