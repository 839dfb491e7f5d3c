import CSecp256k1
import SLIP0013
import Support

/// The input is a sign-in answer laid out as hidden challenge (32) ‖ public key (33) ‖
/// signature (65) ‖ visual challenge (the rest, as text); short inputs give short fields. Whatever
/// the verifier accepts, libsecp256k1's plain ECDSA verification (which refuses high S on its own)
/// must accept too, for a header Trezor writes.
enum SLIP0013Checks {
    static func check(_ data: [UInt8]) throws(FuzzFinding) {
        let hidden = Array(data.prefix(32))
        let publicKey = Array(data.dropFirst(32).prefix(33))
        let signature = Array(data.dropFirst(65).prefix(65))
        let visual = String(decoding: data.dropFirst(130), as: UTF8.self)
        do {
            try SignedIdentity.verify(
                challengeHidden: hidden, challengeVisual: visual, publicKey: publicKey, signature: signature)
        } catch {
            return
        }
        try require((31...34).contains(signature[0]), "accepted a signature with header \(signature[0])")
        let digest = SignedIdentity.digest(challengeHidden: hidden, challengeVisual: visual)
        try require(plainVerify(digest: digest, publicKey: publicKey, compact: Array(signature[1...])), "accepted a signature ECDSA refuses")
        _ = SignedIdentity.address(publicKey: publicKey)
        // The answer as the sign-in page posts it: hex, which must come back byte for byte.
        try require(Hex.decode(Hex.encode(signature)) == signature, "hex did not round-trip")
    }

    static func plainVerify(digest: [UInt8], publicKey: [UInt8], compact: [UInt8]) -> Bool {
        var key = secp256k1_pubkey()
        var signature = secp256k1_ecdsa_signature()
        guard secp256k1_ec_pubkey_parse(context, &key, publicKey, publicKey.count) == 1,
            secp256k1_ecdsa_signature_parse_compact(context, &signature, compact) == 1
        else { return false }
        return secp256k1_ecdsa_verify(context, &signature, digest, &key) == 1
    }

    nonisolated(unsafe) static let context: OpaquePointer = secp256k1_context_create(UInt32(SECP256K1_CONTEXT_NONE))!
}
