import Foundation
import HTTPTypes
import Mustache
import Synchronization

/// Mustache templates from `templates/`, loaded once at start. Every `{{value}}` is HTML-escaped.
public struct PageRenderer: Sendable {
    private let library: MustacheLibrary
    private let skeletons = SkeletonCache()

    public struct MissingTemplate: Error, CustomStringConvertible {
        public let name: String
        public var description: String { "no template named \(name)" }
    }

    public init(directory: String) async throws {
        guard FileManager.default.fileExists(atPath: directory + "/layout.mustache") else {
            throw MissingTemplate(name: "\(directory)/layout.mustache")
        }
        library = try await MustacheLibrary(directory: directory)
    }

    public init(library: MustacheLibrary) {
        self.library = library
    }

    public func render(_ template: String, _ data: [String: Any]) throws -> String {
        guard let html = library.render(data, withTemplate: template) else { throw MissingTemplate(name: template) }
        return html
    }

    /// Renders a page whose output depends only on `key` apart from a few per-request strings
    /// (`slots`: the CSRF token, say). The first request for a key renders it with a marker in
    /// each slot's place and keeps the result; later ones only put the slots' values, escaped as
    /// Mustache escapes, between the kept pieces. swift-mustache looks every value up through
    /// dynamic casts and escapes character by character, which made rendering most of the cost
    /// of a page like `/login` (the benchmark's profile); a page that is the same for everyone
    /// need not pay that on every request. `data` must be fully determined by `key`.
    public func render(_ template: String, _ data: [String: Any], slots: [String: String], key: String) throws -> String {
        let cacheKey = template + "\u{0}" + key + "\u{0}" + slots.keys.sorted().joined(separator: ",")
        if let skeleton = skeletons[cacheKey] { return skeleton.filled(with: slots) }
        var marked = data
        for name in slots.keys { marked[name] = Skeleton.marker(name) }
        let skeleton = Skeleton(try render(template, marked), slotNames: Set(slots.keys))
        skeletons[cacheKey] = skeleton
        return skeleton.filled(with: slots)
    }
}

/// A rendered page cut where its per-request values go: `pieces[0] slot[0] pieces[1] ...`.
struct Skeleton: Sendable {
    let pieces: [String]
    let slots: [String]

    /// A private-use character pair around the slot's name: never produced by the templates or
    /// escaped by Mustache.
    static func marker(_ name: String) -> String { "\u{E000}\(name)\u{E001}" }

    init(_ rendered: String, slotNames: Set<String>) {
        var pieces: [String] = []
        var slots: [String] = []
        var rest = Substring(rendered)
        while let open = rest.firstIndex(of: "\u{E000}"), let close = rest[open...].firstIndex(of: "\u{E001}") {
            let name = String(rest[rest.index(after: open)..<close])
            guard slotNames.contains(name) else { break }
            pieces.append(String(rest[..<open]))
            slots.append(name)
            rest = rest[rest.index(after: close)...]
        }
        pieces.append(String(rest))
        self.pieces = pieces
        self.slots = slots
    }

    func filled(with values: [String: String]) -> String {
        var output = ""
        output.reserveCapacity(pieces.reduce(0) { $0 + $1.utf8.count } + 128)
        for (index, piece) in pieces.enumerated() {
            output += piece
            if index < slots.count { HTMLEscape.append(values[slots[index]] ?? "", to: &output) }
        }
        return output
    }
}

/// The same five characters Mustache's HTML content type escapes, byte by byte.
enum HTMLEscape {
    static func append(_ text: String, to output: inout String) {
        guard text.utf8.contains(where: { [UInt8(ascii: "<"), UInt8(ascii: ">"), UInt8(ascii: "&"), UInt8(ascii: "\""), UInt8(ascii: "'")].contains($0) }) else {
            output += text
            return
        }
        for character in text.unicodeScalars {
            switch character {
            case "<": output += "&lt;"
            case ">": output += "&gt;"
            case "&": output += "&amp;"
            case "\"": output += "&quot;"
            case "'": output += "&#39;"
            default: output.unicodeScalars.append(character)
            }
        }
    }
}

/// Kept skeletons, by page and key. Bounded: when full it starts again, so keys chosen by
/// visitors (if a page ever used one) cannot grow it without end.
final class SkeletonCache: Sendable {
    static let limit = 64
    private let entries = Mutex<[String: Skeleton]>([:])

    subscript(key: String) -> Skeleton? {
        get { entries.withLock { $0[key] } }
        set {
            entries.withLock { entries in
                if entries.count >= Self.limit { entries.removeAll() }
                entries[key] = newValue
            }
        }
    }
}

extension RequestContext {
    /// Renders a page in the layout. The layout gets `title`, the signed-in state and, when the
    /// page has forms (`csrf: true`) or the user is signed in, the CSRF token for the meta tag.
    ///
    /// A page that is the same for every visitor but for the CSRF token and the request id passes
    /// `sameFor`: a key that, with the template, the title and the signed-in state, determines
    /// everything else in `data`. It is then rendered once and filled in per request.
    public func page(
        _ template: String, title: String, _ data: [String: Any] = [:], status: HTTPResponse.Status = .ok,
        csrf: Bool = false, sameFor key: String? = nil
    ) throws -> Response {
        var values = data
        values["title"] = title
        let signedIn = try userID() != nil
        values["signedIn"] = signedIn
        var slots = ["requestID": request.id]
        if csrf || signedIn { slots["csrfToken"] = try csrfToken() }
        let renderer = environment.renderer
        guard let key else {
            values.merge(slots) { _, slot in slot }
            return .html(try renderer.render(template, values), status: status)
        }
        let html = try renderer.render(template, values, slots: slots, key: "\(key)\u{0}\(title)\u{0}\(signedIn)")
        return .html(html, status: status)
    }
}

