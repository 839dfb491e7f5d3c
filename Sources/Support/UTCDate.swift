import Foundation

/// Dates written in UTC, without a formatter or a time-zone lookup.
public enum UTCDate {
    /// The years a date from outside may have: four digits, and none before 2000.
    public static let validYears = 2000...9999

    /// True when `date` falls in `validYears` (UTC). Plain arithmetic, so any `Date` (infinite,
    /// NaN, far out) is safe to ask about: converting those to `time_t` would trap.
    public static func isInValidYears(_ date: Date) -> Bool {
        let seconds = date.timeIntervalSince1970
        return seconds >= validSeconds.lowerBound && seconds < validSeconds.upperBound
    }

    /// 2000-01-01T00:00:00Z up to (not including) 10000-01-01T00:00:00Z, in Unix seconds.
    static let validSeconds: Range<Double> = 946_684_800..<253_402_300_800

    /// `2026-11-21 14:05:09`: also SLIP-0013's visual challenge.
    public static func dateTime(_ date: Date) -> String {
        let parts = components(date)
        return "\(parts.date) \(parts.time)"
    }

    /// `2026-11-21T14:05:09+00:00`, as PHP's `gmdate('c')` writes it.
    public static func iso8601(_ date: Date) -> String {
        let parts = components(date)
        return "\(parts.date)T\(parts.time)+00:00"
    }

    /// `2026-11-21T14:05:09Z`: ISO 8601 in UTC, as JavaScript's `Date` reads it everywhere.
    public static func iso8601Z(_ date: Date) -> String {
        let parts = components(date)
        return "\(parts.date)T\(parts.time)Z"
    }

    /// `2026-11-21 14:05 UTC`, for pages.
    public static func display(_ date: Date) -> String {
        let parts = components(date)
        return "\(parts.date) \(parts.time.prefix(5)) UTC"
    }

    private static func components(_ date: Date) -> (date: String, time: String) {
        var seconds = time_t(date.timeIntervalSince1970.rounded(.down))
        var parts = tm()
        gmtime_r(&seconds, &parts)
        func two(_ value: Int32) -> String { value < 10 ? "0\(value)" : "\(value)" }
        // Four digits, as ISO 8601 wants (the year 33 is "0033"); the dates Vestibule keeps are in
        // 2000...9999 (`UTCDate.validYears`), so five never occur.
        let year = String(parts.tm_year + 1900)
        return (String(repeating: "0", count: max(0, 4 - year.count)) + year + "-\(two(parts.tm_mon + 1))-\(two(parts.tm_mday))",
                "\(two(parts.tm_hour)):\(two(parts.tm_min)):\(two(parts.tm_sec))")
    }
}
