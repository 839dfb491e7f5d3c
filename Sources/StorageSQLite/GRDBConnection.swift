import Foundation
internal import GRDB
import Storage
import StorageSQL

/// The shared stores' connection on a GRDB `Database`, valid inside one `read` or `write` of the
/// pool. Statements are GRDB's cached statements: compiled once per connection.
final class GRDBConnection: SQLConnection {
    let db: Database

    init(db: Database) {
        self.db = db
    }

    func query(_ sql: String, _ arguments: [SQLValue]) throws -> [SQLRow] {
        do {
            let statement = try db.cachedStatement(sql: sql)
            let cursor = try Row.fetchCursor(statement, arguments: Self.arguments(arguments))
            var rows: [SQLRow] = []
            while let row = try cursor.next() {
                // By index: `databaseValues` would make each column's name as a String too.
                var values: [SQLValue] = []
                values.reserveCapacity(row.count)
                for index in 0..<row.count { values.append(Self.value(row[index])) }
                rows.append(SQLRow(values))
            }
            return rows
        } catch let error as DatabaseError {
            throw SQLiteErrors.storageError(error)
        }
    }

    func execute(_ sql: String, _ arguments: [SQLValue]) throws -> Int {
        do {
            try db.cachedStatement(sql: sql).execute(arguments: Self.arguments(arguments))
            return db.changesCount
        } catch let error as DatabaseError {
            throw SQLiteErrors.storageError(error)
        }
    }

    /// SQLite runs one write transaction at a time (`BEGIN IMMEDIATE`, across processes too):
    /// the transaction already holds what a lock would give.
    func serialize(on keys: [Int64]) throws {}

    static func arguments(_ values: [SQLValue]) -> StatementArguments {
        StatementArguments(values.map { value -> DatabaseValue in
            switch value {
            case .null: return .null
            case .integer(let number): return number.databaseValue
            case .real(let number): return number.databaseValue
            case .text(let text): return text.databaseValue
            case .blob(let bytes): return Data(bytes).databaseValue
            case .bool(let flag): return (flag ? 1 : 0).databaseValue
            }
        })
    }

    static func value(_ value: DatabaseValue) -> SQLValue {
        switch value.storage {
        case .null: return .null
        case .int64(let number): return .integer(number)
        case .double(let number): return .real(number)
        case .string(let text): return .text(text)
        case .blob(let data): return .blob(Array(data))
        }
    }
}

/// What SQLite's errors mean for a request: the reasons are safe to show an operator.
enum SQLiteErrors {
    static func storageError(_ error: DatabaseError) -> StorageError {
        switch error.resultCode {
        case .SQLITE_FULL: return .unavailable(reason: "the disk holding the database is full")
        case .SQLITE_READONLY: return .unavailable(reason: "the database file cannot be written")
        case .SQLITE_IOERR: return .unavailable(reason: "reading or writing the database file failed (I/O error)")
        case .SQLITE_CANTOPEN: return .unavailable(reason: "the database file cannot be opened")
        case .SQLITE_BUSY, .SQLITE_LOCKED: return .unavailable(reason: "the database stayed locked by another process")
        case .SQLITE_CORRUPT, .SQLITE_NOTADB: return .unavailable(reason: "the database file is damaged")
        case .SQLITE_CONSTRAINT: return .conflict(error.message ?? "constraint failed")
        default: return .failed("\(error)")
        }
    }

    /// Runs `body`, turning GRDB's errors (opening, beginning, committing) into storage errors.
    static func mapped<T>(_ body: () throws -> T) throws -> T {
        do {
            return try body()
        } catch let error as DatabaseError {
            throw storageError(error)
        }
    }
}
