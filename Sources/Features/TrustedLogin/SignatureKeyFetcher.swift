import Foundation
import HTTPTypes
import Outbound
import Support
import Web

/// Fetches a vendor's Ed25519 signing key from its WordPress site: `GET {api_endpoint}
/// trustedlogin/v1/signature_key` → `{"signatureKey": "<64 hex>"}`. The URL comes from a request
/// body, so the fetch goes through the guarded client: public addresses only (unless configured for
/// development), no redirects, 3 seconds, 16 KiB. The Connector gives up on us after 5 seconds.
struct SignatureKeyFetcher: Sendable {
    let http: any HTTPFetching

    /// The key, lowercase hex; 424 with the reason when it cannot be had.
    func fetch(apiEndpoint: String) throws(HTTPError) -> String {
        // String concatenation, not URL joining: `.../?rest_route=/` must become `...=/trustedlogin/...`.
        let url = apiEndpoint + "trustedlogin/v1/signature_key"
        let response: OutboundResponse
        do {
            response = try http.fetch(
                OutboundRequest(
                    url: url, headers: [("Accept", "application/json")], timeout: .seconds(3), maxResponseBytes: 16 * 1024))
        } catch {
            // Which category, not curl's words: they would tell callers how names resolve here.
            throw Self.failure("\(url) could not be fetched: \(Self.reason(error))")
        }
        guard response.status == 200 else {
            throw Self.failure("\(url) answered \(response.status)")
        }
        guard let json = try? JSONValue.parse(response.body), let key = json["signatureKey"]?.string,
            Hex.isHex(key, length: 64)
        else {
            throw Self.failure("\(url) did not answer {\"signatureKey\": \"<64 hex>\"}")
        }
        return key.lowercased()
    }

    static func reason(_ error: OutboundError) -> String {
        switch error {
        case .invalidURL: return "not an http or https URL"
        case .forbiddenAddress: return "its address is not a public one"
        case .timedOut: return "no answer within 3 seconds"
        case .tooLarge: return "the answer is larger than 16 KiB"
        case .failed: return "the connection failed"
        }
    }

    static func failure(_ reason: String) -> HTTPError {
        HTTPError(.failedDependency, "The vendor's signing key could not be fetched: \(reason).")
    }
}
