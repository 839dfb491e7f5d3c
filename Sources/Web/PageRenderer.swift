import Foundation
import HTTPTypes
import Mustache

/// Mustache templates from `templates/`, loaded once at start. Every `{{value}}` is HTML-escaped.
public struct PageRenderer: Sendable {
    private let library: MustacheLibrary

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
}

extension RequestContext {
    /// Renders a page in the layout. The layout gets `title`, the signed-in state and, when the
    /// page has forms (`csrf: true`) or the user is signed in, the CSRF token for the meta tag.
    public func page(
        _ template: String, title: String, _ data: [String: Any] = [:], status: HTTPResponse.Status = .ok,
        csrf: Bool = false
    ) throws -> Response {
        var values = data
        values["title"] = title
        values["requestID"] = request.id
        let signedIn = try userID() != nil
        values["signedIn"] = signedIn
        if csrf || signedIn { values["csrfToken"] = try csrfToken() }
        return .html(try environment.renderer.render(template, values), status: status)
    }
}

