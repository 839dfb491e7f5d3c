import CSecp256k1
import Crypto

/// SLIP-0013 challenge-response verification, as Trezor's `SignIdentity` signs it for
/// `TrezorConnect.requestLogin` (secp256k1, Bitcoin message signing of the two challenge hashes).
///
/// The rules, from `docs/spec/trezor-login.md`:
/// - signature: exactly 65 bytes, header 31…34 (27 + 4 for a compressed key + recid), low S;
/// - public key: 33 bytes, prefix 02 or 03, equal to the key recovered from the signature;
/// - the digest signed: SHA256(SHA256(0x18 ‖ "Bitcoin Signed Message:\n" ‖ 0x40 ‖ m)),
///   m = SHA256(challengeHidden bytes) ‖ SHA256(challengeVisual as UTF-8).
public enum SignedIdentity {
    public enum Rejection: Error, Equatable, Sendable {
        /// Not 65 bytes.
        case signatureLength(Int)
        /// A header outside 31…34: an uncompressed key (27…30), another curve (0x00), or junk.
        case signatureHeader(UInt8)
        /// r or s out of range.
        case malformedSignature
        /// The high-S twin of a signature: Trezor signs low S, so this was altered.
        case highS
        /// Not a 33-byte compressed secp256k1 key.
        case malformedPublicKey
        /// The signature is not by this key over this challenge.
        case mismatch
    }

    /// The 32-byte digest the device signs for a challenge.
    public static func digest(challengeHidden: [UInt8], challengeVisual: String) -> [UInt8] {
        var message: [UInt8] = [0x18] + Array("Bitcoin Signed Message:\n".utf8) + [0x40]
        message += SHA256.hash(data: challengeHidden)
        message += SHA256.hash(data: Array(challengeVisual.utf8))
        return Array(SHA256.hash(data: Array(SHA256.hash(data: message))))
    }

    /// Throws unless `signature` is `publicKey`'s signature over the challenge.
    public static func verify(
        challengeHidden: [UInt8], challengeVisual: String, publicKey: [UInt8], signature: [UInt8]
    ) throws(Rejection) {
        guard publicKey.count == 33, publicKey[0] == 0x02 || publicKey[0] == 0x03 else {
            throw .malformedPublicKey
        }
        let recovered = try recoverPublicKey(
            digest: digest(challengeHidden: challengeHidden, challengeVisual: challengeVisual), signature: signature)
        guard recovered == publicKey else { throw .mismatch }
    }

    /// The compressed public key that made `signature` over `digest`.
    public static func recoverPublicKey(digest: [UInt8], signature: [UInt8]) throws(Rejection) -> [UInt8] {
        guard signature.count == 65 else { throw .signatureLength(signature.count) }
        let header = signature[0]
        // Range-check before libsecp256k1 sees it: its parser calls abort() on a recid outside 0…3.
        guard (31...34).contains(header) else { throw .signatureHeader(header) }
        let context = Self.context
        var recoverable = secp256k1_ecdsa_recoverable_signature()
        let compact = Array(signature[1...])
        guard secp256k1_ecdsa_recoverable_signature_parse_compact(context, &recoverable, compact, Int32(header - 31)) == 1
        else { throw .malformedSignature }
        // secp256k1_ecdsa_recover accepts high S; only verify enforces it. Check it here.
        var plain = secp256k1_ecdsa_signature()
        _ = secp256k1_ecdsa_recoverable_signature_convert(context, &plain, &recoverable)
        guard secp256k1_ecdsa_signature_normalize(context, nil, &plain) == 0 else { throw .highS }
        var key = secp256k1_pubkey()
        guard secp256k1_ecdsa_recover(context, &key, &recoverable, digest) == 1 else { throw .mismatch }
        var serialized = [UInt8](repeating: 0, count: 33)
        var length = 33
        _ = secp256k1_ec_pubkey_serialize(context, &serialized, &length, &key, UInt32(SECP256K1_EC_COMPRESSED))
        return serialized
    }

    /// One context for the process, made once. libsecp256k1 contexts may be shared by threads
    /// for everything but randomization and destruction, and this one sees neither.
    nonisolated(unsafe) private static let context: OpaquePointer = secp256k1_context_create(UInt32(SECP256K1_CONTEXT_NONE))!

    /// The Bitcoin P2PKH address of a public key: Base58Check(0x00 ‖ RIPEMD160(SHA256(key))).
    /// Trezor sends it beside the key; it is derived from the key, so it proves nothing more.
    public static func address(publicKey: [UInt8]) -> String {
        let hash = RIPEMD160.hash(Array(SHA256.hash(data: publicKey)))
        return Base58.checkEncode([0x00] + hash)
    }
}
