import Foundation
import HTTPTypes
import Outbound
import Support
import Web

/// A JSON request body checked field by field, collecting Laravel's validation messages
/// (`"The secret id field is required."`) so that a bad request answers 422 naming every field at
/// fault, as the TrustedLogin SaaS does. Strings come back exactly as sent.
struct BodyFields {
    let body: JSONValue
    private(set) var errors: [(field: String, messages: [String])] = []

    /// An empty body counts as an empty object; a body that is not JSON is a 400.
    init(_ request: Request) throws(HTTPError) {
        if request.body.allSatisfy({ [0x20, 0x09, 0x0A, 0x0D].contains($0) }) {
            body = .object([])
            return
        }
        do {
            let parsed = try JSONValue.parse(request.body)
            if case .object = parsed { body = parsed } else { body = .object([]) }
        } catch {
            throw HTTPError.badRequest("The request body is not valid JSON.")
        }
    }

    init(json: JSONValue) {
        body = json
    }

    /// `secretId` → `secret id`, `api_endpoint` → `api endpoint`, as Laravel names attributes.
    static func label(_ field: String) -> String {
        var words = ""
        var previous: Character?
        for character in field {
            if character == "_" {
                words.append(" ")
            } else {
                if let previous, previous.isLowercase || previous.isNumber, character.isUppercase { words.append(" ") }
                words.append(Character(character.lowercased()))
            }
            previous = character
        }
        return words
    }

    mutating func fail(_ field: String, _ message: String) {
        if let index = errors.firstIndex(where: { $0.field == field }) {
            errors[index].messages.append(message)
        } else {
            errors.append((field, [message]))
        }
    }

    mutating func fail(_ field: String, rule: Rule) {
        fail(field, rule.message(Self.label(field)))
    }

    enum Rule {
        case required, string, integer, format, ip, url, selection, date, array, noNul
        case max(Int)
        case size(Int)
        case beforeInAnHour

        func message(_ label: String) -> String {
            switch self {
            case .required: return "The \(label) field is required."
            case .string: return "The \(label) field must be a string."
            case .integer: return "The \(label) field must be an integer."
            case .format: return "The \(label) field format is invalid."
            case .ip: return "The \(label) field must be a valid IP address."
            case .url: return "The \(label) field must be a valid URL."
            case .selection: return "The selected \(label) is invalid."
            case .date: return "The \(label) field must be a valid date."
            case .array: return "The \(label) field must be an array."
            case .noNul: return "The \(label) field must not contain a NUL character."
            case .max(let max): return "The \(label) field must not be greater than \(max) characters."
            case .size(let size): return "The \(label) field must be \(size) characters."
            case .beforeInAnHour: return "The \(label) field must be a date before +1 hour."
            }
        }
    }

    func value(_ field: String) -> JSONValue? { body[field] }

    /// A string field. Absent or null is nil (and an error when `required`); a non-string is an error.
    /// `format` checks the shape; `max` counts characters as PHP's mb_strlen does (code points).
    mutating func string(
        _ field: String, required: Bool = true, max: Int? = nil, allowEmpty: Bool = false,
        format: ((String) -> Bool)? = nil, formatRule: Rule = .format
    ) -> String? {
        guard let value = value(field), !value.isNull else {
            if required { fail(field, rule: .required) }
            return nil
        }
        guard let text = value.string else {
            fail(field, rule: .string)
            return nil
        }
        // No field holds a NUL character legitimately, and PostgreSQL's text cannot store one.
        if text.utf8.contains(0) {
            fail(field, rule: .noNul)
            return nil
        }
        if text.isEmpty && !allowEmpty {
            if required { fail(field, rule: .required) }
            return nil
        }
        if let max, text.unicodeScalars.count > max {
            fail(field, rule: .max(max))
            return nil
        }
        if let format, !text.isEmpty, !format(text) {
            fail(field, rule: formatRule)
            return nil
        }
        return text
    }

    /// An integer field (a JSON number without fraction, or digits in a string, as Laravel allows).
    mutating func integer(_ field: String, required: Bool = true) -> Int64? {
        guard let value = value(field), !value.isNull else {
            if required { fail(field, rule: .required) }
            return nil
        }
        if let integer = value.looseInteger { return integer }
        fail(field, rule: .integer)
        return nil
    }

    /// Throws the 422 when any field failed.
    func check() throws(HTTPError) {
        if !errors.isEmpty { throw HTTPError.validation(errors) }
    }
}

/// The shapes TrustedLogin fields come in.
enum FieldFormat {
    static func hex(_ length: Int) -> (String) -> Bool {
        { text in Hex.isHex(text, length: length) }
    }

    static func isIP(_ text: String) -> Bool { IPAddress(text) != nil }

    /// An http or https URL with a host (Laravel's `url` rule, in effect): one Vestibule could fetch.
    static func isURL(_ text: String) -> Bool { CurlHTTPClient.isFetchable(text) }

    /// Printable text without spaces: keys, ids.
    static func isToken(_ text: String) -> Bool {
        text.unicodeScalars.allSatisfy { $0.value > 0x20 && $0.value != 0x7F }
    }
}
