import Foundation
import TestSupport

/// Headless Chromium through chromedriver (Debian's chromium and chromium-driver), spoken to with
/// the W3C WebDriver protocol over our own HTTP client.
final class WebDriver: @unchecked Sendable {
    private let driver: Process
    private let http: HTTPClient
    private let sessionID: String

    init() throws {
        let port = Stack.freePort()
        driver = Process()
        driver.executableURL = URL(fileURLWithPath: "/usr/bin/chromedriver")
        driver.arguments = ["--port=\(port)"]
        driver.standardOutput = FileHandle.nullDevice
        driver.standardError = FileHandle.nullDevice
        try driver.run()
        http = HTTPClient(port: port)
        var ready = false
        for _ in 0..<200 where !ready {
            ready = (try? http.request("GET", "/status"))?.status == 200
            if !ready { usleep(25_000) }
        }
        guard ready else { throw TestFailure("chromedriver did not start") }
        let capabilities: [String: Any] = [
            "capabilities": ["alwaysMatch": [
                "browserName": "chrome",
                "goog:chromeOptions": [
                    "binary": "/usr/bin/chromium",
                    "args": ["--headless=new", "--no-sandbox", "--disable-gpu", "--disable-dev-shm-usage",
                             "--window-size=1280,900", "--hide-scrollbars", "--force-device-scale-factor=1"],
                ],
            ]]
        ]
        let created = try Self.send(http, "POST", "/session", capabilities)
        guard let id = (created["value"] as? [String: Any])?["sessionId"] as? String else {
            throw TestFailure("no WebDriver session: \(created)")
        }
        sessionID = id
    }

    /// Closes the browser (DELETE session), then stops chromedriver: it ignores SIGTERM at times,
    /// so after two seconds it gets SIGKILL.
    deinit {
        _ = try? Self.send(http, "DELETE", "/session/\(sessionID)", nil)
        driver.terminate()
        let deadline = Date().addingTimeInterval(2)
        while driver.isRunning && Date() < deadline { usleep(20_000) }
        if driver.isRunning { kill(driver.processIdentifier, SIGKILL) }
        driver.waitUntilExit()
    }

    @discardableResult
    private static func send(_ http: HTTPClient, _ method: String, _ path: String, _ body: [String: Any]?) throws -> [String: Any] {
        let data = try body.map { try JSONSerialization.data(withJSONObject: $0) } ?? Data()
        let response = try http.request(method, path, headers: ["Content-Type": "application/json"], body: Array(data), timeout: 60)
        let json = try response.json()
        if response.status >= 400 { throw TestFailure("\(method) \(path): \(response.status) \(json)") }
        return json
    }

    @discardableResult
    private func command(_ method: String, _ path: String, _ body: [String: Any]? = nil) throws -> Any? {
        try Self.send(http, method, "/session/\(sessionID)\(path)", body)["value"]
    }

    func open(_ url: String) throws { try command("POST", "/url", ["url": url]) }

    var url: String { get throws { try command("GET", "/url") as? String ?? "" } }

    var source: String { get throws { try command("GET", "/source") as? String ?? "" } }

    func click(_ selector: String) throws {
        let element = try command("POST", "/element", ["using": "css selector", "value": selector]) as? [String: Any]
        guard let id = element?.values.first as? String else { throw TestFailure("no element \(selector)") }
        try command("POST", "/element/\(id)/click", [:])
    }

    /// The visible text of the first element matching `selector`.
    func text(_ selector: String) throws -> String {
        let element = try command("POST", "/element", ["using": "css selector", "value": selector]) as? [String: Any]
        guard let id = element?.values.first as? String else { throw TestFailure("no element \(selector)") }
        return try command("GET", "/element/\(id)/text") as? String ?? ""
    }

    func script(_ source: String) throws -> Any? {
        try command("POST", "/execute/sync", ["script": source, "args": []])
    }

    /// Waits until `condition` holds, up to `timeout` seconds. A condition that throws (an element
    /// gone stale while the page it was on is replaced by the next one) is asked again.
    func wait(timeout: TimeInterval = 20, _ what: String, _ condition: () throws -> Bool) throws {
        let deadline = Date().addingTimeInterval(timeout)
        var lastError: (any Error)?
        while Date() < deadline {
            do {
                if try condition() { return }
            } catch {
                lastError = error
            }
            usleep(100_000)
        }
        throw TestFailure("timed out waiting for \(what); at \((try? url) ?? "?")" + (lastError.map { "; last error: \($0)" } ?? ""))
    }

    /// Resizes the window (a phone's size, to see a page as a phone shows it).
    func resize(width: Int, height: Int) throws {
        try command("POST", "/window/rect", ["width": width, "height": height])
    }

    /// A PNG of the first element matching `selector`, as it is drawn.
    func elementScreenshot(_ selector: String) throws -> Data {
        let element = try command("POST", "/element", ["using": "css selector", "value": selector]) as? [String: Any]
        guard let id = element?.values.first as? String else { throw TestFailure("no element \(selector)") }
        guard let base64 = try command("GET", "/element/\(id)/screenshot") as? String, let png = Data(base64Encoded: base64) else {
            throw TestFailure("no screenshot of \(selector)")
        }
        return png
    }

    /// Saves a PNG of the viewport as a test artifact (test-artifacts/, not committed).
    func screenshot(_ name: String) throws {
        guard let base64 = try command("GET", "/screenshot") as? String, let png = Data(base64Encoded: base64) else {
            throw TestFailure("no screenshot")
        }
        let directory = Stack.repositoryRoot + "/test-artifacts"
        try FileManager.default.createDirectory(atPath: directory, withIntermediateDirectories: true)
        try png.write(to: URL(fileURLWithPath: "\(directory)/\(name).png"))
    }
}
