import Foundation
import SLIP0013Signing
import Support
import Testing

/// A challenge from `POST /login/trezor/challenge`, and the answer a Trezor holding `signer`'s
/// key would give to it.
struct TrezorChallenge {
    let hidden: String
    let visual: String

    func answer(signer: TestSigner, address: String? = nil) -> [String: Any] {
        let signature = signer.sign(challengeHidden: Hex.decode(hidden)!, challengeVisual: visual)
        return [
            "challengeHidden": hidden, "challengeVisual": visual,
            "publicKey": signer.publicKeyHex, "signature": Hex.encode(signature), "address": address ?? signer.address,
        ]
    }
}

extension Browser {
    /// A fresh challenge for this browser's session, checked for its shape.
    func trezorChallenge() throws -> TrezorChallenge {
        let response = try postJSON("/login/trezor/challenge", [:])
        #expect(response.status == 200)
        let body = try response.json()
        let hidden = try #require(body["challengeHidden"] as? String)
        let visual = try #require(body["challengeVisual"] as? String)
        #expect(Hex.isLowercase(hidden, length: 64))
        #expect(visual.wholeMatch(of: /\d{4}-\d{2}-\d{2} \d{2}:\d{2}:\d{2}/) != nil)
        return TrezorChallenge(hidden: hidden, visual: visual)
    }

    /// Signs in with `signer` through the real Trezor endpoints, as the page does; the verify answer.
    func signInWithTrezor(as signer: TestSigner, next: String? = nil) throws -> [String: Any] {
        _ = try get("/login/trezor")
        var body = try trezorChallenge().answer(signer: signer)
        if let next { body["next"] = next }
        let response = try postJSON("/login/trezor/verify", body)
        #expect(response.status == 200)
        return try response.json()
    }
}
