#if canImport(Glibc)
import Glibc
#endif

/// Which addresses an outbound request may connect to. URLs that come from request bodies (a
/// vendor's `api_endpoint`) must not reach this host, its network or the cloud metadata service.
public struct AddressPolicy: Sendable, Equatable {
    /// Allow loopback, private and link-local addresses: development and tests only.
    public var allowPrivateNetworks: Bool

    public init(allowPrivateNetworks: Bool = false) {
        self.allowPrivateNetworks = allowPrivateNetworks
    }

    public static let publicOnly = AddressPolicy()

    /// True when a connection to `address` is allowed.
    public func allows(_ address: IPAddress) -> Bool {
        allowPrivateNetworks ? !address.isUnspecifiedOrMulticast : address.isPublic
    }
}

/// An IPv4 or IPv6 address, classified by the ranges that matter for outbound requests.
public enum IPAddress: Sendable, Equatable, CustomStringConvertible {
    case v4(UInt32)
    case v6([UInt8])

    /// Parses a textual address (`10.0.0.1`, `::1`, `fe80::1`); nil when it is not one.
    public init?(_ text: String) {
        var v4 = in_addr()
        var v6 = in6_addr()
        if inet_pton(AF_INET, text, &v4) == 1 {
            self = .v4(UInt32(bigEndian: v4.s_addr))
        } else if inet_pton(AF_INET6, text, &v6) == 1 {
            self = .v6(withUnsafeBytes(of: &v6) { Array($0) })
        } else {
            return nil
        }
    }

    public var description: String {
        switch self {
        case .v4(let value): return "\(value >> 24).\((value >> 16) & 0xFF).\((value >> 8) & 0xFF).\(value & 0xFF)"
        case .v6(let bytes):
            var address = in6_addr()
            withUnsafeMutableBytes(of: &address) { $0.copyBytes(from: bytes) }
            var text = [CChar](repeating: 0, count: Int(INET6_ADDRSTRLEN))
            inet_ntop(AF_INET6, &address, &text, socklen_t(text.count))
            return String(decoding: text.prefix { $0 != 0 }.map { UInt8(bitPattern: $0) }, as: UTF8.self)
        }
    }

    /// A globally routable unicast address: not loopback, private, link-local, shared (CGNAT),
    /// multicast, reserved, documentation or benchmarking ranges, nor IPv4 hidden in IPv6.
    public var isPublic: Bool {
        switch self {
        case .v4(let value):
            let blocked: [(UInt32, UInt32)] = [
                (0x0000_0000, 8), (0x0A00_0000, 8), (0x6440_0000, 10), (0x7F00_0000, 8), (0xA9FE_0000, 16),
                (0xAC10_0000, 12), (0xC000_0000, 24), (0xC000_0200, 24), (0xC058_6300, 24), (0xC0A8_0000, 16),
                (0xC612_0000, 15), (0xC633_6400, 24), (0xCB00_7100, 24), (0xE000_0000, 4), (0xF000_0000, 4),
            ]
            return !blocked.contains { network, bits in value >> (32 - bits) == network >> (32 - bits) }
        case .v6(let bytes):
            if let embedded = embeddedIPv4 { return embedded.isPublic }
            // Global unicast is 2000::/3, less documentation (2001:db8::/32) and ORCHID etc. ranges.
            guard bytes[0] & 0xE0 == 0x20 else { return false }
            if bytes[0] == 0x20, bytes[1] == 0x01, bytes[2] == 0x0D, bytes[3] == 0xB8 { return false }
            if bytes[0] == 0x20, bytes[1] == 0x01, bytes[2] == 0x00, bytes[3] < 0x02 { return false }  // Teredo, benchmarking
            if bytes[0] == 0x20, bytes[1] == 0x02 { return false }  // 6to4 can hide any IPv4
            return true
        }
    }

    /// 0.0.0.0, ::, or multicast: never a sensible destination, even in development.
    var isUnspecifiedOrMulticast: Bool {
        switch self {
        case .v4(let value): return value == 0 || value >> 28 == 0xE
        case .v6(let bytes): return bytes.allSatisfy { $0 == 0 } || bytes[0] == 0xFF
        }
    }

    /// The IPv4 address inside an IPv4-mapped (`::ffff:a.b.c.d`) or -compatible IPv6 address.
    var embeddedIPv4: IPAddress? {
        guard case .v6(let bytes) = self, bytes[0..<10].allSatisfy({ $0 == 0 }) else { return nil }
        guard (bytes[10] == 0xFF && bytes[11] == 0xFF) || (bytes[10] == 0 && bytes[11] == 0 && bytes[12...].contains { $0 != 0 }) else {
            return nil
        }
        if bytes[10] == 0, bytes[12...15].elementsEqual([0, 0, 0, 1]) { return nil }  // ::1 is loopback, handled below
        return .v4(UInt32(bytes[12]) << 24 | UInt32(bytes[13]) << 16 | UInt32(bytes[14]) << 8 | UInt32(bytes[15]))
    }
}
