import CQRencode
import CSecp256k1
import Testing

/// The C libraries link and answer: a broken pkg-config or a missing -dev package fails here.
@Suite struct SystemLibraryTests {
    @Test func qrencodeEncodes() throws {
        let code = try #require(QRcode_encodeString("https://example.com", 0, QR_ECLEVEL_M, QR_MODE_8, 1))
        defer { QRcode_free(code) }
        #expect(code.pointee.width >= 21)
    }

    @Test func secp256k1CreatesAContext() throws {
        let context = try #require(secp256k1_context_create(UInt32(SECP256K1_CONTEXT_NONE)))
        secp256k1_context_destroy(context)
    }
}
