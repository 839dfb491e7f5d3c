import Foundation
import SLIP0013Signing
import TestSupport
import Testing

/// Trustee sign-in end to end: the program behind nginx calling the sandbox's Trustee emulator
/// (its own FastCGI server and socket) through nginx, the phone page approving or denying.
@Suite(.serialized) struct TrusteeLoginTests {
    @Test(arguments: Backend.allCases) func startQRPendingApproveAndSignIn(_ backend: Backend) throws {
        let stack = try Stack.start(backend: backend)
        defer { stack.stop() }
        let browser = Browser(stack)
        let login = try browser.get("/login")
        #expect(login.text.contains(#"id="trustee-login""#) && login.text.contains(#"src="/js/trustee-login.js""#))
        // A visit alone asks Trustee nothing (the script starts an attempt, and bots run none).
        #expect(try stack.trusteeCalls().start == 0)

        let started = try browser.startTrustee(page: "/login")
        #expect(started.attempt.utf8.count == 24)
        #expect(started.link.wholeMatch(of: /https:\/\/trustee\.example\/login\?key=[0-9a-f]{48}/) != nil)
        #expect(started.qr == "/login/trustee/qr/\(started.attempt)")
        #expect(started.expiresAt.wholeMatch(of: /\d{4}-\d\d-\d\dT\d\d:\d\d:\d\dZ/) != nil)
        #expect(started.pollInterval == 2000)
        let anonymous = try #require(browser.jar.cookies["vestibule_session"])

        let qr = try browser.get(started.qr)
        #expect(qr.status == 200)
        #expect(qr.header("Content-Type") == "image/svg+xml")
        #expect(qr.text.hasPrefix("<svg") && qr.text.contains("<path"))

        #expect(try browser.pollTrustee(started.attempt).body["status"] as? String == "pending")
        #expect(try TrusteePhone(stack).approve(started.uniqueKey).status == 303)
        // The last result is stored: within the check interval the poll does not ask again.
        #expect(try browser.pollTrustee(started.attempt).body["status"] as? String == "pending")
        try stack.advanceClock(2)
        let approved = try browser.pollTrustee(started.attempt)
        #expect(approved.status == 200)
        #expect(approved.body["status"] as? String == "approved")
        #expect(approved.body["redirect"] as? String == "/account")
        #expect(approved.body["created"] as? Bool == true)
        #expect(browser.jar.cookies["vestibule_session"] != anonymous, "the session id rotates at sign-in")

        let account = try browser.get("/account")
        #expect(account.status == 200)
        #expect(account.text.contains("Trustee wallet") && account.text.contains("tpt_sandbox_alice_5f2c9e"))
        #expect(account.text.contains("Alice Sandbox") && account.text.contains("67"))
        #expect(!account.text.contains("+380671234567"), "the phone number is shown masked")
        #expect(try stack.count("identities", where: "method = 'trustee'") == 1)
        #expect(try stack.count("users") == 1)
        // A later poll of the used attempt still says approved; the attempt cannot be used twice.
        #expect(try browser.pollTrustee(started.attempt).body["status"] as? String == "approved")

        // The same wallet from another browser: the same account, signed in, not a new one.
        let other = Browser(stack)
        let again = try other.startTrustee()
        _ = try TrusteePhone(stack).approve(again.uniqueKey)
        try stack.advanceClock(2)
        let second = try other.pollTrustee(again.attempt, next: "/account?via=trustee")
        #expect(second.body["status"] as? String == "approved")
        #expect(second.body["created"] as? Bool == false)
        #expect(second.body["redirect"] as? String == "/account?via=trustee")
        #expect(try stack.count("users") == 1)
        // The merchantWebKey never reaches the browser or the log.
        #expect(!login.text.contains("sandbox-merchant-web-key") && !stack.programLog.contains("sandbox-merchant-web-key"))
    }

    @Test func denialThenExpiryThenANewKeyForEachRetry() throws {
        let stack = try Stack.start()
        defer { stack.stop() }
        let browser = Browser(stack)
        let first = try browser.startTrustee()
        #expect(try TrusteePhone(stack).deny(first.uniqueKey).status == 303)
        try stack.advanceClock(2)
        let denied = try browser.pollTrustee(first.attempt)
        #expect(denied.body["status"] as? String == "denied")
        #expect(denied.body["message"] as? String == "The sign-in was declined in the Trustee app.")
        #expect(try stack.count("login_failures", where: "method = 'trustee' AND pending = false") == 1)
        // Denied stays denied, and costs no more upstream calls.
        let calls = try stack.trusteeCalls()
        try stack.advanceClock(5)
        #expect(try browser.pollTrustee(first.attempt).body["status"] as? String == "denied")
        #expect(try stack.trusteeCalls().check == calls.check)

        let second = try browser.startTrustee()
        #expect(second.uniqueKey != first.uniqueKey && second.attempt != first.attempt)
        try stack.advanceClock(121)
        let expired = try browser.pollTrustee(second.attempt)
        #expect(expired.body["status"] as? String == "expired")
        #expect((expired.body["message"] as? String)?.contains("expired") == true)
        // Approving it now is too late, at Trustee and here.
        #expect(try TrusteePhone(stack).approve(second.uniqueKey).status == 409)
        let third = try browser.startTrustee()
        #expect(Set([first.uniqueKey, second.uniqueKey, third.uniqueKey]).count == 3)
        #expect(try stack.trusteeCalls().start == 3)
    }

    /// Three denials from one address ban it, like three bad Trezor signatures; the ban is for
    /// starting too, so a banned address makes no upstream call.
    @Test func denialsCountAgainstTheAddress() throws {
        let stack = try Stack.start()
        defer { stack.stop() }
        let browser = Browser(stack)
        for _ in 0..<3 {
            let started = try browser.startTrustee()
            _ = try TrusteePhone(stack).deny(started.uniqueKey)
            try stack.advanceClock(2)
            #expect(try browser.pollTrustee(started.attempt).body["status"] as? String == "denied")
        }
        let starts = try stack.trusteeCalls().start
        let refused = try browser.postJSON("/login/trustee/start", [:])
        #expect(refused.status == 429)
        #expect(refused.header("Retry-After") != nil)
        #expect(try stack.trusteeCalls().start == starts)
    }

    @Test func anotherSessionsAttemptIsNotFoundAndBadBodiesNameTheField() throws {
        let stack = try Stack.start()
        defer { stack.stop() }
        let owner = Browser(stack)
        let started = try owner.startTrustee()
        let stranger = Browser(stack)
        _ = try stranger.get("/login/trustee")
        _ = try stranger.startTrustee()
        let theirs = try stranger.pollTrustee(started.attempt)
        let unknown = try stranger.pollTrustee("AAAAAAAAAAAAAAAAAAAAAAAA")
        #expect(theirs.status == 404 && unknown.status == 404)
        #expect(theirs.body["message"] as? String == unknown.body["message"] as? String)
        #expect(try stranger.get(started.qr).status == 404)
        // No session at all: the same 404.
        let cookieless = Browser(stack)
        _ = try cookieless.get("/login/trustee")
        #expect(try cookieless.pollTrustee(started.attempt).status == 404)

        let malformed = try owner.pollTrustee("not an attempt")
        #expect(malformed.status == 400 && malformed.body["field"] as? String == "attempt")
        let missing = try owner.postJSON("/login/trustee/poll", ["next": "/account"])
        #expect(missing.status == 400)
        #expect(try missing.json()["field"] as? String == "attempt")
        #expect(try owner.postJSON("/login/trustee/poll", ["attempt": 42]).status == 400)
        // Without the CSRF header: refused before anything else.
        #expect(try owner.postJSON("/login/trustee/poll", ["attempt": started.attempt], csrf: false).status == 403)
        #expect(try owner.pollTrustee(started.attempt).body["status"] as? String == "pending")
    }

    /// 50 polls (tabs, reloads, a hostile script) cost one upstream check per interval. (They are
    /// paced at 10 a second: nginx's rate limit on /login would answer faster ones with 429.)
    @Test func manyPollsCostFewUpstreamCalls() throws {
        let stack = try Stack.start()
        defer { stack.stop() }
        let browser = Browser(stack)
        let started = try browser.startTrustee()
        let began = Date()
        let tabs = (0..<5).map { _ in Browser(stack) }
        for tab in tabs { tab.jar.cookies = browser.jar.cookies }
        for round in 0..<50 {
            let tab = round % 2 == 0 ? browser : tabs[round % 5]
            if tab !== browser, tab.csrfToken == nil { _ = try tab.get("/login/trustee") }
            #expect(try tab.pollTrustee(started.attempt).body["status"] as? String == "pending")
            if round == 25 { try stack.advanceClock(2) }
            usleep(100_000)
        }
        // One check per 2 s of the clock: the 2 s it was moved on, and the real time the polls took.
        let checks = try stack.trusteeCalls().check
        let allowed = 2 + Int((Date().timeIntervalSince(began) / 2).rounded(.up))
        #expect(checks >= 2 && checks <= allowed, "\(checks) checks for 50 polls; at most \(allowed)")
        inParallel(20) { _ in _ = try? browser.pollTrustee(started.attempt) }
        #expect(try stack.trusteeCalls().check <= checks + 1)
    }

    /// Trustee answering garbage, or down: a plain message, the attempt goes on, nobody is
    /// counted against; back to normal, the same attempt signs in.
    @Test func trusteeMisbehavingNeverCountsAgainstThePerson() throws {
        let stack = try Stack.start()
        defer { stack.stop() }
        let browser = Browser(stack)
        let started = try browser.startTrustee()
        for mode in ["garbage", "down", "garbage"] {
            try stack.setTrusteeMode(mode)
            try stack.advanceClock(2)
            let answer = try browser.pollTrustee(started.attempt)
            #expect(answer.status == 200)
            #expect(answer.body["status"] as? String == "error")
            #expect(answer.body["message"] as? String != nil)
            // Polls within the interval repeat the stored error without asking again.
            #expect(try browser.pollTrustee(started.attempt).body["status"] as? String == "error")
        }
        #expect(try browser.postJSON("/login/trustee/start", [:]).status == 503)
        #expect(try stack.count("login_failures") == 0)
        try stack.setTrusteeMode("normal")
        _ = try TrusteePhone(stack).approve(started.uniqueKey, wallet: nil, token: "typed-token-123")
        try stack.advanceClock(2)
        #expect(try browser.pollTrustee(started.attempt).body["status"] as? String == "approved")
        #expect(try stack.count("identities", where: "subject = 'typed-token-123'") == 1)
        #expect(stack.programLog.contains("Trustee siteCheckRequest failed"))
    }

    /// An endpoint where nothing listens: start answers 503 with a plain message at once.
    @Test func trusteeUnreachable() throws {
        let closed = Stack.freePort()
        let stack = try Stack.start(environment: [
            "VESTIBULE_TRUSTEE_ENDPOINT": "http://127.0.0.1:\(closed)/graphql", "VESTIBULE_TRUSTEE_MERCHANT_WEB_KEY": "mwk-secret-1",
        ])
        defer { stack.stop() }
        let browser = Browser(stack)
        _ = try browser.get("/login/trustee")
        let refused = try browser.postJSON("/login/trustee/start", [:])
        #expect(refused.status == 503)
        #expect((try refused.json()["message"] as? String) == "Trustee cannot be reached right now. We will keep trying.")
        #expect(!refused.text.contains("mwk-secret-1") && !stack.programLog.contains("mwk-secret-1"))
        #expect(try stack.count("login_failures") == 0)
    }

    /// Signed in already (with a Trezor), an approval links the wallet to the same account; a
    /// wallet that is another account's is refused, with the reason.
    @Test func linkingAWalletToTheSignedInAccount() throws {
        let stack = try Stack.start()
        defer { stack.stop() }
        let bob = Browser(stack)
        let bobs = try bob.startTrustee()
        _ = try TrusteePhone(stack).approve(bobs.uniqueKey, wallet: "bob")
        try stack.advanceClock(2)
        #expect(try bob.pollTrustee(bobs.attempt).body["status"] as? String == "approved")

        let browser = Browser(stack)
        _ = try browser.signInWithTrezor(as: TestSigner(seed: 7))
        let page = try browser.get("/login/trustee")
        #expect(page.text.contains("Link a Trustee wallet"))
        let started = try browser.startTrustee()
        _ = try TrusteePhone(stack).approve(started.uniqueKey, wallet: "carol")
        try stack.advanceClock(2)
        let linked = try browser.pollTrustee(started.attempt, next: "/elsewhere")
        #expect(linked.body["status"] as? String == "approved")
        #expect(linked.body["redirect"] as? String == "/account")
        #expect(try stack.count("users") == 2)
        #expect(try stack.count("identities", where: "method = 'trustee'") == 2)
        #expect(try browser.get("/account").text.contains("Carol Sandbox"))

        let taken = try browser.startTrustee()
        _ = try TrusteePhone(stack).approve(taken.uniqueKey, wallet: "bob")
        try stack.advanceClock(2)
        let refused = try browser.pollTrustee(taken.attempt)
        #expect(refused.body["status"] as? String == "denied")
        #expect((refused.body["message"] as? String)?.contains("already linked to another account") == true)
        #expect(try stack.count("identities", where: "method = 'trustee'") == 2)
        #expect(try stack.count("login_failures") == 0)
    }

    /// Without the sandbox and without Trustee settings: the card says so, the routes are not there.
    @Test func notSetUpOnThisServer() throws {
        let stack = try Stack.start(environment: ["VESTIBULE_SANDBOX": "false"])
        defer { stack.stop() }
        let login = try stack.http.request("GET", "/login")
        #expect(login.text.contains("Not set up on this server"))
        #expect(!login.text.contains("trustee-login.js"))
        #expect(try stack.http.request("GET", "/login/trustee").status == 404)
        // The emulators' nginx location has no socket behind it: a plain 404, not a 502.
        let phone = try stack.http.request("GET", "/sandbox/trustee/phone")
        #expect(phone.status == 404)
        #expect(phone.text.contains("Not found"))
    }
}
