import Crypto
import Foundation
import SLIP0013
import SLIP0013Signing
import Support
import Testing

/// The verifier against the spec's device test vector, the cases it must reject, fresh
/// signatures from libsecp256k1, and hostile input.
@Suite struct SignedIdentityTests {
    // trezor-firmware tests/device_tests/misc/test_msg_signidentity.py, as in docs/spec/trezor-login.md.
    let hidden = Hex.decode("cd8552569d6e4509266ef137584d1e62c7579b5b8ed69bbafa4b864c6521e7c2")!
    let visual = "2015-03-23 17:39:22"
    let publicKey = Hex.decode("023a472219ad3327b07c18273717bb3a40b39b743756bf287fbd5fa9d263237f45")!
    let signature = Hex.decode(
        "20f2d1a42d08c3a362be49275c3ffeeaa415fc040971985548b9f910812237bb41770bf2c8d488428799fbb7e52c11f1a3404011375e4080e077e0e42ab7a5ba02")!
    /// The order of secp256k1's group, for making the high-S twin.
    let order = Hex.decode("fffffffffffffffffffffffffffffffebaaedce6af48a03bbfd25e8cd0364141")!

    func verify(_ visual: String? = nil, key: [UInt8]? = nil, signature: [UInt8]? = nil) throws(SignedIdentity.Rejection) {
        try SignedIdentity.verify(
            challengeHidden: hidden, challengeVisual: visual ?? self.visual, publicKey: key ?? publicKey,
            signature: signature ?? self.signature)
    }

    @Test func intermediateValuesMatchTheSpec() {
        #expect(Hex.encode(SHA256.hash(data: hidden)) == "1c63399ed99d5167640a987df60ebb74fed7be1774d7bda8c338288ac740ab55")
        #expect(Hex.encode(SHA256.hash(data: Array(visual.utf8))) == "ddf491ecbcadb503da5986f86670baab562cf31850329920d7b649bf303590d2")
        #expect(Hex.encode(SignedIdentity.digest(challengeHidden: hidden, challengeVisual: visual))
            == "0f50514d5786a6e938f9fb1c5c76c3ccd2af39aa6ff3b885a93fefa77788aa04")
    }

    @Test func theDeviceVectorVerifies() throws {
        try verify()
        #expect(SignedIdentity.address(publicKey: publicKey) == "17F17smBTX9VTZA9Mj8LM5QGYNZnmziCjL")
    }

    @Test func oneCharacterOfTheVisualChangedIsRejected() {
        #expect(throws: SignedIdentity.Rejection.mismatch) { try verify("2015-03-23 17:39:23") }
    }

    @Test func headerZeroIsRejected() {
        #expect(throws: SignedIdentity.Rejection.signatureHeader(0)) { try verify(signature: [0] + signature.dropFirst()) }
    }

    @Test func aSixtyFourByteSignatureIsRejected() {
        #expect(throws: SignedIdentity.Rejection.signatureLength(64)) { try verify(signature: Array(signature.dropFirst())) }
    }

    @Test(arguments: [UInt8(27), 28, 29, 30])
    func uncompressedKeyHeadersAreRejected(header: UInt8) {
        #expect(throws: SignedIdentity.Rejection.signatureHeader(header)) { try verify(signature: [header] + signature.dropFirst()) }
    }

    /// libsecp256k1 aborts the process on a recid outside 0…3: those headers never reach it.
    @Test(arguments: [UInt8(35), 36, 42, 255])
    func headersBeyondThirtyFourAreRejectedWithoutReachingTheParser(header: UInt8) {
        #expect(throws: SignedIdentity.Rejection.signatureHeader(header)) { try verify(signature: [header] + signature.dropFirst()) }
    }

    @Test func theHighSTwinIsRejected() {
        // s' = n - s, and the recovery id's parity flips: the same key would be recovered.
        let s = Array(signature[33...])
        var twinS = [UInt8](repeating: 0, count: 32)
        var borrow = 0
        for index in (0..<32).reversed() {
            let difference = Int(order[index]) - Int(s[index]) - borrow
            twinS[index] = UInt8((difference + 256) % 256)
            borrow = difference < 0 ? 1 : 0
        }
        let twinHeader = 31 + ((signature[0] - 31) ^ 1)
        let twin = [twinHeader] + Array(signature[1...32]) + twinS
        #expect(throws: SignedIdentity.Rejection.highS) { try verify(signature: twin) }
    }

    @Test func malformedPublicKeysAreRejected() {
        #expect(throws: SignedIdentity.Rejection.malformedPublicKey) { try verify(key: Array(publicKey.dropLast())) }
        #expect(throws: SignedIdentity.Rejection.malformedPublicKey) { try verify(key: [0x04] + publicKey.dropFirst()) }
        #expect(throws: SignedIdentity.Rejection.mismatch) { try verify(key: [0x03] + publicKey.dropFirst()) }
    }

    @Test func zeroOrOverflowingSignatureValuesAreRejected() {
        #expect(throws: SignedIdentity.Rejection.malformedSignature) { try verify(signature: [31] + [UInt8](repeating: 0xFF, count: 64)) }
        #expect(throws: SignedIdentity.Rejection.self) { try verify(signature: [31] + [UInt8](repeating: 0, count: 64)) }
    }

    @Test(arguments: [UInt8(1), 2, 3, 77, 200])
    func freshSignaturesFromLibsecp256k1Verify(seed: UInt8) throws {
        let signer = TestSigner(seed: seed)
        let challenge = SystemRandom().bytes(32)
        let visual = "2026-11-21 14:00:00"
        let signature = signer.sign(challengeHidden: challenge, challengeVisual: visual)
        #expect((31...34).contains(signature[0]))
        try SignedIdentity.verify(challengeHidden: challenge, challengeVisual: visual, publicKey: signer.publicKey, signature: signature)
        // Another key, another challenge: refused.
        #expect(throws: SignedIdentity.Rejection.mismatch) {
            try SignedIdentity.verify(challengeHidden: challenge, challengeVisual: visual, publicKey: TestSigner(seed: seed &+ 1).publicKey, signature: signature)
        }
        #expect(throws: SignedIdentity.Rejection.mismatch) {
            try SignedIdentity.verify(challengeHidden: SystemRandom().bytes(32), challengeVisual: visual, publicKey: signer.publicKey, signature: signature)
        }
    }

    /// Random and truncated input, many times over: every outcome is a Rejection, never a crash.
    @Test func hostileInputNeverCrashes() {
        let random = SystemRandom()
        var accepted = 0
        for round in 0..<3000 {
            var signature = round % 3 == 0 ? Array(self.signature.prefix(round % 66)) : random.bytes(65)
            if round % 5 == 0, !signature.isEmpty { signature[0] = UInt8(truncatingIfNeeded: round) }
            let key = round % 7 == 0 ? random.bytes(33) : publicKey
            do {
                try SignedIdentity.verify(challengeHidden: random.bytes(round % 80), challengeVisual: "x", publicKey: key, signature: signature)
                accepted += 1
            } catch {}
        }
        #expect(accepted == 0)
    }
}

@Suite struct AddressEncodingTests {
    /// The test vectors of the RIPEMD-160 paper.
    @Test(arguments: [
        ("", "9c1185a5c5e9fc54612808977ee8f548b2258d31"),
        ("a", "0bdc9d2d256b3ee9daae347be6f4dc835a467ffe"),
        ("abc", "8eb208f7e05d987a9b044a8e98c6b087f15a0bfc"),
        ("message digest", "5d0689ef49d2fae572b881b123a85ffa21595f36"),
        ("abcdefghijklmnopqrstuvwxyz", "f71c27109c692c1b56bbdceb5b9d2865b3708dbc"),
        ("abcdbcdecdefdefgefghfghighijhijkijkljklmklmnlmnomnopnopq", "12a053384a9c0c88e405a06c27dcf49ada62eb2b"),
        ("ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789", "b0e20b6e3116640286ed3a87a5713079b21f5189"),
        (String(repeating: "1234567890", count: 8), "9b752e45573d4b39f4dbd3323cab82bf63326bfb"),
    ])
    func ripemd160MatchesThePaper(input: String, digest: String) {
        #expect(Hex.encode(RIPEMD160.hash(Array(input.utf8))) == digest)
    }

    @Test func ripemd160OfAMillionAs() {
        #expect(Hex.encode(RIPEMD160.hash([UInt8](repeating: 0x61, count: 1_000_000))) == "52783243c1697bdbe16d37f97f68f08325dc1528")
    }

    @Test func base58KeepsLeadingZeros() {
        #expect(Base58.encode([0, 0, 1]) == "112")
        #expect(Base58.encode([]) == "")
        #expect(Base58.checkEncode([0x00] + [UInt8](repeating: 0, count: 20)) == "1111111111111111111114oLvT2")
    }
}
