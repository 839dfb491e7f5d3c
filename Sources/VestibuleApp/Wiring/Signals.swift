import Dispatch
import Foundation
import Synchronization

/// Waits for SIGTERM or SIGINT. Installed early, so a signal during start-up is not lost either.
public final class ShutdownSignals: Sendable {
    /// Only kept alive, never touched after `init`: dispatch sources are not Sendable.
    nonisolated(unsafe) private let sources: [any DispatchSourceSignal]
    private let received = Mutex<(signal: Int32?, waiter: CheckedContinuation<Int32, Never>?)>((nil, nil))
    private let queue = DispatchQueue(label: "vestibule.signals")

    public init(_ signals: [Int32] = [SIGTERM, SIGINT]) {
        let queue = self.queue
        sources = signals.map { number in
            signal(number, SIG_IGN)
            return DispatchSource.makeSignalSource(signal: number, queue: queue)
        }
        for (source, number) in zip(sources, signals) {
            source.setEventHandler { [self] in deliver(number) }
            source.resume()
        }
    }

    private func deliver(_ number: Int32) {
        let waiter = received.withLock { state -> CheckedContinuation<Int32, Never>? in
            guard state.signal == nil else { return nil }
            state.signal = number
            defer { state.waiter = nil }
            return state.waiter
        }
        waiter?.resume(returning: number)
    }

    /// Ends the wait as a signal would, for a reason of the program's own (nginx exited, say).
    public func trigger(_ number: Int32) { deliver(number) }

    /// Returns the first signal received (at once if one already came).
    public func wait() async -> Int32 {
        await withCheckedContinuation { continuation in
            let already = received.withLock { state -> Int32? in
                if let signal = state.signal { return signal }
                state.waiter = continuation
                return nil
            }
            if let already { continuation.resume(returning: already) }
        }
    }
}
