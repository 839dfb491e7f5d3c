import Storage
import Synchronization

/// The last real write that failed for a reason an operator can act on, until a write succeeds
/// or a minute passes: the health check reports it even when its own small write gets through.
public final class WriteHealth: Sendable {
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

    /// Runs a write, remembering an `unavailable` failure, and forgetting the last one when a
    /// write that counts succeeds (`clears`: not the health check's own small write).
    public func watching<T>(clears: Bool, _ write: () throws -> T) throws -> T {
        do {
            let result = try write()
            if clears { clear() }
            return result
        } catch let error as StorageError {
            if case .unavailable(let reason) = error { record(reason) }
            throw error
        }
    }

    /// The health check of both backends: `probe` (a small write) succeeds, and no real write
    /// failed lately.
    public func health(probing probe: () throws -> Void) -> StorageHealth {
        do {
            try probe()
        } catch StorageError.unavailable(let reason) {
            return .unavailable(reason: reason)
        } catch {
            return .unavailable(reason: "a test write failed: \(error)")
        }
        if let reason = recent() { return .unavailable(reason: reason) }
        return .ok
    }
}
