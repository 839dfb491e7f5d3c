import Foundation
import Support

/// The input is a date a client sent; its first eight bytes are also a `Date` (any double).
/// A parsed date lies in the years 2000-9999 and writes back as text that parses to the same second.
enum DateChecks {
    static func check(_ data: [UInt8]) throws(FuzzFinding) {
        let text = String(decoding: data, as: UTF8.self)
        if let date = ClientDate.parse(text) {
            try require(UTCDate.isInValidYears(date), "\(text) parsed to a date outside 2000-9999")
            try roundTrip(date, from: text)
        }
        if data.count >= 8 {
            let bits = data.prefix(8).reduce(UInt64(0)) { $0 << 8 | UInt64($1) }
            let date = Date(timeIntervalSince1970: Double(bitPattern: bits))
            if UTCDate.isInValidYears(date) { try roundTrip(date, from: "\(date.timeIntervalSince1970)") }
        }
    }

    static func roundTrip(_ date: Date, from source: String) throws(FuzzFinding) {
        let written = UTCDate.iso8601(date)
        try require(written.wholeMatch(of: /\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\+00:00/) != nil, "\(source) was written as \(written)")
        let second = date.timeIntervalSince1970.rounded(.down)
        try require(ClientDate.parse(written)?.timeIntervalSince1970 == second, "\(written) (from \(source)) does not parse back")
        try require(UTCDate.dateTime(date) == written.prefix(10) + " " + written.dropFirst(11).prefix(8), "dateTime disagrees with iso8601 for \(source)")
    }
}
