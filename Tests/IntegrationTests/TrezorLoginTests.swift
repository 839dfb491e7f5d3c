import Foundation
import SLIP0013Signing
import Support
import TestSupport
import Testing

/// Trezor sign-in end to end through nginx, with a test key signing like the device.
@Suite(.serialized) struct TrezorLoginTests {
    let key = TestSigner(seed: 42)

    /// A browser that has opened the Trezor page (and so has a session and a CSRF token).
    func browserOnTrezorPage(_ stack: Stack) throws -> Browser {
        let browser = Browser(stack)
        let page = try browser.get("/login/trezor")
        #expect(page.status == 200)
        return browser
    }

    @Test(arguments: Backend.allCases) func theWholeFlow(_ backend: Backend) throws {
        let stack = try Stack.start(backend: backend)
        defer { stack.stop() }
        let browser = try browserOnTrezorPage(stack)
        let anonymousCookie = browser.jar.cookies["vestibule_session"]
        let given = try browser.trezorChallenge()
        let verified = try browser.postJSON("/login/trezor/verify", given.answer(signer: key))
        #expect(verified.status == 200)
        let body = try verified.json()
        #expect(body["redirect"] as? String == "/account")
        #expect(body["created"] as? Bool == true)
        // The session id rotated at sign-in.
        #expect(browser.jar.cookies["vestibule_session"] != nil)
        #expect(browser.jar.cookies["vestibule_session"] != anonymousCookie)

        let account = try browser.get("/account")
        #expect(account.status == 200)
        #expect(account.text.contains(key.publicKeyHex))
        #expect(account.text.contains(key.address))
        #expect(account.text.contains("this browser"))

        // The same key again, in a new browser: the same account, not a new one.
        let second = try browserOnTrezorPage(stack)
        let again = try second.postJSON("/login/trezor/verify", try second.trezorChallenge().answer(signer: key))
        #expect(try again.json()["created"] as? Bool == false)
        #expect(try second.get("/account").text.contains(key.publicKeyHex))

        let signOut = try browser.postForm("/logout")
        #expect(signOut.status == 303)
        let afterwards = try browser.get("/account")
        #expect(afterwards.status == 303)
        #expect(afterwards.header("Location") == "/login?next=/account")
    }

    @Test func aReplayedChallengeIsRefused() throws {
        let stack = try Stack.start()
        defer { stack.stop() }
        let browser = try browserOnTrezorPage(stack)
        let given = try browser.trezorChallenge()
        let signed = given.answer(signer: key)
        #expect(try browser.postJSON("/login/trezor/verify", signed).status == 200)
        _ = try browser.get("/account")  // a fresh CSRF token for the rotated session
        let replay = try browser.postJSON("/login/trezor/verify", signed)
        #expect(replay.status == 401)
        #expect(try replay.json()["message"] as? String != nil)
    }

    @Test func aChallengeFromAnotherSessionIsRefused() throws {
        let stack = try Stack.start()
        defer { stack.stop() }
        let alice = try browserOnTrezorPage(stack)
        let mallory = try browserOnTrezorPage(stack)
        let alicesChallenge = try alice.trezorChallenge()
        _ = try mallory.trezorChallenge()  // a session of mallory's own
        let stolen = try mallory.postJSON("/login/trezor/verify", alicesChallenge.answer(signer: key))
        #expect(stolen.status == 401)
        #expect((try stolen.json()["message"] as? String)?.contains("another browser") == true)
        // Alice's challenge is untouched by the attempt: she can still use it.
        #expect(try alice.postJSON("/login/trezor/verify", alicesChallenge.answer(signer: key)).status == 200)
    }

    @Test func anExpiredChallengeIsRefused() throws {
        let stack = try Stack.start()
        defer { stack.stop() }
        let browser = try browserOnTrezorPage(stack)
        let given = try browser.trezorChallenge()
        #expect(try stack.http.request("POST", "/sandbox/clock/advance?seconds=301").status == 200)
        let late = try browser.postJSON("/login/trezor/verify", given.answer(signer: key))
        #expect(late.status == 401)
        #expect((try late.json()["message"] as? String)?.contains("expired") == true)
    }

    @Test(arguments: Backend.allCases) func badSignaturesAreCountedAndBanned(_ backend: Backend) throws {
        let stack = try Stack.start(backend: backend)
        defer { stack.stop() }
        let browser = try browserOnTrezorPage(stack)
        let impostor = TestSigner(seed: 7)
        for _ in 0..<3 {
            var forged = try browser.trezorChallenge().answer(signer: impostor)
            forged["publicKey"] = key.publicKeyHex  // claims the victim's key
            forged["address"] = key.address
            let refused = try browser.postJSON("/login/trezor/verify", forged)
            #expect(refused.status == 401)
        }
        // Banned: even a correct answer is refused, with Retry-After.
        let correct = try browser.postJSON("/login/trezor/verify", try browser.trezorChallenge().answer(signer: key))
        #expect(correct.status == 429)
        let retryAfter = try #require(Int(correct.header("Retry-After") ?? ""))
        #expect(retryAfter > 0 && retryAfter <= 300)
        // From a fresh browser on the same address too.
        let other = try browserOnTrezorPage(stack)
        #expect(try other.postJSON("/login/trezor/verify", try other.trezorChallenge().answer(signer: TestSigner(seed: 9))).status == 429)
        // After the ban, the correct answer works.
        #expect(try stack.http.request("POST", "/sandbox/clock/advance?seconds=301").status == 200)
        #expect(try browser.postJSON("/login/trezor/verify", try browser.trezorChallenge().answer(signer: key)).status == 200)
    }

    /// Strangers cannot lock a person out: bad signatures claiming someone's key, from three
    /// addresses, ban those addresses, not the key; its owner signs in from a fourth.
    @Test func badSignaturesClaimingAKeyDoNotBanTheKey() throws {
        let stack = try Stack.start()
        defer { stack.stop() }
        let impostor = TestSigner(seed: 7)
        for index in 2...4 {
            let browser = Browser(HTTPClient(port: stack.port, from: "127.0.0.\(index)"))
            _ = try browser.get("/login/trezor")
            for _ in 0..<3 {
                var forged = try browser.trezorChallenge().answer(signer: impostor)
                forged["publicKey"] = key.publicKeyHex
                forged["address"] = key.address
                #expect(try browser.postJSON("/login/trezor/verify", forged).status == 401)
            }
            // That address is banned now, for everyone coming from it.
            #expect(try browser.postJSON("/login/trezor/verify", try browser.trezorChallenge().answer(signer: key)).status == 429)
        }
        let owner = Browser(HTTPClient(port: stack.port, from: "127.0.0.5"))
        let signedIn = try owner.signInWithTrezor(as: key)
        #expect(signedIn["redirect"] as? String == "/account")
    }

    /// Parallel wrong answers cannot get more attempts than the limit allows.
    @Test(arguments: Backend.allCases) func parallelAttemptsCannotSlipPastTheLimit(_ backend: Backend) throws {
        let stack = try Stack.start(backend: backend)
        defer { stack.stop() }
        let browsers = try (0..<8).map { _ in try browserOnTrezorPage(stack) }
        let forged = try browsers.map { browser -> Data in
            var answer = try browser.trezorChallenge().answer(signer: TestSigner(seed: 3))
            answer["publicKey"] = key.publicKeyHex
            answer["address"] = key.address
            return try JSONSerialization.data(withJSONObject: answer)
        }
        let statuses = StatusCounter()
        DispatchQueue.concurrentPerform(iterations: browsers.count) { index in
            let body = (try? JSONSerialization.jsonObject(with: forged[index])) as? [String: Any] ?? [:]
            statuses.add((try? browsers[index].postJSON("/login/trezor/verify", body).status) ?? -1)
        }
        #expect(statuses.counts[401] == 3)
        #expect(statuses.counts[429] == 5)
    }

    @Test func aSecondTrezorCanBeLinked() throws {
        let stack = try Stack.start()
        defer { stack.stop() }
        let browser = try browserOnTrezorPage(stack)
        #expect(try browser.postJSON("/login/trezor/verify", try browser.trezorChallenge().answer(signer: key)).status == 200)
        let linkPage = try browser.get("/login/trezor")
        #expect(linkPage.text.contains("Link another Trezor"))
        let spare = TestSigner(seed: 43)
        let linked = try browser.postJSON("/login/trezor/verify", try browser.trezorChallenge().answer(signer: spare))
        #expect(linked.status == 200)
        #expect(try linked.json()["created"] as? Bool == false)
        let account = try browser.get("/account").text
        #expect(account.contains(key.publicKeyHex) && account.contains(spare.publicKeyHex))
        // The spare key signs in to the same account.
        let elsewhere = try browserOnTrezorPage(stack)
        #expect(try elsewhere.postJSON("/login/trezor/verify", try elsewhere.trezorChallenge().answer(signer: spare)).status == 200)
        let seen = try elsewhere.get("/account").text
        #expect(seen.contains(key.publicKeyHex))
    }

    @Test func malformedFieldsAre400NamingTheField() throws {
        let stack = try Stack.start()
        defer { stack.stop() }
        let browser = try browserOnTrezorPage(stack)
        let good = try browser.trezorChallenge().answer(signer: key)
        for (field, value) in [("challengeHidden", "xyz"), ("publicKey", "04" + String(repeating: "ab", count: 32)),
                               ("signature", "1f00"), ("address", "0OIl")] {
            var body = good
            body[field] = value
            let response = try browser.postJSON("/login/trezor/verify", body)
            #expect(response.status == 400, "\(field)")
            #expect(try response.json()["field"] as? String == field)
        }
        var missing = good
        missing["signature"] = nil
        #expect(try browser.postJSON("/login/trezor/verify", missing).json()["field"] as? String == "signature")
        // And none of this counted as a failure: the real answer still works.
        #expect(try browser.postJSON("/login/trezor/verify", good).status == 200)
    }

    @Test func challengeAndVerifyNeedTheCSRFToken() throws {
        let stack = try Stack.start()
        defer { stack.stop() }
        let browser = try browserOnTrezorPage(stack)
        #expect(try browser.postJSON("/login/trezor/challenge", [:], csrf: false).status == 403)
        #expect(try browser.postJSON("/login/trezor/verify", [:], csrf: false).status == 403)
    }

    @Test func theTrezorPageAllowsConnectAndPopups() throws {
        let stack = try Stack.start()
        defer { stack.stop() }
        let page = try Browser(stack).get("/login/trezor")
        #expect(page.header("Content-Security-Policy")?.contains("script-src 'self' https://connect.trezor.io") == true)
        #expect(page.header("Content-Security-Policy")?.contains("frame-src 'self' https://connect.trezor.io") == true)
        #expect(page.header("Cross-Origin-Opener-Policy") == "same-origin-allow-popups")
        #expect(page.text.contains("<script src=\"https://connect.trezor.io/9/trezor-connect.js\"></script>"))
        #expect(page.text.contains("data-manifest-email=\"webmaster@127.0.0.1\""))
        // The login page now offers Trezor.
        let login = try Browser(stack).get("/login")
        #expect(login.text.contains("href=\"/login/trezor\""))
    }
}
