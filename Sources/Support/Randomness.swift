import Foundation

/// Where secrets and identifiers come from: the system CSPRNG unless a test injects otherwise.
public protocol RandomSource: Sendable {
    func bytes(_ count: Int) -> [UInt8]
}

public struct SystemRandom: RandomSource {
    public init() {}

    /// Bytes from the system CSPRNG: glibc's `arc4random_buf`, which fills the whole buffer from
    /// `getrandom(2)` in one call (swift-crypto's SymmetricKey(size:) makes one per 8 bytes).
    public func bytes(_ count: Int) -> [UInt8] {
        var out = [UInt8](repeating: 0, count: count)
        out.withUnsafeMutableBytes { if let base = $0.baseAddress { arc4random_buf(base, $0.count) } }
        return out
    }
}

extension RandomSource {
    /// A 256-bit token as URL-safe base64 without padding (43 characters).
    public func token() -> String { Base64URL.encode(bytes(32)) }

    public func hex(byteCount: Int) -> String { Hex.encode(bytes(byteCount)) }

    /// A random version-4 UUID, lowercase.
    public func uuid() -> String {
        var raw = bytes(16)
        raw[6] = (raw[6] & 0x0F) | 0x40
        raw[8] = (raw[8] & 0x3F) | 0x80
        let hex = Hex.encode(raw)
        let parts = [0..<8, 8..<12, 12..<16, 16..<20, 20..<32].map { range in
            String(hex[hex.index(hex.startIndex, offsetBy: range.lowerBound)..<hex.index(hex.startIndex, offsetBy: range.upperBound)])
        }
        return parts.joined(separator: "-")
    }
}
