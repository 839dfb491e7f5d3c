import Testing
@testable import Web

@Suite struct CookieTests {
    @Test func parsesCookieHeaders() {
        let cookies = Cookies.parse(["a=1; vestibule_session=tok-en_1; quoted=\"x y\"", "a=2; b=3"])
        #expect(cookies == ["a": "1", "vestibule_session": "tok-en_1", "quoted": "x y", "b": "3"])
    }

    @Test func ignoresMalformedPieces() {
        #expect(Cookies.parse(["novalue; ; =; c=ok"]) == ["c": "ok"])
    }

    @Test func writesSessionCookieAttributes() {
        #expect(SetCookie(name: "vestibule_session", value: "t", maxAge: 60, secure: false).headerValue
            == "vestibule_session=t; Path=/; Max-Age=60; HttpOnly; SameSite=Lax")
        #expect(SetCookie(name: "__Host-vestibule", value: "t", secure: true).headerValue
            == "__Host-vestibule=t; Path=/; Secure; HttpOnly; SameSite=Lax")
        #expect(SetCookie.expired(name: "x", secure: false).headerValue.contains("Max-Age=0"))
    }

    @Test func secureCookiesUseTheHostPrefix() {
        #expect(SessionSettings(secureCookies: true).cookieName == "__Host-vestibule")
        #expect(SessionSettings(secureCookies: false).cookieName == "vestibule_session")
    }

    @Test func localRedirectsOnly() {
        #expect(LocalRedirect.validated("/account") == "/account")
        #expect(LocalRedirect.validated("/account?tab=keys") == "/account?tab=keys")
        for bad in ["//evil.example", "/\\evil.example", "https://evil.example", "account", "", "/a b", "/a\u{0}", nil] {
            #expect(LocalRedirect.validated(bad) == nil, "\(String(describing: bad))")
        }
    }
}
