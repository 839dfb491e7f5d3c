import Features
import Support

/// The input is a vendor site's answer to `signature_key`: a key is taken only from
/// `{"signatureKey": "<64 hex>"}`, and always comes out as 64 lowercase hex characters.
enum VendorAnswerChecks {
    static func check(_ data: [UInt8]) throws(FuzzFinding) {
        let key = SignatureKeyAnswer.key(in: data)
        let expected = (try? JSONValue.parse(data))?["signatureKey"]?.string.flatMap { Hex.isHex($0, length: 64) ? $0.lowercased() : nil }
        try require(key == expected, "took \(key ?? "nothing") where the answer holds \(expected ?? "no key")")
        if let key { try require(Hex.isLowercase(key, length: 64), "a key that is not 64 lowercase hex: \(key)") }
    }
}
