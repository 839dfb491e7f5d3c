import Foundation
import Synchronization

/// The time, injected so that expiry can be tested without sleeping.
public protocol WallClock: Sendable {
    func now() -> Date
}

public struct SystemClock: WallClock {
    public init() {}
    public func now() -> Date { Date() }
}

/// A clock that starts at a given time (or the real time) and moves only when told to.
/// Tests use it directly; the sandbox uses it to let integration tests skip ahead in time.
public final class AdjustableClock: WallClock {
    private let offset = Mutex<TimeInterval>(0)
    private let base: (@Sendable () -> Date)

    /// A clock that follows the real time plus an offset that `advance` grows.
    public init() { base = { Date() } }

    /// A clock frozen at `start` until advanced.
    public init(fixedAt start: Date) { base = { start } }

    public func now() -> Date { base().addingTimeInterval(offset.withLock { $0 }) }

    public func advance(by seconds: TimeInterval) {
        offset.withLock { $0 += seconds }
    }
}
