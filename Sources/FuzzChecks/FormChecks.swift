import Web

/// The input is a form body (or a query string): what parses must re-encode and parse to the
/// same pairs, within the limits; what does not parse is a 400.
enum FormChecks {
    static func check(_ data: [UInt8]) throws(FuzzFinding) {
        let text = String(decoding: data, as: UTF8.self)
        let fields: FormFields
        do {
            fields = try FormFields(urlEncoded: text, limits: .form)
        } catch {
            try require(error.status == .badRequest, "a malformed form answered \(error.status)")
            return
        }
        try require(fields.pairs.count <= FormFields.Limits.form.maxFields, "more fields than the limit")
        for pair in fields.pairs {
            try require(pair.name.utf8.count <= FormFields.Limits.form.maxNameLength, "a name over the limit")
            try require(!pair.name.utf8.contains(0) && !pair.value.utf8.contains(0), "a NUL got through")
        }
        let encoded = fields.pairs.map { "\(percentEncoded($0.name))=\(percentEncoded($0.value))" }.joined(separator: "&")
        guard let again = try? FormFields(urlEncoded: encoded, limits: .form) else {
            throw FuzzFinding("the re-encoded form does not parse: \(encoded)")
        }
        try require(
            again.pairs.map(\.name) == fields.pairs.map(\.name) && again.pairs.map(\.value) == fields.pairs.map(\.value),
            "the re-encoded form parses to other pairs")
    }

    /// Every byte but the unreserved ones as `%XX`.
    static func percentEncoded(_ text: String) -> String {
        var out = ""
        for byte in text.utf8 {
            switch byte {
            case UInt8(ascii: "a")...UInt8(ascii: "z"), UInt8(ascii: "A")...UInt8(ascii: "Z"),
                UInt8(ascii: "0")...UInt8(ascii: "9"), UInt8(ascii: "-"), UInt8(ascii: "."), UInt8(ascii: "_"),
                UInt8(ascii: "~"):
                out.unicodeScalars.append(Unicode.Scalar(byte))
            default:
                let hex = Array("0123456789ABCDEF".unicodeScalars)
                out.unicodeScalars.append("%")
                out.unicodeScalars.append(hex[Int(byte >> 4)])
                out.unicodeScalars.append(hex[Int(byte & 0xF)])
            }
        }
        return out
    }
}
