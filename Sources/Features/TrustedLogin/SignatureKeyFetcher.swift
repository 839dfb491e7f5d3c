import Foundation
import HTTPTypes
import Logging
import Outbound
import Storage
import Support
import Web

/// Fetches a vendor's Ed25519 signing key from its WordPress site: `GET {api_endpoint}
/// trustedlogin/v1/signature_key` → `{"signatureKey": "<64 hex>"}`. The URL comes from a request
/// body, so the fetch goes through the guarded client: public addresses only (unless configured for
/// development), no redirects, 3 seconds, 16 KiB. The Connector gives up on us after 5 seconds.
/// The calls in flight are bounded (`gate`, per team and in all): the excess is a 503 at once.
struct SignatureKeyFetcher: Sendable {
    let http: any HTTPFetching
    let gate: OutboundGate

    static let busy = HTTPError(
        .serviceUnavailable, "Too many requests to vendor sites are in progress. Try again in a few seconds.",
        headers: [.retryAfter: "5"])

    /// The key, lowercase hex; 424 with the reason when it cannot be had, 503 when too many
    /// fetches are in flight.
    func fetch(apiEndpoint: String, team: TeamID, logger: Logger) throws(HTTPError) -> String {
        // String concatenation, not URL joining: `.../?rest_route=/` must become `...=/trustedlogin/...`.
        let url = apiEndpoint + "trustedlogin/v1/signature_key"
        let response: OutboundResponse
        do {
            response = try gate.withPlace(for: "team \(team)") {
                try http.fetch(
                    OutboundRequest(
                        url: url, headers: [("Accept", "application/json")], timeout: .seconds(3), maxResponseBytes: 16 * 1024))
            }
        } catch let busy as OutboundGate.Busy {
            logger.warning("outbound call refused", metadata: ["reason": "\(busy)"])
            throw Self.busy
        } catch {
            // One sentence for every way of not reaching the site: which one (a refused address,
            // a failed connection) would tell callers how names resolve here. The log has it.
            logger.notice("signing key fetch failed", metadata: ["url": "\(url)", "error": "\(error)"])
            throw Self.failure("\(url) could not be fetched: \(Self.reason(error as? OutboundError ?? .failed("")))")
        }
        guard response.status == 200 else {
            throw Self.failure("\(url) answered \(response.status)")
        }
        guard let key = SignatureKeyAnswer.key(in: response.body) else {
            throw Self.failure("\(url) did not answer {\"signatureKey\": \"<64 hex>\"}")
        }
        return key
    }

    static func reason(_ error: OutboundError) -> String {
        switch error {
        case .invalidURL: return "not an http or https URL"
        case .forbiddenAddress, .timedOut, .failed: return "the site could not be reached, or did not answer within 3 seconds"
        case .tooLarge: return "the answer is larger than 16 KiB"
        }
    }

    static func failure(_ reason: String) -> HTTPError {
        HTTPError(.failedDependency, "The vendor's signing key could not be fetched: \(reason).")
    }
}

/// A vendor site's answer to `GET trustedlogin/v1/signature_key`: an outside answer, so it is one
/// of the fuzz targets (`make fuzz`).
public enum SignatureKeyAnswer {
    /// The key as 64 lowercase hex characters; nil for any other answer.
    public static func key(in body: [UInt8]) -> String? {
        guard let json = try? JSONValue.parse(body), let key = json["signatureKey"]?.string, Hex.isHex(key, length: 64)
        else { return nil }
        return key.lowercased()
    }
}
