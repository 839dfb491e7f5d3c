import Crypto
import Foundation
import Storage
import Support
import Synchronization
import Web

/// Vestibule's Ed25519 key for signing the envelopes it returns, made on first use and stored
/// sealed. The Connector (2.x) pins the public key the first time it sees it and then refuses any
/// unsigned or wrongly signed envelope.
final class EnvelopeSigner: Sendable {
    static let purpose = "envelope-signing"

    let enabled: Bool
    private let storage: any Storage
    private let clock: any WallClock
    private let sealer: SecretSealer
    private let cached = Mutex<Curve25519.Signing.PrivateKey?>(nil)

    init(enabled: Bool, storage: any Storage, clock: any WallClock, secretKey: SecretKey) {
        self.enabled = enabled
        self.storage = storage
        self.clock = clock
        sealer = SecretSealer(secretKey: secretKey, purpose: Self.purpose)
    }

    /// The signing key, made and stored the first time it is needed. Nodes making it at once
    /// store one, and every node signs with that one.
    func key() throws -> Curve25519.Signing.PrivateKey {
        if let key = cached.withLock({ $0 }) { return key }
        let stored = try storage.read { tx in try tx.signingKeys.key(purpose: Self.purpose) } ?? storage.write { tx in
            let fresh = Curve25519.Signing.PrivateKey()
            return try tx.signingKeys.insertIfAbsent(
                SigningKey(
                    purpose: Self.purpose, publicKey: Hex.encode(fresh.publicKey.rawRepresentation),
                    privateKeySealed: Data(try sealer.seal(Array(fresh.rawRepresentation), context: Self.purpose)),
                    createdAt: clock.now()))
        }
        let key = try Curve25519.Signing.PrivateKey(
            rawRepresentation: try sealer.open(Array(stored.privateKeySealed), context: Self.purpose))
        cached.withLock { $0 = key }
        return key
    }

    var publicKeyHex: String {
        get throws { Hex.encode(try key().publicKey.rawRepresentation) }
    }

    /// The bytes the signature covers: the envelope without `signature` and `signaturePublicKey`,
    /// top-level keys sorted by byte (PHP's `ksort`), encoded as the Connector encodes it.
    static func canonical(_ members: [(key: String, value: JSONValue)]) -> [UInt8] {
        let kept = members.filter { $0.key != "signature" && $0.key != "signaturePublicKey" }
            .sorted { Array($0.key.utf8).lexicographicallyPrecedes(Array($1.key.utf8)) }
        return PHPJSON.encode(.object(kept))
    }

    /// Lowercase hex of the Ed25519 signature over the canonical form.
    func sign(_ members: [(key: String, value: JSONValue)]) throws -> String {
        Hex.encode(try key().signature(for: Self.canonical(members)))
    }
}
