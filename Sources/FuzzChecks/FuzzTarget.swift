/// The fuzz targets: each takes any bytes and checks what must hold for them, throwing a
/// `FuzzFinding` when something does not. `make fuzz` runs them under libFuzzer with the address
/// sanitizer (`vestibule-fuzz`); the unit tests replay `Tests/Fuzz/corpus/` through the same checks,
/// so a finding, once its input is in the corpus, stays a test.
public enum FuzzTarget: String, CaseIterable, Sendable {
    /// libfcgi's `NAME=value` array → `CGIParameters` → the request head → `Request`.
    case fastcgiParameters = "fastcgi-parameters"
    /// A query string or form body.
    case form
    /// A JSON body, and what PHP's encoding makes of it.
    case json
    /// Values built from the bytes, encoded as PHP does, parsed back.
    case phpJSON = "php-json"
    /// The SLIP-0013 (Trezor) verifier.
    case slip0013
    /// Client dates, and UTC dates written back.
    case dates
    /// A vendor site's `signature_key` answer.
    case vendorSignatureKey = "vendor-signature-key"

    public func check(_ data: [UInt8]) throws(FuzzFinding) {
        switch self {
        case .fastcgiParameters: try FastCGIParameterChecks.check(data)
        case .form: try FormChecks.check(data)
        case .json: try JSONChecks.check(data)
        case .phpJSON: try PHPJSONChecks.check(data)
        case .slip0013: try SLIP0013Checks.check(data)
        case .dates: try DateChecks.check(data)
        case .vendorSignatureKey: try VendorAnswerChecks.check(data)
        }
    }
}

/// Something that must hold did not: the fuzzer stops on it and keeps the input.
public struct FuzzFinding: Error, CustomStringConvertible, Sendable {
    public let description: String

    public init(_ description: String) { self.description = description }
}

/// Throws a finding unless `condition` holds.
func require(_ condition: Bool, _ message: @autoclosure () -> String) throws(FuzzFinding) {
    if !condition { throw FuzzFinding(message()) }
}
