import ArgumentParser
import CSecp256k1
import Foundation
import SLIP0013
import Support

/// The SLIP-0013 verifier beside raw libsecp256k1 recovery, in one process, rounds alternating.
struct Verifier: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "verifier", abstract: "Verifications per second: SignedIdentity.verify vs raw secp256k1_ecdsa_recover.")

    @Option var iterations = 4000
    @Option var rounds = 5

    // The device vector of docs/spec/trezor-login.md.
    static let hidden = Hex.decode("cd8552569d6e4509266ef137584d1e62c7579b5b8ed69bbafa4b864c6521e7c2")!
    static let visual = "2015-03-23 17:39:22"
    static let key = Hex.decode("023a472219ad3327b07c18273717bb3a40b39b743756bf287fbd5fa9d263237f45")!
    static let signature = Hex.decode(
        "20f2d1a42d08c3a362be49275c3ffeeaa415fc040971985548b9f910812237bb41770bf2c8d488428799fbb7e52c11f1a3404011375e4080e077e0e42ab7a5ba02")!

    func run() throws {
        let context = secp256k1_context_create(UInt32(SECP256K1_CONTEXT_NONE))!
        defer { secp256k1_context_destroy(context) }
        let digest = SignedIdentity.digest(challengeHidden: Self.hidden, challengeVisual: Self.visual)
        let compact = Array(Self.signature[1...])
        var best = (verifier: 0.0, raw: 0.0)
        for _ in 0..<rounds {
            best.raw = max(best.raw, perSecond {
                var parsed = secp256k1_ecdsa_recoverable_signature()
                var key = secp256k1_pubkey()
                guard secp256k1_ecdsa_recoverable_signature_parse_compact(context, &parsed, compact, 1) == 1,
                    secp256k1_ecdsa_recover(context, &key, &parsed, digest) == 1
                else { fatalError("raw recovery failed") }
            })
            best.verifier = max(best.verifier, perSecond {
                do {
                    try SignedIdentity.verify(
                        challengeHidden: Self.hidden, challengeVisual: Self.visual, publicKey: Self.key, signature: Self.signature)
                } catch { fatalError("the vector did not verify") }
            })
        }
        print("verifier \(Int(best.verifier)) raw \(Int(best.raw)) ratio \(String(format: "%.3f", best.verifier / best.raw))")
    }

    /// Operations per second of `body` over `iterations` calls.
    private func perSecond(_ body: () -> Void) -> Double {
        let start = ContinuousClock.now
        for _ in 0..<iterations { body() }
        let elapsed = ContinuousClock.now - start
        return Double(iterations) / (elapsed / .seconds(1))
    }
}
