import Foundation
import Support

/// The input is a request body: what parses must encode as PHP does into JSON that parses back to
/// the same encoding, and must be JSON for a strict parser too (Foundation's), so that no body
/// means one thing here and another to the Connector or a client site.
enum JSONChecks {
    static func check(_ data: [UInt8]) throws(FuzzFinding) {
        guard let value = try? JSONValue.parse(data) else { return }
        let encoded = PHPJSON.encode(value)
        guard let again = try? JSONValue.parse(encoded) else {
            throw FuzzFinding("PHP's encoding of a parsed body does not parse: \(String(decoding: encoded, as: UTF8.self))")
        }
        try require(PHPJSON.encode(again) == encoded, "encoding, parsing and encoding again changed the bytes")
        do {
            _ = try JSONSerialization.jsonObject(with: Data(data), options: [.fragmentsAllowed])
        } catch {
            // Numbers beyond a double (`1e999`) are JSON, and PHP reads them as INF; Vestibule keeps
            // their text. Foundation alone refuses them.
            guard "\(error)".contains("not representable") else {
                throw FuzzFinding("accepted here, refused by Foundation's parser: \(error)")
            }
        }
    }
}

/// Builds a JSON value from the input bytes (any strings, any nesting up to 8, integers and
/// decimals as PHP writes them), encodes it as PHP does, and parses it back: the same value, and
/// bytes a PHP client would have sent (no raw control characters, U+2028 or U+2029).
enum PHPJSONChecks {
    static func check(_ data: [UInt8]) throws(FuzzFinding) {
        var builder = ValueBuilder(bytes: data)
        let value = builder.value(depth: 0)
        let encoded = PHPJSON.encode(value)
        try require(String(validating: encoded, as: UTF8.self) != nil, "the encoding is not UTF-8")
        try require(!encoded.contains(where: { $0 < 0x20 }), "a raw control character in the encoding")
        let text = String(decoding: encoded, as: UTF8.self)
        try require(!text.unicodeScalars.contains { $0.value == 0x2028 || $0.value == 0x2029 }, "a raw U+2028 or U+2029")
        guard let parsed = try? JSONValue.parse(encoded, maxDepth: 16) else {
            throw FuzzFinding("the encoding does not parse: \(text)")
        }
        try require(parsed == value, "the encoding parses to another value: \(text)")
        do {
            _ = try JSONSerialization.jsonObject(with: Data(encoded), options: [.fragmentsAllowed])
        } catch {
            throw FuzzFinding("Foundation's parser refuses the encoding \(text): \(error)")
        }
    }

    /// Reads the bytes as a recipe: one byte picks the kind, the next ones its contents.
    struct ValueBuilder {
        let bytes: [UInt8]
        var position = 0

        mutating func next() -> UInt8? {
            guard position < bytes.count else { return nil }
            defer { position += 1 }
            return bytes[position]
        }

        mutating func value(depth: Int) -> JSONValue {
            guard let kind = next() else { return .null }
            switch kind % 8 {
            case 0: return .null
            case 1: return .bool(kind & 0x80 != 0)
            case 2: return .number(String(Int64(truncatingIfNeeded: integer(bytes: 8))))
            case 3: return .number("\(Int32(truncatingIfNeeded: integer(bytes: 4))).\(integer(bytes: 2))e-\(kind >> 4)")
            case 4, 5: return .string(string())
            case 6:
                guard depth < 8 else { return .null }
                return .array((0..<Int(next() ?? 0) % 5).map { _ in value(depth: depth + 1) })
            default:
                guard depth < 8 else { return .null }
                var members: [(key: String, value: JSONValue)] = []
                for _ in 0..<Int(next() ?? 0) % 5 {
                    let key = string()
                    let member = value(depth: depth + 1)
                    // PHP's objects have each key once; a repeated one is not a value PHP encodes.
                    if !members.contains(where: { $0.key.utf8.elementsEqual(key.utf8) }) { members.append((key, member)) }
                }
                return .object(members)
            }
        }

        mutating func integer(bytes count: Int) -> UInt64 {
            (0..<count).reduce(0) { value, _ in value << 8 | UInt64(next() ?? 0) }
        }

        /// Up to 15 scalars, each from two or three bytes: controls, U+2028, astral planes all come up.
        mutating func string() -> String {
            var text = String.UnicodeScalarView()
            for _ in 0..<Int(next() ?? 0) % 16 {
                let wide = (next() ?? 0) & 0x01
                let raw = UInt32(integer(bytes: wide == 1 ? 3 : 2)) % 0x11_0000
                if let scalar = Unicode.Scalar(raw) { text.append(scalar) }
            }
            return String(text)
        }
    }
}
