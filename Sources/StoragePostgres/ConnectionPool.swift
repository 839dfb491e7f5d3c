import Dispatch
import Foundation
import Storage
import Synchronization

/// At most `capacity` connections, one per thread using it at a time: the server passes its
/// worker thread count, so each worker has a connection of its own and never waits for one.
/// A broken connection is dropped and the next checkout connects anew; while the server cannot
/// be reached, checkouts fail at once for a second instead of each waiting for the timeout.
final class ConnectionPool: Sendable {
    private let location: PostgresLocation
    private let slots: DispatchSemaphore
    private let capacity: Int
    private let state = Mutex<State>(State())

    private struct State: Sendable {
        var idle: [PGConnection] = []
        var lastFailure: (reason: String, at: ContinuousClock.Instant)?
    }

    init(location: PostgresLocation, capacity: Int) {
        self.location = location
        self.capacity = max(1, capacity)
        slots = DispatchSemaphore(value: self.capacity)
    }

    /// Runs `body` with a connection of its own, and takes the connection back.
    func withConnection<T>(_ body: (PGConnection) throws -> T) throws -> T {
        guard slots.wait(timeout: .now() + 10) == .success else {
            throw StorageError.unavailable(reason: "all \(capacity) PostgreSQL connections stayed busy for 10 s")
        }
        defer { slots.signal() }
        let connection = try checkOut()
        defer { checkIn(connection) }
        return try body(connection)
    }

    private func checkOut() throws -> PGConnection {
        let (idle, failure) = state.withLock { state -> (PGConnection?, String?) in
            if let connection = state.idle.popLast() { return (connection, nil) }
            if let last = state.lastFailure, ContinuousClock.now - last.at < .seconds(1) { return (nil, last.reason) }
            return (nil, nil)
        }
        if let idle { return idle }
        if let failure { throw StorageError.unavailable(reason: failure) }
        do {
            return try PGConnection(location)
        } catch StorageError.unavailable(let reason) {
            state.withLock { $0.lastFailure = (reason, .now) }
            throw StorageError.unavailable(reason: reason)
        }
    }

    /// A connection that is broken, or was left inside a transaction, is closed, not reused.
    private func checkIn(_ connection: PGConnection) {
        guard connection.isUsable, !connection.inTransaction else { return }
        connection.wasReused = true
        state.withLock {
            $0.idle.append(connection)
            $0.lastFailure = nil
        }
    }

    /// Closes the idle connections.
    func drain() {
        state.withLock { $0.idle.removeAll() }
    }
}
