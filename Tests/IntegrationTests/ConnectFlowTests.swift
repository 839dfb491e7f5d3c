import Foundation
import TestSupport
import Testing

/// The Connector's one-click connect, end to end: the page, the redirect with the token,
/// `POST token`, `POST token/exchange`, and the keys it returns working on the vendor API.
@Suite(.serialized) struct ConnectFlowTests {
    @Test(arguments: Backend.allCases) func pageRedirectTokenExchangeAndTheKeysWork(_ backend: Backend) throws {
        let stack = try Stack.start(backend: backend)
        defer { stack.stop() }
        let ada = try APIPerson.signUp(stack, seed: 51, name: "Ada")
        let made = try ada.call(stack, "PUT", "teams", ["name": "Acme"]).json()
        let id = try #require((made["id"] as? NSNumber)?.int64Value)
        _ = try ada.call(stack, "PUT", "teams", ["name": "Second"])
        let redirect = "https://vendor.example/wp-admin/admin.php?page=trustedlogin-settings#connect"
        let path = "/connect/n0nce-1?redirect=\(redirect.addingPercentEncoding(withAllowedCharacters: .alphanumerics)!)"

        // Signed out: to the login page, which comes back here.
        let signedOut = try stack.http.request("GET", path)
        #expect(signedOut.status == 303 && signedOut.header("Location")?.hasPrefix("/login?next=%2Fconnect%2Fn0nce-1") == true)

        let page = try ada.browser.get(path)
        #expect(page.status == 200)
        #expect(page.text.contains(#"id="asking-host">vendor.example<"#))
        #expect(page.text.contains("Acme") && page.text.contains("Second"))
        #expect(page.header("Content-Security-Policy")?.contains("form-action 'self' https://vendor.example") == true)
        #expect(try ada.browser.postForm("/connect/n0nce-1", ["redirect": redirect]).status == 422)
        let allowed = try ada.browser.postForm("/connect/n0nce-1", ["redirect": redirect, "team": String(id)])
        #expect(allowed.status == 303)
        let location = try #require(allowed.header("Location"))
        #expect(location.hasPrefix("https://vendor.example/wp-admin/admin.php?page=trustedlogin-settings&tl_connect_token=vst_con_"))
        #expect(location.hasSuffix("#connect"))
        let connect = try #require(location.firstMatch(of: /tl_connect_token=([A-Za-z0-9_-]+)/).map { String($0.1) })

        func post(_ route: String, bearer: String, _ body: [String: Any]) throws -> HTTPClient.Response {
            try stack.http.request("POST", "/api/v1/" + route, headers: ["Authorization": "Bearer \(bearer)", "Content-Type": "application/json"],
                                   body: Array(try JSONSerialization.data(withJSONObject: body)))
        }
        #expect(try post("token", bearer: connect, ["token": "something else"]).status == 401)
        let tokens = try post("token", bearer: connect, ["token": connect, "nonce": "n0nce-1"])
        #expect(tokens.status == 200)
        let list = try #require(try JSONSerialization.jsonObject(with: Data(tokens.body)) as? [[String: Any]])
        #expect(list.count == 1 && list[0]["name"] as? String == "Acme", "only the team allowed")
        let teamToken = try #require(list[0]["token"] as? String)

        let exchanged = try post("token/exchange?token=\(connect)", bearer: connect, ["token": teamToken, "accountToken": String(id)])
        #expect(exchanged.status == 200)
        let keys = try exchanged.json()
        #expect(keys["success"] as? Bool == true && (keys["id"] as? NSNumber)?.int64Value == id)
        #expect(keys["apiToken"] as? String == made["privateKey"] as? String, "apiToken is the private key")
        #expect(try post("token/exchange?token=\(connect)", bearer: connect, ["token": teamToken]).status == 401, "one use")

        // The keys work on the vendor API with the Connector's headers.
        let team = TLTeam(id: id, name: "Acme", publicKey: try #require(keys["publicKey"] as? String), privateKey: try #require(keys["apiToken"] as? String))
        let sites = try TrustedLoginAPI(http: stack.http).vendor("POST", "accounts/\(id)/sites", team: team, ["searchKeys": [String(repeating: "a", count: 64)]])
        #expect([200, 204].contains(sites.status))

        // Ten minutes on, the connect token is dead.
        try stack.advanceClock(601)
        #expect(try post("token", bearer: connect, ["token": connect]).status == 401)
    }

    @Test func aBadRedirectIsRefusedNeverFollowed() throws {
        let stack = try Stack.start()
        defer { stack.stop() }
        let ada = try APIPerson.signUp(stack, seed: 52, name: "Ada")
        for bad in ["/local/path", "javascript:alert(1)", "ftp://vendor.example/", "https://user:pw@vendor.example/", "//vendor.example/x", ""] {
            let response = try ada.browser.get("/connect/abc?redirect=\(bad.addingPercentEncoding(withAllowedCharacters: .alphanumerics)!)")
            #expect(response.status == 400, "\(bad)")
            #expect(response.header("Location") == nil)
        }
        _ = try ada.browser.get("/teams")
        #expect(try ada.browser.postForm("/connect/abc", ["redirect": "javascript:alert(1)", "team": "1"]).status == 400)
        #expect(try stack.http.request("POST", "/api/v1/token", headers: ["Authorization": "Bearer vst_con_nope"]).status == 401)
        #expect(try stack.http.request("POST", "/api/v1/token").status == 401)
    }
}
