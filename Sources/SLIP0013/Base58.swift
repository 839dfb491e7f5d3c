import Crypto

/// Bitcoin's Base58Check encoding (alphabet without 0, O, I, l; 4-byte double-SHA256 checksum).
public enum Base58 {
    static let alphabet = Array("123456789ABCDEFGHJKLMNPQRSTUVWXYZabcdefghijkmnopqrstuvwxyz".utf8)

    /// True when every character is in the Base58 alphabet.
    public static func isBase58(_ text: String) -> Bool {
        text.utf8.allSatisfy { alphabet.contains($0) }
    }

    public static func checkEncode(_ payload: [UInt8]) -> String {
        let checksum = Array(SHA256.hash(data: Array(SHA256.hash(data: payload))).prefix(4))
        return encode(payload + checksum)
    }

    public static func encode(_ bytes: [UInt8]) -> String {
        let zeros = bytes.prefix { $0 == 0 }.count
        var digits: [UInt8] = []  // base-58 digits, least significant first
        for byte in bytes {
            var carry = Int(byte)
            for index in digits.indices {
                carry += Int(digits[index]) << 8
                digits[index] = UInt8(carry % 58)
                carry /= 58
            }
            while carry > 0 {
                digits.append(UInt8(carry % 58))
                carry /= 58
            }
        }
        let text = [UInt8](repeating: alphabet[0], count: zeros) + digits.reversed().map { alphabet[Int($0)] }
        return String(decoding: text, as: UTF8.self)
    }
}
