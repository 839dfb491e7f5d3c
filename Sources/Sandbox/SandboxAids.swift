import Foundation
import Support
import Web

/// Test and development aids, mounted only when the configuration turns the sandbox on (the dev
/// stack and the tests do; production never should). They run on the program's own workers (a
/// test stops the server mid-request with `/sandbox/delay`); the provider emulators have their
/// own FastCGI server and threads (`SandboxServer`).
public struct SandboxAids: Feature {
    let clock: AdjustableClock

    public init(clock: AdjustableClock) {
        self.clock = clock
    }

    public func register(_ routes: inout Routes) {
        // A request that takes as long as asked (at most 30 s): lets tests stop the server mid-request.
        routes.api(.get, "/sandbox/delay") { context in
            let milliseconds = min(30_000, max(0, Int(context.request.query["ms"] ?? "") ?? 1000))
            context.logger.info("sleeping", metadata: ["ms": "\(milliseconds)"])
            Thread.sleep(forTimeInterval: Double(milliseconds) / 1000)
            return .json(["slept_ms": milliseconds])
        }
        // Moves the server's clock forward, so tests can see expiry without waiting for it.
        routes.api(.post, "/sandbox/clock/advance") { context in
            guard let seconds = Double(context.request.query["seconds"] ?? ""), seconds > 0, seconds < 1e9 else {
                throw HTTPError.badRequest("Give seconds=N, a positive number.", field: "seconds")
            }
            clock.advance(by: seconds)
            return .json(["now": clock.now().timeIntervalSince1970])
        }
    }
}
