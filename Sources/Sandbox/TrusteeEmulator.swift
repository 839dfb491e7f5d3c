import Foundation
import Support
import Synchronization
import Web

/// Trustee as the sandbox plays it: the GraphQL endpoint for siteStartRequest and
/// siteCheckRequest with the defaults of spec/providers.md (the link field `link`, statusCode 0
/// pending, 1 approved, 2 denied, 3 expired, `resRequestWillExpire` in unix seconds, results as
/// JSON strings), requests that expire after 120 s on the sandbox clock, and a "phone" page to
/// approve or deny them.
public final class TrusteeEmulator: Sendable {
    /// The key the emulator accepts, and the one Vestibule sends it when none is configured.
    public static let merchantWebKey = "sandbox-merchant-web-key"
    public static let requestLifetime: TimeInterval = 120

    /// Test wallets the phone page approves as.
    public struct Wallet: Sendable {
        public let id: String
        public let userPublicToken: String
        public let name: String
        public let phone: String
    }

    public static let wallets = [
        Wallet(id: "alice", userPublicToken: "tpt_sandbox_alice_5f2c9e", name: "Alice Sandbox", phone: "+380671234567"),
        Wallet(id: "bob", userPublicToken: "tpt_sandbox_bob_81d4a0", name: "Bob Sandbox", phone: "+15551230198"),
        Wallet(id: "carol", userPublicToken: "tpt_sandbox_carol_c07b13", name: "Carol Sandbox", phone: "+447700900461"),
    ]

    struct Request: Sendable {
        let uniqueKey: String
        let requestType: String
        let createdAt: Date
        let expiresAt: Date
        /// 0 pending, 1 approved, 2 denied (3, expired, is worked out from the time).
        var statusCode: Int
        var wallet: (token: String, name: String?, phone: String?)?
    }

    /// How the emulator answers GraphQL: as Trustee would, as a server that is down (503), or
    /// with garbage (HTML with 200): for tests of what a person sees when Trustee misbehaves.
    public enum Mode: String, Sendable { case normal, down, garbage }

    struct State: Sendable {
        var mode = Mode.normal
        var requests: [String: Request] = [:]
        var order: [String] = []
        var calls: [String: Int] = ["siteStartRequest": 0, "siteCheckRequest": 0]
    }

    let clock: any WallClock
    let state = Mutex(State())

    public init(clock: any WallClock) {
        self.clock = clock
    }

    var mode: Mode {
        get { state.withLock { $0.mode } }
        set { state.withLock { $0.mode = newValue } }
    }

    /// How many times each mutation was called: lets tests see what the polls cost upstream.
    func calls() -> [String: Int] { state.withLock { $0.calls } }

    func start(uniqueKey: String, requestType: String) -> Result<Request, EmulatorError> {
        let now = clock.now()
        return state.withLock { state in
            state.calls["siteStartRequest", default: 0] += 1
            guard state.requests[uniqueKey] == nil else { return .failure(.init("uniqueKeyForRequest has been used before")) }
            let request = Request(
                uniqueKey: uniqueKey, requestType: requestType, createdAt: now, expiresAt: now + Self.requestLifetime,
                statusCode: 0)
            state.requests[uniqueKey] = request
            state.order.append(uniqueKey)
            if state.order.count > 1000 { state.requests[state.order.removeFirst()] = nil }
            return .success(request)
        }
    }

    func check(uniqueKey: String) -> Result<Request, EmulatorError> {
        state.withLock { state in
            state.calls["siteCheckRequest", default: 0] += 1
            guard let request = state.requests[uniqueKey] else { return .failure(.init("No request with this uniqueKeyForRequest")) }
            return .success(request)
        }
    }

    /// Approves (with a wallet) or denies a pending request; false when there is none.
    func answer(uniqueKey: String, wallet: (token: String, name: String?, phone: String?)?) -> Bool {
        let now = clock.now()
        return state.withLock { state in
            guard var request = state.requests[uniqueKey], request.statusCode == 0, request.expiresAt > now else { return false }
            request.statusCode = wallet == nil ? 2 : 1
            request.wallet = wallet
            state.requests[uniqueKey] = request
            return true
        }
    }

    /// Pending requests, newest first.
    func pending() -> [Request] {
        let now = clock.now()
        return state.withLock { state in
            state.order.reversed().compactMap { state.requests[$0] }.filter { $0.statusCode == 0 && $0.expiresAt > now }
        }
    }

    /// The status code as Trustee would send it now: a pending request past its time is 3.
    func statusCode(of request: Request) -> Int {
        request.statusCode == 0 && clock.now() >= request.expiresAt ? 3 : request.statusCode
    }

    static func link(for uniqueKey: String) -> String { "https://trustee.example/login?key=\(uniqueKey)" }
}

struct EmulatorError: Error {
    let message: String
    init(_ message: String) { self.message = message }
}
