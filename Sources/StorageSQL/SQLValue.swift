import Foundation
import Storage

/// A value bound to a statement or read from a row, the same for every backend. Dates are seconds
/// since 1970 (`real`), so SQL compares them; each driver maps `bool` and `blob` to its own types.
public enum SQLValue: Sendable, Equatable {
    case null
    case integer(Int64)
    case real(Double)
    case text(String)
    case blob([UInt8])
    case bool(Bool)
}

/// A Swift value that can be bound to a statement.
public protocol SQLBindable {
    var sqlValue: SQLValue { get }
}

/// A Swift value that can be read from a column.
public protocol SQLReadable {
    init(sqlValue: SQLValue) throws(SQLDecodingError)
}

public struct SQLDecodingError: Error, CustomStringConvertible {
    public let expected: String
    public let found: SQLValue

    public init(expected: String, found: SQLValue) {
        self.expected = expected
        self.found = found
    }
    public var description: String { "expected \(expected) in a column, found \(found)" }
}

extension Int64: SQLBindable, SQLReadable {
    public var sqlValue: SQLValue { .integer(self) }
    public init(sqlValue: SQLValue) throws(SQLDecodingError) {
        switch sqlValue {
        case .integer(let value): self = value
        case .real(let value) where value.rounded() == value: self = Int64(value)
        default: throw SQLDecodingError(expected: "an integer", found: sqlValue)
        }
    }
}

extension Int: SQLBindable, SQLReadable {
    public var sqlValue: SQLValue { .integer(Int64(self)) }
    public init(sqlValue: SQLValue) throws(SQLDecodingError) { self = Int(try Int64(sqlValue: sqlValue)) }
}

extension Double: SQLBindable, SQLReadable {
    public var sqlValue: SQLValue { .real(self) }
    public init(sqlValue: SQLValue) throws(SQLDecodingError) {
        switch sqlValue {
        case .real(let value): self = value
        case .integer(let value): self = Double(value)
        default: throw SQLDecodingError(expected: "a number", found: sqlValue)
        }
    }
}

extension Bool: SQLBindable, SQLReadable {
    public var sqlValue: SQLValue { .bool(self) }
    public init(sqlValue: SQLValue) throws(SQLDecodingError) {
        switch sqlValue {
        case .bool(let value): self = value
        case .integer(let value): self = value != 0
        default: throw SQLDecodingError(expected: "a boolean", found: sqlValue)
        }
    }
}

extension String: SQLBindable, SQLReadable {
    public var sqlValue: SQLValue { .text(self) }
    public init(sqlValue: SQLValue) throws(SQLDecodingError) {
        guard case .text(let value) = sqlValue else { throw SQLDecodingError(expected: "text", found: sqlValue) }
        self = value
    }
}

extension Data: SQLBindable, SQLReadable {
    public var sqlValue: SQLValue { .blob(Array(self)) }
    public init(sqlValue: SQLValue) throws(SQLDecodingError) {
        guard case .blob(let bytes) = sqlValue else { throw SQLDecodingError(expected: "bytes", found: sqlValue) }
        self = Data(bytes)
    }
}

extension Date: SQLBindable, SQLReadable {
    public var sqlValue: SQLValue { .real(timeIntervalSince1970) }
    public init(sqlValue: SQLValue) throws(SQLDecodingError) {
        self = Date(timeIntervalSince1970: try Double(sqlValue: sqlValue))
    }
}

extension RecordID: SQLBindable, SQLReadable {
    public var sqlValue: SQLValue { .integer(rawValue) }
    public init(sqlValue: SQLValue) throws(SQLDecodingError) { self.init(rawValue: try Int64(sqlValue: sqlValue)) }
}

extension Team.Status: SQLBindable, SQLReadable {
    public var sqlValue: SQLValue { .text(rawValue) }
    public init(sqlValue: SQLValue) throws(SQLDecodingError) {
        guard let status = Team.Status(rawValue: try String(sqlValue: sqlValue)) else {
            throw SQLDecodingError(expected: "a team status", found: sqlValue)
        }
        self = status
    }
}

extension TrusteeAttempt.State: SQLBindable, SQLReadable {
    public var sqlValue: SQLValue { .text(rawValue) }
    public init(sqlValue: SQLValue) throws(SQLDecodingError) {
        guard let state = TrusteeAttempt.State(rawValue: try String(sqlValue: sqlValue)) else {
            throw SQLDecodingError(expected: "a Trustee attempt state", found: sqlValue)
        }
        self = state
    }
}

extension Optional: SQLBindable where Wrapped: SQLBindable {
    public var sqlValue: SQLValue { self?.sqlValue ?? .null }
}

extension Optional: SQLReadable where Wrapped: SQLReadable {
    public init(sqlValue: SQLValue) throws(SQLDecodingError) {
        self = sqlValue == .null ? nil : try Wrapped(sqlValue: sqlValue)
    }
}

/// One row of a result, read column by column in the order the statement selected them.
public struct SQLRow: Sendable {
    public let values: [SQLValue]
    @usableFromInline var position = 0

    public init(_ values: [SQLValue]) { self.values = values }

    /// The next column's value.
    @inlinable
    public mutating func next<Value: SQLReadable>(_: Value.Type = Value.self) throws(SQLDecodingError) -> Value {
        guard position < values.count else { throw SQLDecodingError(expected: "another column", found: .null) }
        defer { position += 1 }
        return try Value(sqlValue: values[position])
    }
}
