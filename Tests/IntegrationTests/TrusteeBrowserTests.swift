import Foundation
import TestSupport
import Testing

/// The Trustee pages in headless Chromium: the QR code the page draws decodes (zbarimg) to the
/// link it offers, approval on the phone page in a second browser moves the first to /account,
/// denial and expiry show their messages and "Try again". Screenshots go to test-artifacts/.
@Suite(.serialized) struct TrusteeBrowserTests {
    /// The QR code as drawn, decoded by zbar (an independent reader).
    func decodedQR(_ browser: WebDriver, name: String) throws -> String {
        let png = try browser.elementScreenshot("#trustee-qr")
        let directory = Stack.repositoryRoot + "/test-artifacts"
        try FileManager.default.createDirectory(atPath: directory, withIntermediateDirectories: true)
        let path = "\(directory)/\(name).png"
        try png.write(to: URL(fileURLWithPath: path))
        let zbar = Process()
        zbar.executableURL = URL(fileURLWithPath: "/usr/bin/zbarimg")
        zbar.arguments = ["--raw", "-q", path]
        let output = Pipe()
        zbar.standardOutput = output
        zbar.standardError = FileHandle.nullDevice
        try zbar.run()
        let data = output.fileHandleForReading.readDataToEndOfFile()
        zbar.waitUntilExit()
        return String(decoding: data, as: UTF8.self).trimmingCharacters(in: .whitespacesAndNewlines)
    }

    func waitForQR(_ browser: WebDriver) throws -> String {
        try browser.wait("the QR code") {
            try browser.script("const q = document.getElementById('trustee-qr'); return !q.hidden && q.complete && q.naturalWidth > 0") as? Bool == true
        }
        return try browser.script("return document.getElementById('trustee-open').href") as? String ?? ""
    }

    func status(_ browser: WebDriver) throws -> String { try browser.text("#trustee-status") }

    @Test func approvalOnThePhoneMovesThePageToTheAccount() throws {
        let stack = try Stack.start()
        defer { stack.stop() }
        let base = "http://127.0.0.1:\(stack.port)"
        let browser = try WebDriver()
        try browser.open(base + "/login/trustee")
        let link = try waitForQR(browser)
        #expect(link.hasPrefix("https://trustee.example/login?key="))
        #expect(try decodedQR(browser, name: "trustee-qr") == link)
        #expect(try browser.text("#trustee-countdown").hasPrefix("Expires in "))
        try browser.wait("the waiting message") { try status(browser).contains("Trustee app") }
        try browser.screenshot("trustee-page")
        // As a phone shows it: the QR code and the "Open in Trustee" button fit the width.
        try browser.resize(width: 390, height: 844)
        #expect(try browser.script("return document.documentElement.scrollWidth <= window.innerWidth") as? Bool == true)
        try browser.screenshot("trustee-page-phone-width")
        try browser.resize(width: 1280, height: 900)

        let phone = try WebDriver()
        try phone.open(base + "/sandbox/trustee/phone")
        try phone.screenshot("trustee-phone")
        try phone.click(#"button.approve[data-wallet="alice"]"#)
        try phone.wait("the approval") { try phone.source.contains("Approved.") }

        try browser.wait("the account page") { try browser.url == base + "/account" }
        #expect(try browser.source.contains("Alice Sandbox"))
        try browser.screenshot("trustee-account")
    }

    /// On the login page itself: the QR code starts by itself; a denial shows its message and
    /// "Try again", which brings a new code; expiry shows its own.
    @Test func denialAndExpiryOnTheLoginPage() throws {
        let stack = try Stack.start()
        defer { stack.stop() }
        let base = "http://127.0.0.1:\(stack.port)"
        let browser = try WebDriver()
        try browser.open(base + "/login")
        let first = try waitForQR(browser)
        #expect(try decodedQR(browser, name: "trustee-login-qr") == first)
        try browser.screenshot("trustee-login")

        let key = try #require(first.components(separatedBy: "key=").last)
        #expect(try TrusteePhone(stack).deny(key).status == 303)
        try browser.wait("the denial") { try status(browser).contains("declined") }
        #expect(try browser.script("return document.getElementById('trustee-retry').hidden") as? Bool == false)
        #expect(try browser.script("return document.getElementById('trustee-qr').hidden") as? Bool == true)
        try browser.screenshot("trustee-denied")

        // "Try again", from the keyboard: focus and Enter.
        _ = try browser.script("document.getElementById('trustee-retry').focus()")
        _ = try browser.script("document.activeElement.click()")
        let second = try waitForQR(browser)
        #expect(second != first)
        try stack.advanceClock(121)
        try browser.wait("the expiry") { try status(browser).contains("expired") }
        #expect(try browser.script("return document.getElementById('trustee-retry').hidden") as? Bool == false)
        try browser.screenshot("trustee-expired")
    }
}
