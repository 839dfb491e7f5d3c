import Foundation
import Outbound
import TestSupport
import Testing

@Suite struct AddressPolicyTests {
    @Test(arguments: [
        "127.0.0.1", "127.9.9.9", "10.1.2.3", "172.16.0.1", "172.31.255.255", "192.168.1.1", "169.254.169.254",
        "100.64.0.1", "0.0.0.0", "224.0.0.1", "255.255.255.255", "198.18.0.1", "192.0.2.10",
        "::1", "::", "fe80::1", "fc00::1", "fd12:3456::1", "::ffff:127.0.0.1", "::ffff:10.0.0.1", "2001:db8::1", "ff02::1",
        "2002:c0a8:0101::1",
    ])
    func privateAndSpecialAddressesAreRefused(address: String) throws {
        let parsed = try #require(IPAddress(address))
        #expect(!AddressPolicy.publicOnly.allows(parsed))
    }

    @Test(arguments: ["8.8.8.8", "1.1.1.1", "93.184.216.34", "172.32.0.1", "2606:4700:4700::1111", "::ffff:8.8.8.8"])
    func publicAddressesAreAllowed(address: String) throws {
        #expect(AddressPolicy.publicOnly.allows(try #require(IPAddress(address))))
    }

    @Test func developmentAllowsPrivateNetworksButNotNonsense() throws {
        let development = AddressPolicy(allowPrivateNetworks: true)
        #expect(development.allows(try #require(IPAddress("127.0.0.1"))))
        #expect(development.allows(try #require(IPAddress("10.0.0.1"))))
        #expect(!development.allows(try #require(IPAddress("0.0.0.0"))))
        #expect(!development.allows(try #require(IPAddress("224.0.0.1"))))
    }

    @Test func notAddresses() {
        for text in ["", "localhost", "1.2.3", "1.2.3.4.5", "::g", "256.1.1.1"] { #expect(IPAddress(text) == nil, "\(text)") }
    }
}

/// The guarded client against a real local server.
@Suite struct CurlHTTPClientTests {
    let development = CurlHTTPClient(policy: AddressPolicy(allowPrivateNetworks: true), userAgent: "VestibuleTests")

    @Test func fetchesJSON() throws {
        let server = try CannedHTTPServer(.init(body: #"{"signatureKey":"ab"}"#))
        defer { server.stop() }
        let response = try development.fetch(OutboundRequest(url: "http://127.0.0.1:\(server.port)/wp-json/x"))
        #expect(response.status == 200)
        #expect(String(decoding: response.body, as: UTF8.self) == #"{"signatureKey":"ab"}"#)
        #expect(server.requestedPaths == ["/wp-json/x"])
    }

    @Test func loopbackIsRefusedByDefault() throws {
        let server = try CannedHTTPServer(.init(body: "{}"))
        defer { server.stop() }
        let client = CurlHTTPClient(policy: .publicOnly, userAgent: "VestibuleTests")
        #expect(throws: OutboundError.forbiddenAddress("127.0.0.1")) {
            try client.fetch(OutboundRequest(url: "http://127.0.0.1:\(server.port)/"))
        }
        #expect(throws: OutboundError.self) { try client.fetch(OutboundRequest(url: "http://localhost:\(server.port)/")) }
        #expect(server.requestedPaths.isEmpty)
    }

    @Test func redirectsAreNotFollowed() throws {
        let target = try CannedHTTPServer(.init(body: "{}"))
        defer { target.stop() }
        let redirecting = try CannedHTTPServer(.init(status: 302, headers: ["Location": "http://127.0.0.1:\(target.port)/"]))
        defer { redirecting.stop() }
        let response = try development.fetch(OutboundRequest(url: "http://127.0.0.1:\(redirecting.port)/"))
        #expect(response.status == 302)
        #expect(target.requestedPaths.isEmpty)
    }

    @Test func slowAnswersTimeOut() throws {
        let server = try CannedHTTPServer(.init(body: "{}", delay: 2))
        defer { server.stop() }
        let start = Date()
        #expect(throws: OutboundError.timedOut) {
            try development.fetch(OutboundRequest(url: "http://127.0.0.1:\(server.port)/", timeout: .milliseconds(300)))
        }
        #expect(Date().timeIntervalSince(start) < 1.5)
    }

    @Test func largeAnswersAreCutOff() throws {
        let server = try CannedHTTPServer(.init(body: String(repeating: "x", count: 100_000)))
        defer { server.stop() }
        #expect(throws: OutboundError.tooLarge) {
            try development.fetch(OutboundRequest(url: "http://127.0.0.1:\(server.port)/", maxResponseBytes: 16 * 1024))
        }
    }

    @Test func onlyHTTPAndHTTPS() {
        for url in ["file:///etc/passwd", "gopher://127.0.0.1/", "ftp://example.com/", "not a url", "http://"] {
            #expect(throws: OutboundError.invalidURL, "\(url)") { try development.fetch(OutboundRequest(url: url)) }
        }
    }
}

@Suite struct OutboundGateTests {
    @Test func boundsCallsInAllAndPerKey() throws {
        let gate = OutboundGate(total: 3, perKey: 2)
        try gate.withPlace(for: "a") {
            try gate.withPlace(for: "a") {
                // A third for "a" is over its bound; "b" still has room in the total.
                #expect(throws: OutboundGate.Busy.self) { try gate.withPlace(for: "a") {} }
                try gate.withPlace(for: "b") {
                    #expect(throws: OutboundGate.Busy.self) { try gate.withPlace(for: "c") {} }
                }
            }
        }
        // Every place is given back, when the body throws too.
        struct Boom: Error {}
        #expect(throws: Boom.self) { try gate.withPlace(for: "a") { throw Boom() } }
        try gate.withPlace(for: "a") { try gate.withPlace(for: "a") { try gate.withPlace(for: "b") {} } }
        #expect(OutboundGate.share(ofThreads: 16) == 4 && OutboundGate.share(ofThreads: 2) == 1)
    }
}
