import Foundation

/// A browser as far as the server can tell: a cookie jar and the CSRF token of the last page.
final class Browser: @unchecked Sendable {
    /// Where requests go; a test may point the same browser (its cookies) at another node.
    var http: HTTPClient
    let jar = CookieJar()
    var userAgent = "Mozilla/5.0 (X11; Linux x86_64) VestibuleTests/1.0 Chrome/1.0"
    private(set) var csrfToken: String?

    init(_ stack: Stack) {
        http = stack.http
    }

    init(_ http: HTTPClient) {
        self.http = http
    }

    var headers: [String: String] { jar.header.merging(["User-Agent": userAgent]) { a, _ in a } }

    @discardableResult
    func get(_ path: String) throws -> HTTPClient.Response {
        let response = try http.request("GET", path, headers: headers)
        jar.absorb(response)
        if let token = response.csrfToken { csrfToken = token }
        return response
    }

    @discardableResult
    func postJSON(_ path: String, _ body: [String: Any], csrf: Bool = true) throws -> HTTPClient.Response {
        var headers = self.headers
        headers["Content-Type"] = "application/json"
        if csrf, let csrfToken { headers["X-CSRF-Token"] = csrfToken }
        let response = try http.request("POST", path, headers: headers, body: Array(try JSONSerialization.data(withJSONObject: body)))
        jar.absorb(response)
        return response
    }

    @discardableResult
    func postForm(_ path: String, _ fields: [String: String] = [:]) throws -> HTTPClient.Response {
        var all = fields
        if let csrfToken { all["_csrf"] = csrfToken }
        let body = all.map { "\($0.key)=\($0.value.addingPercentEncoding(withAllowedCharacters: .alphanumerics) ?? "")" }.joined(separator: "&")
        let response = try http.form(path, body, headers: headers)
        jar.absorb(response)
        return response
    }
}
