import CLibpq
import Foundation
import Storage
import StorageSQL

/// One libpq connection. It is used by one thread at a time: the pool hands it out and takes it
/// back, so it is `@unchecked Sendable` only to travel through the pool's lock.
final class PGConnection: @unchecked Sendable {
    private let handle: OpaquePointer
    /// SQL text → the name of its prepared statement on this connection.
    private var prepared: [String: String] = [:]
    /// True once the connection has been back in the pool: it may have died there unnoticed.
    var wasReused = false

    /// Connects, or throws `StorageError.unavailable` with libpq's reason.
    init(_ location: PostgresLocation) throws {
        // Keywords before `dbname` are defaults the URL may override; those after it win.
        var pairs: [(String, String)] = [("connect_timeout", "5"), ("application_name", "vestibule"), ("dbname", location.url)]
        if let password = location.password { pairs.append(("password", password)) }
        let connection = Self.withCStrings(pairs.map(\.0)) { keywords in
            Self.withCStrings(pairs.map(\.1)) { values in PQconnectdbParams(keywords, values, 1) }
        }
        guard let connection else { throw StorageError.unavailable(reason: "libpq could not allocate a connection") }
        guard PQstatus(connection) == CONNECTION_OK else {
            let message = Self.message(PQerrorMessage(connection))
            PQfinish(connection)
            throw StorageError.unavailable(reason: "cannot connect to PostgreSQL: \(message)")
        }
        handle = connection
        // libpq prints the server's notices ("relation ... already exists, skipping") on stderr
        // by default: nothing of ours needs them.
        PQsetNoticeProcessor(connection, { _, _ in }, nil)
        // Dates are seconds since 1970 as double precision: every digit must survive text.
        _ = try? run("SET extra_float_digits = 3")
    }

    deinit { PQfinish(handle) }

    /// False once the server or the network went away: the connection is thrown away.
    var isUsable: Bool { PQstatus(handle) == CONNECTION_OK }

    /// True between BEGIN and COMMIT or ROLLBACK (or in a failed transaction).
    var inTransaction: Bool { PQtransactionStatus(handle) != PQTRANS_IDLE }

    /// Runs SQL without parameters, by the simple protocol (several statements may be given).
    @discardableResult
    func run(_ sql: String) throws -> PGResult {
        do {
            return try PGResult(PQexec(handle, sql), connection: self)
        } catch StorageError.unavailable(let reason) where sql == "COMMIT" {
            throw StorageError.unavailable(reason: "COMMIT's outcome is unknown: \(reason)")
        }
    }

    /// Runs a statement with bound parameters, prepared once per connection.
    func execute(_ sql: String, _ arguments: [SQLValue]) throws -> PGResult {
        let texts = arguments.map(Self.text)
        if texts.contains(where: { $0?.utf8.contains(0) == true }) {
            // libpq takes C strings, and PostgreSQL's text cannot hold NUL: refuse, never truncate.
            throw StorageError.failed("a text value holds a NUL character, which PostgreSQL cannot store")
        }
        let name = try statementName(for: sql)
        return try Self.withOptionalCStrings(texts) { values in
            try PGResult(PQexecPrepared(handle, name, Int32(texts.count), values, nil, nil, 0), connection: self)
        }
    }

    private func statementName(for sql: String) throws -> String {
        if let name = prepared[sql] { return name }
        let name = "v\(prepared.count + 1)"
        _ = try PGResult(PQprepare(handle, name, PlaceholderRewriter.numbered(sql), 0, nil), connection: self)
        prepared[sql] = name
        return name
    }

    var lastError: String { Self.message(PQerrorMessage(handle)) }

    /// A parameter in PostgreSQL's text format; nil is SQL NULL.
    static func text(_ value: SQLValue) -> String? {
        switch value {
        case .null: return nil
        case .integer(let number): return String(number)
        case .real(let number): return "\(number)"
        case .text(let text): return text
        case .blob(let bytes): return "\\x" + bytes.map { String(format: "%02x", $0) }.joined()
        case .bool(let flag): return flag ? "true" : "false"
        }
    }

    static func message(_ pointer: UnsafePointer<CChar>?) -> String {
        guard let pointer else { return "unknown error" }
        return String(cString: pointer).trimmingCharacters(in: .whitespacesAndNewlines)
    }

    private static func withCStrings<T>(_ strings: [String], _ body: (UnsafePointer<UnsafePointer<CChar>?>) -> T) -> T {
        let copies = strings.map { strdup($0) }
        defer { copies.forEach { free($0) } }
        let pointers: [UnsafePointer<CChar>?] = copies.map { UnsafePointer($0) } + [nil]
        return pointers.withUnsafeBufferPointer { body($0.baseAddress!) }
    }

    private static func withOptionalCStrings<T>(
        _ strings: [String?], _ body: (UnsafePointer<UnsafePointer<CChar>?>?) throws -> T
    ) throws -> T {
        let copies = strings.map { $0.map { strdup($0) } }
        defer { copies.forEach { $0.map { free($0) } } }
        let pointers: [UnsafePointer<CChar>?] = copies.map { $0.map { UnsafePointer($0) } ?? nil }
        return try pointers.withUnsafeBufferPointer { try body($0.baseAddress) }
    }
}

/// A statement's result: its rows decoded by column type, and how many rows it changed.
struct PGResult {
    let rows: [SQLRow]
    let changed: Int

    /// Reads `result` and frees it; a failed statement throws the storage error it means.
    init(_ result: OpaquePointer?, connection: PGConnection) throws {
        guard let result else {
            throw connection.isUsable
                ? StorageError.failed("PostgreSQL: \(connection.lastError)")
                : StorageError.unavailable(reason: "the connection to PostgreSQL was lost: \(connection.lastError)")
        }
        defer { PQclear(result) }
        let status = PQresultStatus(result)
        guard status == PGRES_TUPLES_OK || status == PGRES_COMMAND_OK else {
            throw PGErrors.storageError(result, connection: connection)
        }
        changed = Int(String(cString: PQcmdTuples(result))) ?? 0
        let columnCount = PQnfields(result)
        let types = (0..<columnCount).map { PQftype(result, $0) }
        rows = (0..<PQntuples(result)).map { row in
            SQLRow((0..<columnCount).map { column in
                guard PQgetisnull(result, row, column) == 0 else { return .null }
                return PGResult.value(String(cString: PQgetvalue(result, row, column)), type: types[Int(column)])
            })
        }
    }

    /// Text-format output by type OID (pg_type.h).
    static func value(_ text: String, type: Oid) -> SQLValue {
        switch type {
        case 16: return .bool(text == "t")
        case 17: return .blob(hexBytes(text))
        case 20, 21, 23, 26: return Int64(text).map(SQLValue.integer) ?? .text(text)
        case 700, 701, 1700: return Double(text).map(SQLValue.real) ?? .text(text)
        default: return .text(text)
        }
    }

    /// bytea's hex output, `\x0a1b...`.
    static func hexBytes(_ text: String) -> [UInt8] {
        var bytes: [UInt8] = []
        var utf8 = text.utf8.dropFirst(2)[...]
        bytes.reserveCapacity(utf8.count / 2)
        while utf8.count >= 2 {
            let pair = String(decoding: utf8.prefix(2), as: UTF8.self)
            bytes.append(UInt8(pair, radix: 16) ?? 0)
            utf8 = utf8.dropFirst(2)
        }
        return bytes
    }
}

/// SQLSTATE classes, as storage errors.
enum PGErrors {
    static let serializationFailure = "40001"
    static let deadlockDetected = "40P01"

    static func storageError(_ result: OpaquePointer, connection: PGConnection) -> StorageError {
        let state = PQresultErrorField(result, Int32(UInt8(ascii: "C"))).map { String(cString: $0) } ?? ""
        let message = PGConnection.message(PQresultErrorMessage(result))
        guard connection.isUsable else {
            return .unavailable(reason: "the connection to PostgreSQL was lost: \(message)")
        }
        switch state {
        case serializationFailure, deadlockDetected: return .conflict("\(state) \(message)")
        case let code where code.hasPrefix("23"): return .conflict("\(state) \(message)")
        // Connection exceptions, insufficient resources (disk full), operator intervention (shutdown).
        case let code where code.hasPrefix("08"): return .unavailable(reason: "PostgreSQL: \(message)")
        case let code where code.hasPrefix("53"): return .unavailable(reason: "PostgreSQL is out of resources: \(message)")
        case let code where code.hasPrefix("57"): return .unavailable(reason: "PostgreSQL is shutting down or restarting: \(message)")
        case "25006": return .unavailable(reason: "PostgreSQL is read-only here (a standby?): \(message)")
        default: return .failed("PostgreSQL \(state): \(message)")
        }
    }

    static func isRetryable(_ error: StorageError) -> Bool {
        guard case .conflict(let message) = error else { return false }
        return message.hasPrefix(serializationFailure) || message.hasPrefix(deadlockDetected)
    }
}

/// The shared SQL is written with `?`; PostgreSQL numbers its parameters (`$1`, `$2`, ...).
/// Quoted text and identifiers are copied as they are.
enum PlaceholderRewriter {
    static func numbered(_ sql: String) -> String {
        var output = ""
        output.reserveCapacity(sql.utf8.count + 16)
        var quote: Character?
        var count = 0
        for character in sql {
            if let open = quote {
                if character == open { quote = nil }
                output.append(character)
            } else if character == "'" || character == "\"" {
                quote = character
                output.append(character)
            } else if character == "?" {
                count += 1
                output += "$\(count)"
            } else {
                output.append(character)
            }
        }
        return output
    }
}
