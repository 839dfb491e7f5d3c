import Foundation

/// Runs `body(0..<count)` on `count` threads of their own, released together, and waits for all:
/// unlike `concurrentPerform` (a thread per core), every call is in flight at once.
func inParallel(_ count: Int, _ body: @escaping @Sendable (Int) -> Void) {
    let gate = DispatchSemaphore(value: 0)
    let done = DispatchGroup()
    for index in 0..<count {
        done.enter()
        let thread = Thread {
            gate.wait()
            body(index)
            done.leave()
        }
        thread.start()
    }
    for _ in 0..<count { gate.signal() }
    done.wait()
}
