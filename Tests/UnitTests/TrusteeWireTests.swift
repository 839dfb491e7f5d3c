import Foundation
import Outbound
import Providers
import Support
import TestSupport
import Testing

/// Every parsing rule of the Trustee client (spec/providers.md): both result forms, the link
/// field and the template, expiry formats, the statusCode lists, GraphQL errors, garbage.
@Suite struct TrusteeWireTests {
    let now = Date(timeIntervalSince1970: 1_800_000_000)
    let settings = TrusteeSettings(endpoint: "http://127.0.0.1:9/graphql", merchantWebKey: "mwk")

    func answer(_ text: String) -> [UInt8] { Array(text.utf8) }

    @Test func theResultAsAnObjectOrAsAStringHoldingOne() throws {
        let object = try TrusteeWire.result("siteStartRequest", in: answer(#"{"data":{"siteStartRequest":{"link":"https://t.example/a"}}}"#))
        let string = try TrusteeWire.result("siteStartRequest", in: answer(#"{"data":{"siteStartRequest":"{\"link\":\"https://t.example/a\"}"}}"#))
        #expect(object == string)
        #expect(object["link"]?.string == "https://t.example/a")
    }

    @Test func graphQLErrorsWinAndCarryTheirMessages() {
        #expect(throws: TrusteeError.graphQL(["merchantWebKey is not valid", "an error without a message"])) {
            try TrusteeWire.result(
                "siteCheckRequest",
                in: answer(#"{"errors":[{"message":"merchantWebKey is not valid","path":["siteCheckRequest"]},{"path":[]}],"data":null}"#))
        }
    }

    @Test(arguments: [
        "", "not json", "[]", "{}", #"{"data":null}"#, #"{"data":{"siteStartRequest":null}}"#,
        #"{"data":{"siteStartRequest":42}}"#, #"{"data":{"siteStartRequest":"not an object"}}"#,
        #"{"data":{"siteStartRequest":"[1,2]"}}"#, #"{"data":{"other":{}}}"#,
    ])
    func garbageIsMalformed(_ text: String) {
        #expect {
            try TrusteeWire.result("siteStartRequest", in: answer(text))
        } throws: { error in
            guard case TrusteeError.malformed = error else { return false }
            return true
        }
    }

    @Test func theLinkFieldThenTheTemplateElseNoLink() throws {
        let result = try JSONValue.parse(answer(#"{"link":"https://t.example/q?k=1","qr":"https://t.example/other"}"#))
        #expect(try TrusteeWire.start(result, uniqueKey: "k", settings: settings, now: now).link == "https://t.example/q?k=1")
        var other = settings
        other.linkField = "qr"
        #expect(try TrusteeWire.start(result, uniqueKey: "k", settings: other, now: now).link == "https://t.example/other")
        let bare = try JSONValue.parse(answer(#"{"link":""}"#))
        #expect(throws: TrusteeError.noLink) { try TrusteeWire.start(bare, uniqueKey: "k", settings: settings, now: now) }
        other.linkTemplate = "trustee://login?key={uniqueKeyForRequest}"
        #expect(try TrusteeWire.start(bare, uniqueKey: "a b", settings: other, now: now).link == "trustee://login?key=a%20b")
        for bad in ["https://t.example/\n", "https://t.example/a b", "javascript:alert(1)", " JavaScript:alert(1)",
                    "data:text/html,x", "VBScript:x", "no-scheme", "//t.example/x"] {
            let result = JSONValue.object([("link", .string(bad))])
            #expect(throws: TrusteeError.self, "\(bad)") { try TrusteeWire.start(result, uniqueKey: "k", settings: settings, now: now) }
        }
        let app = JSONValue.object([("link", .string("trustee://login?key=k"))])
        #expect(try TrusteeWire.start(app, uniqueKey: "k", settings: settings, now: now).link == "trustee://login?key=k")
    }

    @Test func anAbsentExpiryIsTheAttemptLifetime() throws {
        let result = try JSONValue.parse(answer(#"{"link":"https://t.example/"}"#))
        #expect(try TrusteeWire.start(result, uniqueKey: "k", settings: settings, now: now).expiresAt == now + 300)
    }

    @Test(arguments: [
        ("1800000120", 1_800_000_120.0), (#""1800000120""#, 1_800_000_120), ("1800000120000", 1_800_000_120),
        (#""1800000120500""#, 1_800_000_120.5), ("1800000120.5", 1_800_000_120.5),
        (#""2027-01-15T08:00:00Z""#, 1_800_000_000 + 0), (#""2027-01-15T10:00:00+02:00""#, 1_800_000_000),
    ] as [(String, Double)])
    func expiryFormats(_ json: String, _ expected: Double) throws {
        let value = try JSONValue.parse(answer(json))
        let date = try #require(TrusteeWire.expiry(value))
        if json.contains("T") {
            #expect(date == ClientDate.parse("2027-01-15T08:00:00Z"))
        } else {
            #expect(date.timeIntervalSince1970 == expected)
        }
    }

    @Test(arguments: [#""soon""#, "0", "-5", "1e400", #""""#, "null", "true", "[]", "99999999999999999999", #""1999-12-31T23:59:59Z""#])
    func oddExpiriesAreAbsent(_ json: String) throws {
        #expect(TrusteeWire.expiry(try JSONValue.parse(answer(json))) == nil)
    }

    @Test func everyDefaultStatusCode() throws {
        let codes = TrusteeStatusCodes.defaults
        func status(_ code: String, token: String = #","userPublicToken":"tok""#) throws -> TrusteeCheck {
            TrusteeWire.check(try JSONValue.parse(answer(#"{"statusCode":\#(code)\#(token)}"#)), codes: codes)
        }
        let wallet = TrusteeWallet(userPublicToken: "tok", name: nil, phone: nil)
        for code in ["0", #""pending""#, #""WAITING""#, #"" new ""#] { #expect(try status(code).status == .pending) }
        for code in ["1", #""1""#, #""approved""#, #""Confirmed""#, #""success""#] { #expect(try status(code).status == .approved(wallet)) }
        for code in ["2", #""denied""#, #""rejected""#, #""declined""#, #""canceled""#, #""CANCELLED""#] { #expect(try status(code).status == .denied) }
        for code in ["3", #""expired""#, #""timeout""#] { #expect(try status(code).status == .expired) }
        // Approved without a token stays pending; an unknown code is pending and reported.
        #expect(try status("1", token: "").status == .pending)
        #expect(try status("1", token: #","userPublicToken":"  ""#).status == .pending)
        let unknown = try status(#""on-hold""#)
        #expect(unknown.status == .pending && unknown.unknownCode == "on-hold")
        #expect(try status("null").unknownCode == "(none)")
    }

    @Test func replacedListsAreUsed() throws {
        let codes = TrusteeStatusCodes(pending: ["10"], approved: ["OK"], denied: ["NO"], expired: ["GONE"])
        let result = try JSONValue.parse(answer(#"{"statusCode":"ok","userPublicToken":"t","name":"Ada","phone":"+1 555 0100"}"#))
        #expect(TrusteeWire.check(result, codes: codes).status == .approved(TrusteeWallet(userPublicToken: "t", name: "Ada", phone: "+1 555 0100")))
        #expect(TrusteeWire.check(try JSONValue.parse(answer(#"{"statusCode":1}"#)), codes: codes).unknownCode == "1")
    }

    @Test func expiryOfACheckAndControlCharactersInNames() throws {
        let result = try JSONValue.parse(answer(#"{"statusCode":1,"userPublicToken":"t","name":"A\u0000da","resRequestWillExpire":1800000060}"#))
        let check = TrusteeWire.check(result, codes: .defaults)
        #expect(check.expiresAt == Date(timeIntervalSince1970: 1_800_000_060))
        #expect(check.status == .approved(TrusteeWallet(userPublicToken: "t", name: nil, phone: nil)))
    }

    /// The real client (libcurl) against a canned server on 127.0.0.1: the request it sends, an
    /// HTTP error answered without a GraphQL body, and no server at all.
    @Test func theClientSendsTheMutationWithItsVariables() throws {
        let server = try CannedHTTPServer(.init(
            body: #"{"data":{"siteStartRequest":"{\"link\":\"https://t.example/x\",\"resRequestWillExpire\":1800000100}"}}"#))
        defer { server.stop() }
        let http = CurlHTTPClient(policy: AddressPolicy(allowPrivateNetworks: true), userAgent: "test")
        var settings = settings
        settings.endpoint = "http://127.0.0.1:\(server.port)/graphql"
        let client = TrusteeGraphQLClient(settings: settings, http: http)
        let started = try client.start(uniqueKey: "abc", now: now)
        #expect(started == TrusteeStart(link: "https://t.example/x", expiresAt: Date(timeIntervalSince1970: 1_800_000_100)))
        #expect(server.requestedPaths == ["/graphql"])
        let body = try JSONValue.parse(try #require(server.requestBodies.first))
        #expect(body["operationName"]?.string == "SiteStartRequest")
        #expect(body["query"]?.string?.contains("siteStartRequest(merchantWebKey: $merchantWebKey") == true)
        #expect(body["variables"]?["merchantWebKey"]?.string == "mwk")
        #expect(body["variables"]?["uniqueKeyForRequest"]?.string == "abc")
        #expect(body["variables"]?["requestType"]?.string == "login")
        server.set(.init(status: 502, headers: ["Content-Type": "text/html"], body: "<html>bad gateway</html>"))
        #expect(throws: TrusteeError.httpStatus(502)) { try client.check(uniqueKey: "abc") }
        server.set(.init(status: 400, body: #"{"errors":[{"message":"bad key"}],"data":null}"#))
        #expect(throws: TrusteeError.graphQL(["bad key"])) { try client.check(uniqueKey: "abc") }
        settings.endpoint = "http://127.0.0.1:\(PostgresServer.freePort())/graphql"
        let down = TrusteeGraphQLClient(settings: settings, http: http)
        #expect { try down.check(uniqueKey: "abc") } throws: { error in
            guard case TrusteeError.unreachable = error else { return false }
            return !"\(error)".contains("mwk")
        }
    }
}
