import Crypto
import Foundation

/// The one secret kept outside the database. Everything else secret at rest is sealed with keys
/// derived from it (HKDF, one subkey per purpose), so a copy of the database alone reveals nothing.
public struct SecretKey: Sendable {
    private let material: SymmetricKey

    public init(bytes: [UInt8]) {
        precondition(bytes.count == 32, "a secret key is 32 bytes")
        material = SymmetricKey(data: bytes)
    }

    public enum LoadError: Error, CustomStringConvertible {
        case unreadable(path: String, reason: String)
        case malformed(path: String)
        case tooOpen(path: String, mode: String)

        public var description: String {
            switch self {
            case .unreadable(let path, let reason): return "secret key file \(path): \(reason)"
            case .malformed(let path):
                return "secret key file \(path) does not hold 32 bytes in base64; restore it from a backup"
            case .tooOpen(let path, let mode):
                return "secret key file \(path) has mode \(mode): others can read it; run `chmod 600 \(path)`"
            }
        }
    }

    /// Reads the key file, or creates it (32 random bytes, base64, mode 0600) when it does not exist.
    public static func loadOrCreate(path: String, random: some RandomSource = SystemRandom()) throws -> SecretKey {
        if let key = try load(path: path) { return key }
        try create(path: path, bytes: random.bytes(32))
        return try load(path: path)!
    }

    /// Reads the key file; nil when there is none.
    public static func load(path: String) throws -> SecretKey? {
        let manager = FileManager.default
        guard manager.fileExists(atPath: path) else { return nil }
        let attributes = try? manager.attributesOfItem(atPath: path)
        if let mode = (attributes?[.posixPermissions] as? NSNumber)?.uint16Value, mode & 0o077 != 0 {
            throw LoadError.tooOpen(path: path, mode: String(mode, radix: 8))
        }
        guard let text = try? String(contentsOfFile: path, encoding: .utf8) else {
            throw LoadError.unreadable(path: path, reason: "cannot be read")
        }
        guard let data = Data(base64Encoded: text.trimmingCharacters(in: .whitespacesAndNewlines)),
            data.count == 32
        else { throw LoadError.malformed(path: path) }
        return SecretKey(bytes: Array(data))
    }

    private static func create(path: String, bytes: [UInt8]) throws {
        let directory = (path as NSString).deletingLastPathComponent
        if !directory.isEmpty {
            try FileManager.default.createDirectory(atPath: directory, withIntermediateDirectories: true)
        }
        let text = Data(bytes).base64EncodedString() + "\n"
        // Created with 0600 from the start: never readable by others, not even for an instant.
        let fd = open(path, O_WRONLY | O_CREAT | O_EXCL, 0o600)
        guard fd >= 0 else {
            throw LoadError.unreadable(path: path, reason: String(cString: strerror(errno)))
        }
        defer { close(fd) }
        let written = text.utf8CString.withUnsafeBytes { write(fd, $0.baseAddress, text.utf8.count) }
        guard written == text.utf8.count else {
            throw LoadError.unreadable(path: path, reason: "could not be written")
        }
    }

    /// A value that tells whether two nodes hold the same key without revealing it: an HMAC of a
    /// fixed text under a subkey of its own. The database records it on first use.
    public var checkValue: String {
        let mac = HMAC<SHA256>.authenticationCode(for: Array("vestibule secret key check v1".utf8), using: subkey(for: "key-check"))
        return "v1:" + Data(mac).base64EncodedString()
    }

    /// A key for one purpose; different purposes never share key material.
    public func subkey(for purpose: String) -> SymmetricKey {
        HKDF<SHA256>.deriveKey(
            inputKeyMaterial: material, info: Array("vestibule:\(purpose)".utf8), outputByteCount: 32)
    }
}

/// AES-GCM sealing of small secrets stored in the database. The associated data binds a sealed
/// value to where it belongs (a table and row), so it cannot be moved to another row.
public struct SecretSealer: Sendable {
    private let key: SymmetricKey

    public init(secretKey: SecretKey, purpose: String) {
        key = secretKey.subkey(for: purpose)
    }

    public struct OpenError: Error {}

    public func seal(_ plaintext: [UInt8], context: String) throws -> [UInt8] {
        let box = try AES.GCM.seal(plaintext, using: key, authenticating: Array(context.utf8))
        guard let combined = box.combined else { throw OpenError() }
        return Array(combined)
    }

    public func open(_ sealed: [UInt8], context: String) throws -> [UInt8] {
        do {
            let box = try AES.GCM.SealedBox(combined: sealed)
            return Array(try AES.GCM.open(box, using: key, authenticating: Array(context.utf8)))
        } catch {
            throw OpenError()
        }
    }
}
