import Foundation
import HTTPTypes
import Support
import Web

/// The emulator's routes: `POST /sandbox/trustee/graphql`, `GET /sandbox/trustee/phone` with
/// its Approve and Deny forms, `GET /sandbox/trustee/stats`.
public struct TrusteeEmulatorFeature: Feature {
    let emulator: TrusteeEmulator

    public init(emulator: TrusteeEmulator) {
        self.emulator = emulator
    }

    public func register(_ routes: inout Routes) {
        routes.api(.post, "/sandbox/trustee/graphql") { context in
            graphQL(context.request.body)
        }
        routes.api(.get, "/sandbox/trustee/stats") { _ in
            .json(emulator.calls())
        }
        routes.api(.post, "/sandbox/trustee/mode") { context in
            guard let mode = TrusteeEmulator.Mode(rawValue: context.request.query["set"] ?? "") else {
                throw HTTPError.badRequest("Give set=normal, set=down or set=garbage.", field: "set")
            }
            emulator.mode = mode
            return .json(["mode": mode.rawValue])
        }
        routes.page(.get, "/sandbox/trustee/phone") { context in
            try phonePage(context, notice: context.request.query["done"].flatMap { Self.notices[$0] })
        }
        routes.page(.post, "/sandbox/trustee/phone/approve") { context in
            let form = try context.form()
            let key = form["key"] ?? ""
            let wallet: (token: String, name: String?, phone: String?)
            if let chosen = TrusteeEmulator.wallets.first(where: { $0.id == form["wallet"] }) {
                wallet = (chosen.userPublicToken, chosen.name, chosen.phone)
            } else {
                let typed = (form["userPublicToken"] ?? "").trimmingCharacters(in: .whitespaces)
                guard (1...256).contains(typed.utf8.count), typed.unicodeScalars.allSatisfy({ $0.value > 0x20 && $0.value < 0x7F }) else {
                    return try phonePage(context, error: "Type a userPublicToken (printable ASCII, no spaces), or pick a test wallet.", status: .unprocessableContent)
                }
                wallet = (typed, nil, nil)
            }
            guard emulator.answer(uniqueKey: key, wallet: wallet) else {
                return try phonePage(context, error: "That request is no longer pending.", status: .conflict)
            }
            return .redirect(to: "/sandbox/trustee/phone?done=approved")
        }
        routes.page(.post, "/sandbox/trustee/phone/deny") { context in
            guard emulator.answer(uniqueKey: try context.form()["key"] ?? "", wallet: nil) else {
                return try phonePage(context, error: "That request is no longer pending.", status: .conflict)
            }
            return .redirect(to: "/sandbox/trustee/phone?done=denied")
        }
    }

    static let notices = ["approved": "Approved. The browser that showed the QR code moves on.", "denied": "Denied."]

    private func phonePage(
        _ context: RequestContext, notice: String? = nil, error: String? = nil, status: HTTPResponse.Status = .ok
    ) throws -> Response {
        let requests: [[String: Any]] = emulator.pending().map { request in
            [
                "key": request.uniqueKey, "shortKey": String(request.uniqueKey.prefix(12)), "requestType": request.requestType,
                "expiresAt": UTCDate.display(request.expiresAt),
                "wallets": TrusteeEmulator.wallets.map { ["id": $0.id, "name": $0.name, "key": request.uniqueKey] },
            ]
        }
        var values: [String: Any] = ["requests": requests, "none": requests.isEmpty]
        if let notice { values["notice"] = notice }
        if let error { values["error"] = error }
        return try context.page("sandbox-trustee-phone", title: "Trustee phone (sandbox)", values, status: status, csrf: true)
    }

    // MARK: GraphQL

    /// Answers as a GraphQL server does: 200 with `data`, or with `errors` and `data: null`.
    func graphQL(_ body: [UInt8]) -> Response {
        switch emulator.mode {
        case .normal: break
        case .down: return .text("Service Unavailable", status: .serviceUnavailable)
        case .garbage: return .html("<html><body>Welcome to nginx!</body></html>")
        }
        guard let request = try? JSONValue.parse(body), let query = request["query"]?.string else {
            return errors("The body must be JSON with a query.", path: nil)
        }
        let arguments = Self.arguments(query: query, variables: request["variables"])
        let field: String
        if query.contains("siteStartRequest") {
            field = "siteStartRequest"
        } else if query.contains("siteCheckRequest") {
            field = "siteCheckRequest"
        } else {
            return errors("Only siteStartRequest and siteCheckRequest are emulated.", path: nil)
        }
        guard arguments["merchantWebKey"] == TrusteeEmulator.merchantWebKey else {
            return errors("merchantWebKey is not valid", path: field)
        }
        guard let key = arguments["uniqueKeyForRequest"], !key.isEmpty else {
            return errors("uniqueKeyForRequest is required", path: field)
        }
        let result = field == "siteStartRequest"
            ? emulator.start(uniqueKey: key, requestType: arguments["requestType"] ?? "")
            : emulator.check(uniqueKey: key)
        switch result {
        case .failure(let error): return errors(error.message, path: field)
        case .success(let stored): return data(field, field == "siteStartRequest" ? started(stored) : checked(stored))
        }
    }

    private func started(_ request: TrusteeEmulator.Request) -> [String: Any] {
        ["link": TrusteeEmulator.link(for: request.uniqueKey), "resRequestWillExpire": Int(request.expiresAt.timeIntervalSince1970)]
    }

    private func checked(_ request: TrusteeEmulator.Request) -> [String: Any] {
        var result: [String: Any] = [
            "statusCode": emulator.statusCode(of: request),
            "resRequestWillExpire": Int(request.expiresAt.timeIntervalSince1970),
            "resRequestTimePassedSeconds": Int(emulator.clock.now().timeIntervalSince(request.createdAt)),
        ]
        if let wallet = request.wallet {
            result["userPublicToken"] = wallet.token
            if let name = wallet.name { result["name"] = name }
            if let phone = wallet.phone { result["phone"] = phone }
        }
        return result
    }

    /// The result as a JSON string: a mutation without a selection set returns a scalar.
    private func data(_ field: String, _ result: [String: Any]) -> Response {
        let inner = String(decoding: (try? JSONSerialization.data(withJSONObject: result, options: [.sortedKeys])) ?? Data(), as: UTF8.self)
        return json(["data": [field: inner]])
    }

    private func errors(_ message: String, path: String?) -> Response {
        var error: [String: Any] = ["message": message]
        if let path { error["path"] = [path] }
        return json(["errors": [error], "data": NSNull()])
    }

    private func json(_ object: [String: Any]) -> Response {
        .json(bytes: Array((try? JSONSerialization.data(withJSONObject: object, options: [.sortedKeys])) ?? Data()))
    }

    /// The mutation's arguments: from `variables`, or written in the query as string literals.
    static func arguments(query: String, variables: JSONValue?) -> [String: String] {
        var arguments: [String: String] = [:]
        for match in query.matches(of: /(\w+)\s*:\s*"((?:[^"\\]|\\.)*)"/) {
            arguments[String(match.1)] = String(match.2)
        }
        if case .object(let members)? = variables {
            for member in members { if let value = member.value.string { arguments[member.key] = value } }
        }
        return arguments
    }
}
