/// Name/value pairs from a query string or an `application/x-www-form-urlencoded` body,
/// in their order, with limits so a hostile request cannot make us allocate without bound.
public struct FormFields: Sendable {
    public struct Limits: Sendable {
        public var maxFields: Int
        public var maxNameLength: Int

        public static let query = Limits(maxFields: 100, maxNameLength: 256)
        public static let form = Limits(maxFields: 1000, maxNameLength: 256)
    }

    public private(set) var pairs: [(name: String, value: String)] = []

    public init() {}

    public init(urlEncoded text: String, limits: Limits) throws(HTTPError) {
        guard !text.isEmpty else { return }
        for piece in text.split(separator: "&", omittingEmptySubsequences: true) {
            guard pairs.count < limits.maxFields else {
                throw .badRequest("Too many fields in the request (at most \(limits.maxFields)).")
            }
            let parts = piece.split(separator: "=", maxSplits: 1, omittingEmptySubsequences: false)
            guard let name = Self.decode(parts[0]), let value = Self.decode(parts.count > 1 ? parts[1] : "")
            else {
                throw .badRequest("The request holds malformed percent-encoding.")
            }
            guard name.utf8.count <= limits.maxNameLength else {
                throw .badRequest("A field name in the request is too long.")
            }
            // No field holds a NUL byte legitimately, and PostgreSQL's text cannot store one.
            guard !name.utf8.contains(0), !value.utf8.contains(0) else {
                throw .badRequest("The request holds a NUL character (%00), which no field may contain.")
            }
            pairs.append((name, value))
        }
    }

    /// The first value of `name`.
    public subscript(name: String) -> String? {
        pairs.first { $0.name == name }?.value
    }

    public func all(_ name: String) -> [String] {
        pairs.filter { $0.name == name }.map(\.value)
    }

    /// Decodes `+` and `%XX`; nil for a broken escape or bytes that are not UTF-8.
    static func decode(_ text: Substring) -> String? {
        var bytes: [UInt8] = []
        bytes.reserveCapacity(text.utf8.count)
        var iterator = text.utf8.makeIterator()
        while let byte = iterator.next() {
            switch byte {
            case UInt8(ascii: "+"): bytes.append(UInt8(ascii: " "))
            case UInt8(ascii: "%"):
                guard let high = iterator.next().flatMap(hexValue), let low = iterator.next().flatMap(hexValue)
                else { return nil }
                bytes.append(high << 4 | low)
            default: bytes.append(byte)
            }
        }
        return String(validating: bytes, as: UTF8.self)
    }

    private static func hexValue(_ byte: UInt8) -> UInt8? {
        switch byte {
        case 0x30...0x39: return byte - 0x30
        case 0x41...0x46: return byte - 0x41 + 10
        case 0x61...0x66: return byte - 0x61 + 10
        default: return nil
        }
    }
}

/// Percent-encoding for building URLs (RFC 3986 unreserved characters pass through).
public enum URLEncoding {
    public static func component(_ text: String) -> String {
        var out = ""
        for byte in text.utf8 {
            switch byte {
            case UInt8(ascii: "A")...UInt8(ascii: "Z"), UInt8(ascii: "a")...UInt8(ascii: "z"),
                UInt8(ascii: "0")...UInt8(ascii: "9"), UInt8(ascii: "-"), UInt8(ascii: "."),
                UInt8(ascii: "_"), UInt8(ascii: "~"):
                out.unicodeScalars.append(Unicode.Scalar(byte))
            default:
                let hex = Array("0123456789ABCDEF")
                out += "%\(hex[Int(byte >> 4)])\(hex[Int(byte & 0xF)])"
            }
        }
        return out
    }
}
