import ArgumentParser
import Foundation
import SLIP0013Signing
import Storage
import Support
import VestibuleApp
import Web

/// Prepares requests for `POST /login/trezor/verify` under wrk: per line, a session cookie, its
/// CSRF token and a signed answer to a challenge issued to that session. Each line signs in once.
/// Written straight into the server's database with the program's own types (the server may run).
struct VerifyFixtures: AsyncParsableCommand {
    static let configuration = CommandConfiguration(commandName: "verify-fixtures")

    @Option var count = 10000
    @Option var output: String

    func run() async throws {
        try prepare(configuration: try await VestibuleConfiguration.load())
    }

    func prepare(configuration: VestibuleConfiguration) throws {
        let storage = try openStorage(configuration)
        defer { storage.storage.close() }
        let sessions = SessionManager(settings: configuration.session, secretKey: storage.secretKey, clock: SystemClock(), random: SystemRandom())
        let signer = TestSigner(seed: 1)
        let random = SystemRandom()
        var lines: [String] = []
        lines.reserveCapacity(count)
        let visual = "2026-01-01 00:00:00"
        try storage.storage.write { tx in
            for _ in 0..<count {
                let issued = try sessions.issue(tx, userID: nil, replacing: nil, ipAddress: "127.0.0.1", userAgent: "wrk")
                let hidden = random.hex(byteCount: 32)
                _ = try tx.trezorChallenges.insert(
                    TrezorChallenge(
                        sessionID: issued.record.id, hidden: hidden, visual: visual, createdAt: Date(),
                        expiresAt: Date().addingTimeInterval(3600)))
                let signature = signer.sign(challengeHidden: Hex.decode(hidden)!, challengeVisual: visual)
                let body = #"{"challengeHidden":"\#(hidden)","challengeVisual":"\#(visual)","publicKey":"\#(signer.publicKeyHex)","signature":"\#(Hex.encode(signature))","address":"\#(signer.address)"}"#
                lines.append("\(issued.token)\t\(sessions.csrfToken(for: issued.record))\t\(body)")
            }
        }
        try (lines.joined(separator: "\n") + "\n").write(toFile: output, atomically: true, encoding: .utf8)
    }
}
