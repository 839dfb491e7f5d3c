import FastCGI
import HTTPTypes
import Web

/// The input, split at NUL bytes, is the `NAME=value` array libfcgi hands over (what nginx sent).
enum FastCGIParameterChecks {
    static func check(_ data: [UInt8]) throws(FuzzFinding) {
        let entries = data.split(separator: 0, omittingEmptySubsequences: true).prefix(512)
        let params = withEnvironment(entries.map(Array.init)) { CGIParameters(environment: $0) }
        for field in params.fields {
            try require(
                !field.value.utf8.contains(where: { $0 == 0x0A || $0 == 0x0D || $0 == 0x00 }),
                "a header field value holds CR, LF or NUL: \(field.name)")
        }
        guard let head = try? ParameterDecoding.head(from: params) else { return }
        try require(head.method.rawValue == params.method, "the method changed on its way: \(head.method)")
        try require(head.path?.hasPrefix("/") == true, "a request path that does not start with /")
        let request: Request
        do {
            request = try Request(head: head, body: [], remoteAddress: params.remoteAddress ?? "", id: "fuzz")
        } catch {
            try require(error.status == .badRequest, "a malformed query answered \(error.status)")
            return
        }
        try require(!request.path.contains("?"), "the path kept its query")
        try require(request.query.pairs.count <= FormFields.Limits.query.maxFields, "more query fields than the limit")
        _ = request.pathSegments
        _ = request.mediaType
    }

    /// Calls `body` with a NULL-terminated array of C strings, as libfcgi builds it.
    static func withEnvironment<Result>(
        _ entries: [[UInt8]], _ body: (UnsafeMutablePointer<UnsafeMutablePointer<CChar>?>) -> Result
    ) -> Result {
        let strings = entries.map { entry -> UnsafeMutablePointer<CChar> in
            let string = UnsafeMutablePointer<CChar>.allocate(capacity: entry.count + 1)
            entry.withUnsafeBytes { raw in
                UnsafeMutableRawPointer(string).copyMemory(from: raw.baseAddress!, byteCount: entry.count)
            }
            string[entry.count] = 0
            return string
        }
        defer { strings.forEach { $0.deallocate() } }
        var array: [UnsafeMutablePointer<CChar>?] = strings + [nil]
        return array.withUnsafeMutableBufferPointer { body($0.baseAddress!) }
    }
}
