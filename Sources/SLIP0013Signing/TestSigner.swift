import CSecp256k1
import SLIP0013
import Support

/// Signs SLIP-0013 challenges as a Trezor would, with a given private key: for tests and the
/// benchmark, never linked into the program. Uses libsecp256k1's own signing (low S, RFC 6979).
public struct TestSigner: Sendable {
    public let privateKey: [UInt8]
    public let publicKey: [UInt8]

    public var publicKeyHex: String { Hex.encode(publicKey) }
    public var address: String { SignedIdentity.address(publicKey: publicKey) }

    /// - Parameter privateKey: 32 bytes, a valid secp256k1 secret.
    public init(privateKey: [UInt8]) {
        precondition(privateKey.count == 32)
        self.privateKey = privateKey
        var key = secp256k1_pubkey()
        let context = Self.context
        precondition(secp256k1_ec_pubkey_create(context, &key, privateKey) == 1, "not a valid secret key")
        var out = [UInt8](repeating: 0, count: 33)
        var length = 33
        _ = secp256k1_ec_pubkey_serialize(context, &out, &length, &key, UInt32(SECP256K1_EC_COMPRESSED))
        publicKey = out
    }

    /// A deterministic test key from a small number (never a real wallet's key).
    public init(seed: UInt8) {
        self.init(privateKey: [UInt8](repeating: 0, count: 31) + [max(1, seed)])
    }

    /// The 65-byte signature, header 31 + recid, as Trezor returns it.
    public func sign(challengeHidden: [UInt8], challengeVisual: String) -> [UInt8] {
        sign(digest: SignedIdentity.digest(challengeHidden: challengeHidden, challengeVisual: challengeVisual))
    }

    public func sign(digest: [UInt8]) -> [UInt8] {
        var signature = secp256k1_ecdsa_recoverable_signature()
        precondition(secp256k1_ecdsa_sign_recoverable(Self.context, &signature, digest, privateKey, nil, nil) == 1)
        var compact = [UInt8](repeating: 0, count: 64)
        var recid: Int32 = 0
        _ = secp256k1_ecdsa_recoverable_signature_serialize_compact(Self.context, &compact, &recid, &signature)
        return [UInt8(31 + recid)] + compact
    }

    /// A signing context, made once; libsecp256k1 contexts are safe to share once made.
    nonisolated(unsafe) private static let context: OpaquePointer = secp256k1_context_create(UInt32(SECP256K1_CONTEXT_NONE))!
}
