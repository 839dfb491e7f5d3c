import Crypto
import Foundation
import Support
import TestSupport

/// A team made with the real command line (`vestibule team create --json`).
struct TLTeam {
    let id: Int64
    let name: String
    let publicKey: String
    let privateKey: String

    /// The team `vestibule team create --json` printed.
    init(created result: CommandResult) throws {
        guard result.status == 0, let json = try JSONSerialization.jsonObject(with: Data(result.output.utf8)) as? [String: Any],
            let id = json["id"] as? Int64 ?? (json["id"] as? Int).map(Int64.init), let publicKey = json["publicKey"] as? String,
            let privateKey = json["privateKey"] as? String
        else { throw TestFailure("team create failed: \(result.output)\(result.errors)") }
        self.init(id: id, name: json["name"] as? String ?? "", publicKey: publicKey, privateKey: privateKey)
    }

    init(id: Int64, name: String, publicKey: String, privateKey: String) {
        self.id = id
        self.name = name
        self.publicKey = publicKey
        self.privateKey = privateKey
    }

    var v1Bearer: String { Digest256.sha256Hex(privateKey) }
    var token: String { Digest256.sha256Hex(publicKey + privateKey) }
}

extension Stack {
    func createTeam(_ name: String = "Acme Support") throws -> TLTeam {
        try TLTeam(created: cli(["team", "create", "--name", name, "--json"]))
    }

    /// A stack whose outbound requests may reach this machine (vendor sites in tests run here).
    static func startForTrustedLogin(backend: Backend = .sqlite, environment: [String: String] = [:]) throws -> Stack {
        try start(backend: backend, environment: ["VESTIBULE_OUTBOUND_ALLOW_PRIVATE_NETWORKS": "true"].merging(environment) { _, new in new })
    }
}

/// Requests as the client SDK and the Connector send them.
struct TrustedLoginAPI {
    let http: HTTPClient

    /// JSON the way WordPress encodes it (slashes escaped, which the server must undo).
    static func body(_ value: Any) -> [UInt8] {
        Array((try? JSONSerialization.data(withJSONObject: value)) ?? Data())
    }

    func client(_ method: String, _ path: String, team: TLTeam?, _ body: Any? = nil, bearer: String? = nil) throws -> HTTPClient.Response {
        var headers = ["Accept": "application/json", "Content-Type": "application/json", "User-Agent": "WordPress/6.8; https://customer.example"]
        if let key = bearer ?? team?.publicKey { headers["Authorization"] = "Bearer \(key)" }
        return try http.request(method, "/api/v1/" + path, headers: headers, body: body.map(Self.body) ?? [])
    }

    /// The Connector's v1 headers: `Bearer sha256(private)` and X-TL-TOKEN.
    func vendor(_ method: String, _ path: String, team: TLTeam, _ body: Any? = nil, bearer: String? = nil, token: String? = nil) throws -> HTTPClient.Response {
        let headers = [
            "Accept": "application/json", "Content-Type": "application/json",
            "Authorization": "Bearer \(bearer ?? team.v1Bearer)", "X-TL-TOKEN": token ?? team.token,
        ]
        return try http.request(method, "/api/v1/" + path, headers: headers, body: body.map(Self.body) ?? [])
    }

    /// Connector 2.x: `Bearer base64(HMAC-SHA256(private, "METHOD\nURI\nsha256(body)\nts\nnonce"))`.
    func vendorV2(
        _ method: String, _ path: String, team: TLTeam, _ body: Any? = nil, timestamp: Int = Int(Date().timeIntervalSince1970),
        nonce: String = Hex.encode(SystemRandom().bytes(16)), key: String? = nil
    ) throws -> HTTPClient.Response {
        let bytes = body.map(Self.body) ?? []
        let uri = "/api/v1/" + path
        let message = "\(method)\n\(uri)\n\(Hex.encode(SHA256.hash(data: bytes)))\n\(timestamp)\n\(nonce)"
        let mac = HMAC<SHA256>.authenticationCode(for: Array(message.utf8), using: SymmetricKey(data: Array((key ?? team.privateKey).utf8)))
        let headers = [
            "Accept": "application/json", "Content-Type": "application/json",
            "Authorization": "Bearer \(Data(mac).base64EncodedString())", "X-TL-TOKEN": team.token,
            "X-TL-Auth-Version": "2", "X-TL-Timestamp": String(timestamp), "X-TL-Nonce": nonce,
        ]
        return try http.request(method, uri, headers: headers, body: bytes)
    }

    /// Registers `grant` as the client SDK does (POST sites, which must answer 201); its secret id.
    func register(_ grant: [String: Any], team: TLTeam) throws -> String {
        let response = try client("POST", "sites", team: team, grant)
        guard response.status == 201 else { throw TestFailure("POST sites answered \(response.status): \(response.text)") }
        return grant["secretId"] as! String
    }

    /// The Connector's get-envelope body: a fresh nonce signed with the vendor's signing key.
    static func envelopeBody(signSecretKey: Any, user: [String: Any] = ["id": 1, "name": "a"]) throws -> [String: Any] {
        let nonce = try PHP.run("sign-nonce", ["signSecretKey": signSecretKey])
        return ["user": user, "nonce": nonce["nonce"]!, "signedNonce": nonce["signedNonce"]!]
    }

    /// A grant the way the client SDK builds it (the identifier need not decrypt here).
    static func grant(team: TLTeam, secretID: String = Hex.encode(SystemRandom().bytes(16)), accessKey: String = Hex.encode(SystemRandom().bytes(32)),
                      expiresAt: Any = Int(Date().timeIntervalSince1970) + 86400, metaData: Any = [Any]()) -> [String: Any] {
        [
            "secretId": secretID, "identifier": Data(SystemRandom().bytes(144)).base64EncodedString(),
            "siteUrl": "https://customer.example/wp", "publicKey": team.publicKey, "accessKey": accessKey, "wpUserId": 1,
            "expiresAt": expiresAt, "version": "1.10.1", "nonce": Hex.encode(SystemRandom().bytes(24)),
            "clientPublicKey": Hex.encode(SystemRandom().bytes(32)), "metaData": metaData,
        ]
    }
}

/// A vendor's WordPress site publishing its signing key.
func vendorSite(signatureKey: String) throws -> CannedHTTPServer {
    try CannedHTTPServer(.init(body: #"{"signatureKey":"\#(signatureKey)"}"#))
}
