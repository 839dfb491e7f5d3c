import Foundation
import Testing

/// An attempt as `POST /login/trustee/start` answered it.
struct TrusteeStarted {
    let attempt: String
    let link: String
    let qr: String
    let expiresAt: String
    let pollInterval: Int

    /// The `uniqueKeyForRequest` the emulator's link carries.
    var uniqueKey: String { link.components(separatedBy: "key=").last ?? "" }
}

extension Browser {
    /// Starts a Trustee attempt as the page's script does (the login page first, for its token).
    func startTrustee(page: String = "/login/trustee") throws -> TrusteeStarted {
        if csrfToken == nil { _ = try get(page) }
        let response = try postJSON("/login/trustee/start", [:])
        #expect(response.status == 200, "\(response.text)")
        let body = try response.json()
        return TrusteeStarted(
            attempt: try #require(body["attempt"] as? String), link: try #require(body["link"] as? String),
            qr: try #require(body["qr"] as? String), expiresAt: try #require(body["expiresAt"] as? String),
            pollInterval: try #require(body["pollInterval"] as? Int))
    }

    /// One poll; the answer's status and body.
    func pollTrustee(_ attempt: String, next: String? = nil) throws -> (status: Int, body: [String: Any]) {
        var body: [String: Any] = ["attempt": attempt]
        if let next { body["next"] = next }
        let response = try postJSON("/login/trustee/poll", body)
        return (response.status, (try? response.json()) ?? [:])
    }
}

/// The sandbox's phone page, as a person holding the phone uses it (a browser of its own).
struct TrusteePhone {
    let browser: Browser

    init(_ stack: Stack) {
        browser = Browser(stack)
    }

    /// Approves the request with this key as a test wallet (`alice`, `bob`, `carol`) or a typed token.
    func approve(_ uniqueKey: String, wallet: String? = "alice", token: String? = nil) throws -> HTTPClient.Response {
        _ = try browser.get("/sandbox/trustee/phone")
        var fields = ["key": uniqueKey]
        if let wallet { fields["wallet"] = wallet }
        if let token { fields["userPublicToken"] = token }
        return try browser.postForm("/sandbox/trustee/phone/approve", fields)
    }

    func deny(_ uniqueKey: String) throws -> HTTPClient.Response {
        _ = try browser.get("/sandbox/trustee/phone")
        return try browser.postForm("/sandbox/trustee/phone/deny", ["key": uniqueKey])
    }
}

extension Stack {
    /// Moves the program's (sandbox) clock on: expiry, and the next upstream check, without waiting.
    func advanceClock(_ seconds: Double) throws {
        #expect(try http.request("POST", "/sandbox/clock/advance?seconds=\(seconds)").status == 200)
    }

    /// How many times the emulator was asked each mutation.
    func trusteeCalls() throws -> (start: Int, check: Int) {
        let body = try http.request("GET", "/sandbox/trustee/stats").json()
        return (body["siteStartRequest"] as? Int ?? -1, body["siteCheckRequest"] as? Int ?? -1)
    }

    func setTrusteeMode(_ mode: String) throws {
        #expect(try http.request("POST", "/sandbox/trustee/mode?set=\(mode)").status == 200)
    }
}
