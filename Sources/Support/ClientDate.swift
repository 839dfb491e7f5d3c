import Foundation

/// Dates as clients send them: `2026-05-12T10:00:00+00:00` (PHP's `gmdate('c')`), with `Z` or
/// fractions, `2026-05-12 10:00:00`, or a bare `2026-05-12` (midnight UTC). An offset is within
/// ±14:00 (the widest in use); the date, in UTC, in the years 2000 to 9999.
public enum ClientDate {
    public static func parse(_ text: String) -> Date? {
        let pattern = /(\d{4})-(\d{2})-(\d{2})(?:[T ](\d{2}):(\d{2})(?::(\d{2})(?:\.(\d{1,9}))?)?(Z|z|[+-]\d{2}:?\d{2})?)?/
        guard let match = text.wholeMatch(of: pattern) else { return nil }
        var components = DateComponents()
        components.calendar = Calendar(identifier: .gregorian)
        components.timeZone = TimeZone(secondsFromGMT: 0)
        components.year = Int(match.1)
        components.month = Int(match.2)
        components.day = Int(match.3)
        components.hour = match.4.flatMap { Int($0) } ?? 0
        components.minute = match.5.flatMap { Int($0) } ?? 0
        components.second = match.6.flatMap { Int($0) } ?? 0
        guard components.isValidDate, var date = components.date else { return nil }
        if let fraction = match.7 { date += Double("0." + fraction) ?? 0 }
        if let zone = match.8, zone != "Z", zone != "z" {
            let digits = zone.dropFirst().filter(\.isNumber)
            let hours = Int(digits.prefix(2)) ?? 0, minutes = Int(digits.suffix(2)) ?? 0
            guard minutes < 60, hours * 60 + minutes <= 14 * 60 else { return nil }
            let offset = hours * 3600 + minutes * 60
            date -= Double(zone.hasPrefix("-") ? -offset : offset)
        }
        return UTCDate.isInValidYears(date) ? date : nil
    }

    /// `2026-05-12T10:00:00+00:00`.
    public static func format(_ date: Date) -> String { UTCDate.iso8601(date) }
}
