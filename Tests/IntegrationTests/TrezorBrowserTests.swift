import Foundation
import SLIP0013Signing
import Testing

/// The Trezor page in headless Chromium, with Trezor Connect replaced by a test double that signs
/// with a test key. Screenshots go to test-artifacts/.
@Suite(.serialized) struct TrezorBrowserTests {
    /// A stack whose Trezor page loads the double, served by nginx from another port.
    func stack(signer: TestSigner, mode: TrezorConnectDouble.Mode) throws -> Stack {
        let doublePort = Stack.freePort()
        let stack = try Stack(environment: [
            "VESTIBULE_TREZOR_CONNECT_SCRIPT_URL": "http://127.0.0.1:\(doublePort)/trezor-connect.js",
            "VESTIBULE_TREZOR_MANIFEST_EMAIL": "support@vestibule.test",
        ])
        let doubleDirectory = stack.directory + "/double"
        try FileManager.default.createDirectory(atPath: doubleDirectory, withIntermediateDirectories: true)
        try TrezorConnectDouble.script(signer: signer, mode: mode)
            .write(toFile: doubleDirectory + "/trezor-connect.js", atomically: true, encoding: .utf8)
        let server = "server { listen 127.0.0.1:\(doublePort); root \(doubleDirectory); types { application/javascript js; } }\n"
        try server.write(toFile: stack.directory + "/double.conf", atomically: true, encoding: .utf8)
        try stack.startProgram()
        try stack.startNginx(extraIncludes: [stack.directory + "/double.conf"])
        return stack
    }

    @Test func signingInWithTheDeviceEndsOnTheAccountPage() throws {
        let signer = TestSigner(seed: 99)
        let stack = try stack(signer: signer, mode: .callback)
        defer { stack.stop() }
        let browser = try WebDriver()
        let base = "http://127.0.0.1:\(stack.port)"
        try browser.open(base + "/login")
        try browser.screenshot("login")
        try browser.openTrezorPage(base + "/login/trezor")
        try browser.screenshot("trezor-login")
        try browser.click("#trezor-start")
        try browser.wait("the account page") { try browser.url == base + "/account" }
        let page = try browser.source
        #expect(page.contains(signer.publicKeyHex))
        #expect(page.contains(signer.address))
        try browser.screenshot("account")
        // Already signed in, the same device again (nothing to link): back on the account page.
        try browser.openTrezorPage(base + "/login/trezor")
        try browser.click("#trezor-start")
        try browser.wait("the account page again") { try browser.url == base + "/account" }
    }

    /// Connect 9.7 and later refuse the callback form: the page falls back to the plain form.
    @Test func theFallbackForConnectWithoutTheCallbackForm() throws {
        let signer = TestSigner(seed: 98)
        let stack = try stack(signer: signer, mode: .plainOnly)
        defer { stack.stop() }
        let browser = try WebDriver()
        let base = "http://127.0.0.1:\(stack.port)"
        try browser.openTrezorPage(base + "/login/trezor?next=%2Faccount%3Fvia%3Dfallback")
        try browser.click("#trezor-start")
        try browser.wait("the account page") { try browser.url == base + "/account?via=fallback" }
        #expect(try browser.source.contains(signer.publicKeyHex))
    }

    @Test func cancellingOnTheDeviceShowsAReadableError() throws {
        let stack = try stack(signer: TestSigner(seed: 97), mode: .cancel)
        defer { stack.stop() }
        let browser = try WebDriver()
        let base = "http://127.0.0.1:\(stack.port)"
        try browser.openTrezorPage(base + "/login/trezor")
        try browser.click("#trezor-start")
        try browser.wait("the error") { !(try browser.text("#trezor-error")).isEmpty }
        #expect(try browser.text("#trezor-error").contains("You cancelled the sign-in"))
        #expect(try browser.url == base + "/login/trezor")
        let manifest = try browser.script("return JSON.stringify(window.trezorDoubleManifest)") as? String
        #expect(manifest?.contains("\"email\":\"support@vestibule.test\"") == true)
        #expect(manifest?.contains("\"appUrl\":\"http://127.0.0.1:\(stack.port)\"") == true)
        #expect(manifest?.contains("\"appName\":\"Vestibule\"") == true)
        try browser.screenshot("trezor-cancelled")
    }
}

extension WebDriver {
    /// Opens the Trezor page at `url` and waits for the Connect double the test serves.
    func openTrezorPage(_ url: String) throws {
        try open(url)
        try wait("the Trezor Connect double to load") { try script("return typeof window.TrezorConnect") as? String == "object" }
    }
}
