import Synchronization

/// Bounds the outbound calls in flight, in all and per key (a team): a handler that calls out
/// holds its worker thread for the call, so slow far ends must not take every worker. A call over
/// a bound is refused at once (`Busy`), never queued on a worker.
public final class OutboundGate: Sendable {
    public let total: Int
    public let perKey: Int
    private let inFlight = Mutex<(all: Int, byKey: [String: Int])>((0, [:]))

    public struct Busy: Error, CustomStringConvertible {
        public let description: String
    }

    /// - Parameters:
    ///   - total: calls in flight at once, in all (give it a share of the worker threads).
    ///   - perKey: calls in flight at once for one key.
    public init(total: Int, perKey: Int) {
        self.total = max(1, total)
        self.perKey = max(1, min(perKey, total))
    }

    /// The share of `threads` workers that may wait on the outside world at once: a quarter.
    public static func share(ofThreads threads: Int) -> Int { max(1, threads / 4) }

    /// Runs `body` holding a place, or throws `Busy` when there is none.
    @discardableResult
    public func withPlace<T>(for key: String, _ body: () throws -> T) throws -> T {
        try enter(key)
        defer { leave(key) }
        return try body()
    }

    private func enter(_ key: String) throws(Busy) {
        let refusal: String? = inFlight.withLock { state in
            if state.all >= total { return "\(total) outbound calls are in flight already" }
            if state.byKey[key, default: 0] >= perKey { return "\(perKey) outbound calls for \(key) are in flight already" }
            state.all += 1
            state.byKey[key, default: 0] += 1
            return nil
        }
        if let refusal { throw Busy(description: refusal) }
    }

    private func leave(_ key: String) {
        inFlight.withLock { state in
            state.all -= 1
            let left = state.byKey[key, default: 1] - 1
            state.byKey[key] = left > 0 ? left : nil
        }
    }
}
