import Foundation
import Storage
import StorageSQL

/// Copies every row of another Vestibule database (SQLite, for `vestibule import-sqlite`) into
/// this one, in one transaction: all of it or nothing. Only into a database that holds no
/// Vestibule rows yet; ids are kept, so sessions, grants and sealed values (bound to their rows)
/// work as before, and the identity sequences are moved past them.
extension PostgresStorage {
    public struct ImportRefusal: Error, CustomStringConvertible {
        public let description: String
    }

    /// The tables and how many rows each got.
    public func importRows(from source: any SQLStorage, batchSize: Int = 500) throws -> [(table: String, rows: Int)] {
        try writeSQL { target in
            let occupied = try Schema.tables.filter { $0.name != "vestibule_meta" }.compactMap { table -> String? in
                let rows = try Self.count(table.name, on: target)
                return rows > 0 ? "\(rows) in \(table.name)" : nil
            }
            guard occupied.isEmpty else {
                throw ImportRefusal(description: """
                    \(displayName) already holds Vestibule data (\(occupied.joined(separator: ", "))): \
                    import-sqlite only fills a database that has none
                    """)
            }
            return try Schema.tables.map { table in
                (table.name, try copy(table, from: source, to: target, batchSize: batchSize))
            }
        }
    }

    private func copy(_ table: SchemaTable, from source: any SQLStorage, to target: any SQLConnection, batchSize: Int) throws -> Int {
        let columns = table.columns.joined(separator: ", ")
        let select = "SELECT \(columns) FROM \(table.name) ORDER BY \(table.key.joined(separator: ", ")) LIMIT ? OFFSET ?"
        var insert = "INSERT INTO \(table.name) (\(columns)) VALUES (\(Array(repeating: "?", count: table.columns.count).joined(separator: ", ")))"
        if table.name == "vestibule_meta" {
            // The source's facts win (when its data was made, its key's check value); the
            // target's own health probe is not copied over.
            insert += " ON CONFLICT (name) DO UPDATE SET value = excluded.value"
        }
        var copied = 0
        while true {
            let rows = try source.readSQL { db in try db.query(select, [.integer(Int64(batchSize)), .integer(Int64(copied))]) }
            for row in rows where !(table.name == "vestibule_meta" && row.values.first == .text("health_probe")) {
                try target.execute(insert, row.values)
            }
            copied += rows.count
            if rows.count < batchSize { break }
        }
        if table.numbered {
            try target.execute(
                "SELECT setval(pg_get_serial_sequence('\(table.name)', 'id'), COALESCE(max(id), 0) + 1, false) FROM \(table.name)", [])
        }
        return table.name == "vestibule_meta" ? try Self.count(table.name, on: target) : copied
    }

    private static func count(_ table: String, on connection: any SQLConnection) throws -> Int {
        guard var row = try connection.query("SELECT count(*) FROM \(table)", []).first else { return 0 }
        return try row.next()
    }
}
