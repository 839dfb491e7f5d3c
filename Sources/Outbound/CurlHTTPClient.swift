import CCurl
import Foundation

public struct OutboundRequest: Sendable {
    public var url: String
    public var method: String
    public var headers: [(name: String, value: String)]
    public var body: [UInt8]?
    public var timeout: Duration
    public var maxResponseBytes: Int

    public init(
        url: String, method: String = "GET", headers: [(name: String, value: String)] = [], body: [UInt8]? = nil,
        timeout: Duration = .seconds(5), maxResponseBytes: Int = 64 * 1024
    ) {
        self.url = url
        self.method = method
        self.headers = headers
        self.body = body
        self.timeout = timeout
        self.maxResponseBytes = maxResponseBytes
    }
}

public struct OutboundResponse: Sendable {
    public let status: Int
    public let body: [UInt8]
}

public enum OutboundError: Error, Equatable, CustomStringConvertible {
    /// Not an http or https URL with a host.
    case invalidURL
    /// Every address the host resolved to is one the policy refuses.
    case forbiddenAddress(String)
    case timedOut
    case tooLarge
    case failed(String)

    public var description: String {
        switch self {
        case .invalidURL: return "not an http or https URL"
        case .forbiddenAddress(let address): return "the address \(address) is not allowed"
        case .timedOut: return "no answer in time"
        case .tooLarge: return "the answer is too large"
        case .failed(let reason): return reason
        }
    }
}

/// Makes outbound HTTP requests; features depend on this, tests and the sandbox can swap it.
public protocol HTTPFetching: Sendable {
    func fetch(_ request: OutboundRequest) throws(OutboundError) -> OutboundResponse
}

/// libcurl, synchronous (it runs on the worker thread that needs the answer), with the guard an
/// outbound request built from user input needs: http and https only, no redirects, a total
/// timeout, a size limit, and every address checked by `AddressPolicy` at connect time, so a host
/// that resolves differently the second time (DNS rebinding) is caught too.
public struct CurlHTTPClient: HTTPFetching {
    public let policy: AddressPolicy
    public let userAgent: String

    public init(policy: AddressPolicy, userAgent: String) {
        self.policy = policy
        self.userAgent = userAgent
        _ = Self.globalInit
    }

    /// curl_global_init is not thread-safe: run it once, before any request.
    private static let globalInit: Void = { curl_global_init(Int(CURL_GLOBAL_DEFAULT)) }()

    /// What the C callbacks reach through their user-data pointer.
    private final class Transfer {
        let policy: AddressPolicy
        let maxBytes: Int
        var body: [UInt8] = []
        var tooLarge = false
        var refusedAddress: String?

        init(policy: AddressPolicy, maxBytes: Int) {
            self.policy = policy
            self.maxBytes = maxBytes
        }
    }

    /// An http or https URL with a host: the only kind this client fetches.
    public static func isFetchable(_ url: String) -> Bool {
        guard let components = URLComponents(string: url), let scheme = components.scheme?.lowercased() else { return false }
        return (scheme == "http" || scheme == "https") && !(components.host ?? "").isEmpty
    }

    public func fetch(_ request: OutboundRequest) throws(OutboundError) -> OutboundResponse {
        guard Self.isFetchable(request.url) else { throw .invalidURL }
        guard let handle = curl_easy_init() else { throw .failed("curl_easy_init failed") }
        defer { curl_easy_cleanup(handle) }
        let transfer = Transfer(policy: policy, maxBytes: request.maxResponseBytes)
        let context = Unmanaged.passUnretained(transfer).toOpaque()
        var headerList: UnsafeMutablePointer<curl_slist>?
        defer { curl_slist_free_all(headerList) }
        for header in request.headers { headerList = curl_slist_append(headerList, "\(header.name): \(header.value)") }

        let milliseconds = Int(request.timeout / .milliseconds(1))
        vestibule_curl_setopt_string(handle, CURLOPT_URL, request.url)
        vestibule_curl_setopt_string(handle, CURLOPT_PROTOCOLS_STR, "http,https")
        vestibule_curl_setopt_long(handle, CURLOPT_FOLLOWLOCATION, 0)
        vestibule_curl_setopt_long(handle, CURLOPT_NOSIGNAL, 1)
        // Never through a proxy from the environment (http_proxy...): the address check would see
        // the proxy, not the target.
        vestibule_curl_setopt_string(handle, CURLOPT_PROXY, "")
        vestibule_curl_setopt_string(handle, CURLOPT_NOPROXY, "*")
        vestibule_curl_setopt_long(handle, CURLOPT_TIMEOUT_MS, milliseconds)
        vestibule_curl_setopt_long(handle, CURLOPT_CONNECTTIMEOUT_MS, milliseconds)
        vestibule_curl_setopt_long(handle, CURLOPT_MAXFILESIZE, request.maxResponseBytes)
        vestibule_curl_setopt_string(handle, CURLOPT_USERAGENT, userAgent)
        vestibule_curl_setopt_pointer(handle, CURLOPT_HTTPHEADER, UnsafeMutableRawPointer(headerList))
        vestibule_curl_setopt_write_function(handle, Self.receive)
        vestibule_curl_setopt_pointer(handle, CURLOPT_WRITEDATA, context)
        vestibule_curl_setopt_opensocket_function(handle, Self.openSocket)
        vestibule_curl_setopt_pointer(handle, CURLOPT_OPENSOCKETDATA, context)
        if request.method != "GET" { vestibule_curl_setopt_string(handle, CURLOPT_CUSTOMREQUEST, request.method) }
        if let body = request.body {
            vestibule_curl_setopt_long(handle, CURLOPT_POSTFIELDSIZE, body.count)
            body.withUnsafeBytes { raw in
                _ = vestibule_curl_setopt_pointer(handle, CURLOPT_COPYPOSTFIELDS, UnsafeMutableRawPointer(mutating: raw.baseAddress ?? UnsafeRawPointer(bitPattern: 1)!))
            }
        }

        let code = withExtendedLifetime(transfer) { curl_easy_perform(handle) }
        switch code {
        case CURLE_OK:
            var status = 0
            vestibule_curl_getinfo_long(handle, CURLINFO_RESPONSE_CODE, &status)
            return OutboundResponse(status: status, body: transfer.body)
        case CURLE_OPERATION_TIMEDOUT: throw .timedOut
        case CURLE_FILESIZE_EXCEEDED: throw .tooLarge
        case CURLE_WRITE_ERROR where transfer.tooLarge: throw .tooLarge
        case CURLE_UNSUPPORTED_PROTOCOL, CURLE_URL_MALFORMAT: throw .invalidURL
        default:
            if let refused = transfer.refusedAddress { throw .forbiddenAddress(refused) }
            throw .failed(String(cString: curl_easy_strerror(code)))
        }
    }

    private static let receive: @convention(c) (UnsafeMutablePointer<CChar>?, Int, Int, UnsafeMutableRawPointer?) -> Int = {
        data, size, count, context in
        guard let data, let context else { return 0 }
        let transfer = Unmanaged<Transfer>.fromOpaque(context).takeUnretainedValue()
        let length = size * count
        guard transfer.body.count + length <= transfer.maxBytes else {
            transfer.tooLarge = true
            return 0
        }
        transfer.body += UnsafeRawBufferPointer(start: data, count: length)
        return length
    }

    /// Called for every address curl is about to connect to; a refused one gets no socket.
    private static let openSocket: @convention(c) (UnsafeMutableRawPointer?, curlsocktype, UnsafeMutablePointer<curl_sockaddr>?) -> curl_socket_t = {
        context, _, address in
        guard let context, let address else { return CURL_SOCKET_BAD }
        let transfer = Unmanaged<Transfer>.fromOpaque(context).takeUnretainedValue()
        let target = withUnsafeMutablePointer(to: &address.pointee.addr) { pointer -> IPAddress? in
            switch Int32(address.pointee.family) {
            case AF_INET:
                return pointer.withMemoryRebound(to: sockaddr_in.self, capacity: 1) { .v4(UInt32(bigEndian: $0.pointee.sin_addr.s_addr)) }
            case AF_INET6:
                return pointer.withMemoryRebound(to: sockaddr_in6.self, capacity: 1) { sin6 in
                    .v6(withUnsafeBytes(of: sin6.pointee.sin6_addr) { Array($0) })
                }
            default: return nil
            }
        }
        guard let target, transfer.policy.allows(target) else {
            transfer.refusedAddress = target?.description ?? "of an unknown family"
            return CURL_SOCKET_BAD
        }
        return socket(address.pointee.family, address.pointee.socktype, address.pointee.protocol)
    }
}
