import Crypto
import Foundation
import Support
import TestSupport
import Testing
@testable import Features

@Suite struct JSONValueTests {
    @Test func keepsOrderTextAndDuplicatesAsPHP() throws {
        let value = try JSONValue.parse(Array(#"{"b":1,"a":[true,null,-0,1.50,2e3],"b":"again","s":"\u00e9\ud83d\ude00\/"}"#.utf8))
        guard case .object(let members) = value else { Issue.record(); return }
        #expect(members.map(\.key) == ["b", "a", "s"])
        #expect(value["b"] == .string("again"))
        #expect(value["a"] == .array([.bool(true), .null, .number("-0"), .number("1.50"), .number("2e3")]))
        #expect(value["s"]?.string == "é😀/")
    }

    @Test(arguments: [
        "", "{", "[1,]", "{\"a\":}", "01", "1.", "-", "\"\\x\"", "\"\\ud800\"", "\"\\udc00x\"", "nul", "{} x",
        "\"tab\there\"", "[1 2]",
    ])
    func rejectsMalformedJSON(text: String) {
        #expect(throws: JSONParseError.self) { try JSONValue.parse(Array(text.utf8)) }
    }

    @Test func limitsDepth() {
        let deep = String(repeating: "[", count: 100) + String(repeating: "]", count: 100)
        #expect(throws: JSONParseError.self) { try JSONValue.parse(Array(deep.utf8)) }
        #expect((try? JSONValue.parse(Array((String(repeating: "[", count: 10) + String(repeating: "]", count: 10)).utf8))) != nil)
    }

    @Test func integers() throws {
        #expect(try JSONValue.parse(Array("42".utf8)).integer == 42)
        #expect(try JSONValue.parse(Array("-7".utf8)).integer == -7)
        #expect(try JSONValue.parse(Array("4.0".utf8)).integer == nil)
        #expect(try JSONValue.parse(Array("99999999999999999999".utf8)).integer == nil)
    }
}

/// Byte-exact with PHP's json_encode(JSON_UNESCAPED_SLASHES | JSON_UNESCAPED_UNICODE |
/// JSON_PRESERVE_ZERO_FRACTION), proven against php-cli itself.
@Suite struct PHPEncodingTests {
    static let awkwardStrings = [
        "plain", "https://customer.example/wp?x=1&y=<2>", "é ü ß 日本 😀", "quote \" backslash \\ slash /",
        "\u{01}\u{1F}\u{7F} control", "\t\n\r\u{08}\u{0C}", "line\u{2028}para\u{2029}end", "'single' <html>", "",
    ]

    @Test func stringsEncodeAsPHPEncodesThem() throws {
        for text in Self.awkwardStrings {
            let php = try PHP.raw("canonical", ["envelopeJSON": #"{"s":\#(String(decoding: try JSONSerialization.data(withJSONObject: [text]), as: UTF8.self).dropFirst().dropLast())}"#])
            let expected = try #require(try JSONSerialization.jsonObject(with: Data(php.utf8)) as? [String: String])["canonical"]
            let ours = String(decoding: PHPJSON.encode(.object([("s", .string(text))])), as: UTF8.self)
            #expect(ours == expected, "\(text.debugDescription)")
        }
    }

    /// A whole envelope, metaData included: our canonical bytes are PHP's (Connector 2.x decoding).
    @Test func canonicalEnvelopeMatchesTheConnector() throws {
        let members: [(key: String, value: JSONValue)] = [
            ("siteUrl", .string("https://customer.example/wp")), ("publicKey", .string(String(repeating: "ab", count: 32))),
            ("nonce", .string(String(repeating: "05", count: 24))), ("issuedAt", .number("1750000000")),
            ("metaData", .object([("reference_id", .string("Ticket #42 / é")), ("priority", .number("2")), ("vip", .bool(true))])),
            ("identifier", .string("Ym9M+/=")), ("signature", .string("ignored")), ("signaturePublicKey", .string("ignored")),
        ]
        let body = String(decoding: PHPJSON.encode(.object(members)), as: UTF8.self)
        let php = try PHP.run("canonical", ["envelopeJSON": body])["canonical"] as? String
        #expect(String(decoding: EnvelopeSigner.canonical(members), as: UTF8.self) == php)
        #expect(php?.hasPrefix(#"{"identifier":"Ym9M+/=","issuedAt":1750000000,"metaData":{"reference_id":"Ticket #42 / é""#) == true)
    }

    @Test func emptyMetaDataIsAnArray() throws {
        var fields = BodyFields(json: try JSONValue.parse(Array(#"{"metaData":{}}"#.utf8)))
        #expect(ClientSiteService.metaData(&fields) == "[]")
        var list = BodyFields(json: try JSONValue.parse(Array(#"{"metaData":["esse"]}"#.utf8)))
        #expect(ClientSiteService.metaData(&list) == #"["esse"]"#)
        var nested = BodyFields(json: try JSONValue.parse(Array(#"{"metaData":{"a":{"b":1}}}"#.utf8)))
        _ = ClientSiteService.metaData(&nested)
        #expect(nested.errors.map(\.field) == ["metaData"])
    }

    /// The research vector (PHP 8.2 + libsodium): the Ed25519 key from seed 0x04×32 over the
    /// canonical envelope. swift-crypto's Ed25519 (BoringSSL) is deterministic: the same bytes.
    @Test func signaturesAgreeWithLibsodiumBothWays() throws {
        let seed = [UInt8](repeating: 4, count: 32)
        let key = try Curve25519.Signing.PrivateKey(rawRepresentation: seed)
        #expect(Hex.encode(key.publicKey.rawRepresentation) == "ca93ac1705187071d67b83c7ff0efe8108e8ec4530575d7726879333dbdabe7c")
        let message = #"{"identifier":"x","issuedAt":1750000000,"metaData":[],"nonce":"05","publicKey":"75e2","siteUrl":"https://customer.example/wp"}"#
        let ours = Hex.encode(try key.signature(for: Array(message.utf8)))
        let php = try PHP.run("sign", ["message": message, "seed": Hex.encode(seed)])
        #expect(php["signature"] as? String == ours)
        #expect(try PHP.run("verify", ["message": message, "signature": ours, "publicKey": Hex.encode(key.publicKey.rawRepresentation)])["ok"] as? Bool == true)
        #expect(try PHP.run("verify", ["message": message + " ", "signature": ours, "publicKey": Hex.encode(key.publicKey.rawRepresentation)])["ok"] as? Bool == false)
    }
}

@Suite struct TrustedLoginFieldTests {
    @Test func laravelLabels() {
        #expect(BodyFields.label("secretId") == "secret id")
        #expect(BodyFields.label("wpUserId") == "wp user id")
        #expect(BodyFields.label("clientPublicKey") == "client public key")
        #expect(BodyFields.label("api_endpoint") == "api endpoint")
        #expect(BodyFields.label("metaData") == "meta data")
    }

    @Test func clientDates() throws {
        let reference = Date(timeIntervalSince1970: 1_778_580_000)  // 2026-05-12T10:00:00Z
        #expect(ClientDate.parse("2026-05-12T10:00:00+00:00") == reference)
        #expect(ClientDate.parse("2026-05-12T10:00:00Z") == reference)
        #expect(ClientDate.parse("2026-05-12T12:00:00+02:00") == reference)
        #expect(ClientDate.parse("2026-05-12 10:00:00") == reference)
        #expect(ClientDate.parse("2026-05-12") == reference.addingTimeInterval(-36000))
        #expect(try #require(ClientDate.parse("2026-05-12T10:00:00.250Z")).timeIntervalSince(reference) == 0.25)
        for bad in ["yesterday", "2026-13-01", "2026-02-30", "2026-05-12T25:00:00Z", ""] { #expect(ClientDate.parse(bad) == nil, "\(bad)") }
        #expect(ClientDate.format(reference) == "2026-05-12T10:00:00+00:00")
        // Offsets within ±14:00; dates (in UTC) in 2000...9999.
        #expect(ClientDate.parse("2026-05-12T23:59:00+14:00") != nil && ClientDate.parse("2026-05-12T00:00:00-14:00") != nil)
        for bad in ["2026-05-12T10:00:00+99:99", "2026-05-12T10:00:00+14:01", "2026-05-12T10:00:00-15:00", "2026-05-12T10:00:00+05:60",
                    "1999-12-31", "0000-12-30T12:00:00+00:00", "2000-01-01T00:00:00+01:00", "9999-12-31T23:00:00-01:00"] {
            #expect(ClientDate.parse(bad) == nil, "\(bad)")
        }
        #expect(ClientDate.parse("2000-01-01") != nil && ClientDate.parse("9999-12-31T23:59:59Z") != nil)
        // Years always with four digits.
        #expect(UTCDate.iso8601(Date(timeIntervalSince1970: -61_157_000_000)) .hasPrefix("00"))
        #expect(UTCDate.iso8601(Date(timeIntervalSince1970: 253_402_300_799)) == "9999-12-31T23:59:59+00:00")
    }
}
