import Foundation
import Outbound
import Support

/// Trustee's two mutations. The service depends on this; the GraphQL client below is the real one.
public protocol TrusteeClient: Sendable {
    var settings: TrusteeSettings { get }
    func start(uniqueKey: String, now: Date) throws(TrusteeError) -> TrusteeStart
    func check(uniqueKey: String) throws(TrusteeError) -> TrusteeCheck
}

/// GraphQL over HTTP POST to the configured endpoint, through the provider HTTP client (the
/// endpoint is the operator's choice, so it may be on this machine or a private network).
public struct TrusteeGraphQLClient: TrusteeClient {
    public let settings: TrusteeSettings
    let http: any HTTPFetching

    public init(settings: TrusteeSettings, http: any HTTPFetching) {
        self.settings = settings
        self.http = http
    }

    public func start(uniqueKey: String, now: Date) throws(TrusteeError) -> TrusteeStart {
        let result = try call(
            "siteStartRequest", query: TrusteeWire.startMutation, operationName: "SiteStartRequest",
            variables: ["uniqueKeyForRequest": uniqueKey, "requestType": settings.requestType])
        return try TrusteeWire.start(result, uniqueKey: uniqueKey, settings: settings, now: now)
    }

    public func check(uniqueKey: String) throws(TrusteeError) -> TrusteeCheck {
        let result = try call(
            "siteCheckRequest", query: TrusteeWire.checkMutation, operationName: "SiteCheckRequest",
            variables: ["uniqueKeyForRequest": uniqueKey])
        return TrusteeWire.check(result, codes: settings.statusCodes)
    }

    private func call(_ field: String, query: String, operationName: String, variables: [String: String]) throws(TrusteeError)
        -> JSONValue
    {
        guard let endpoint = settings.endpoint, let key = settings.merchantWebKey else {
            throw .unreachable("trustee.endpoint or trustee.merchantWebKey is not set")
        }
        var variables = variables
        variables["merchantWebKey"] = key
        let request = OutboundRequest(
            url: endpoint, method: "POST",
            headers: [("Content-Type", "application/json"), ("Accept", "application/json")],
            body: TrusteeWire.body(query: query, operationName: operationName, variables: variables),
            timeout: settings.timeout, maxResponseBytes: 64 * 1024)
        let response: OutboundResponse
        do {
            response = try http.fetch(request)
        } catch {
            throw .unreachable(error.description)
        }
        // GraphQL servers often answer errors with 200, some with 4xx and the same body: read the
        // body when it is JSON, and go by the status only when it is not.
        do {
            return try TrusteeWire.result(field, in: response.body)
        } catch let error where response.status != 200 {
            if case .graphQL = error { throw error }
            throw .httpStatus(response.status)
        }
    }
}
