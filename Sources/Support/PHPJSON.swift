/// JSON bytes exactly as PHP's `json_encode($v, JSON_UNESCAPED_SLASHES | JSON_UNESCAPED_UNICODE |
/// JSON_PRESERVE_ZERO_FRACTION)` writes them: no spaces, `/` and non-ASCII raw, `"` and `\` escaped,
/// control characters as `\b \f \n \r \t` or `\u00xx` (lowercase hex), and U+2028/U+2029 still
/// escaped (they need JSON_UNESCAPED_LINE_TERMINATORS, which the Connector does not pass).
/// The Connector recomputes the envelope's canonical form this way; one byte off and it refuses it.
public enum PHPJSON {
    public static func encode(_ value: JSONValue) -> [UInt8] {
        var out: [UInt8] = []
        write(value, to: &out)
        return out
    }

    static func write(_ value: JSONValue, to out: inout [UInt8]) {
        switch value {
        case .null: out += Array("null".utf8)
        case .bool(let flag): out += Array((flag ? "true" : "false").utf8)
        case .number(let text):
            // Integers print as PHP prints an int ("-0" is 0); anything else keeps its text.
            if let integer = value.integer { out += Array(String(integer).utf8) } else { out += Array(text.utf8) }
        case .string(let text): writeString(text, to: &out)
        case .array(let elements):
            out.append(UInt8(ascii: "["))
            for (index, element) in elements.enumerated() {
                if index > 0 { out.append(UInt8(ascii: ",")) }
                write(element, to: &out)
            }
            out.append(UInt8(ascii: "]"))
        case .object(let members):
            out.append(UInt8(ascii: "{"))
            for (index, member) in members.enumerated() {
                if index > 0 { out.append(UInt8(ascii: ",")) }
                writeString(member.key, to: &out)
                out.append(UInt8(ascii: ":"))
                write(member.value, to: &out)
            }
            out.append(UInt8(ascii: "}"))
        }
    }

    private static let hexDigits = Array("0123456789abcdef".utf8)

    static func writeString(_ text: String, to out: inout [UInt8]) {
        out.append(UInt8(ascii: "\""))
        for scalar in text.unicodeScalars {
            switch scalar.value {
            case 0x22: out += [0x5C, 0x22]
            case 0x5C: out += [0x5C, 0x5C]
            case 0x08: out += [0x5C, UInt8(ascii: "b")]
            case 0x0C: out += [0x5C, UInt8(ascii: "f")]
            case 0x0A: out += [0x5C, UInt8(ascii: "n")]
            case 0x0D: out += [0x5C, UInt8(ascii: "r")]
            case 0x09: out += [0x5C, UInt8(ascii: "t")]
            case 0x00..<0x20, 0x2028, 0x2029:
                let value = Int(scalar.value)
                out += Array("\\u".utf8)
                for shift in stride(from: 12, through: 0, by: -4) { out.append(hexDigits[(value >> shift) & 0xF]) }
            default:
                out += Array(String(scalar).utf8)
            }
        }
        out.append(UInt8(ascii: "\""))
    }
}
