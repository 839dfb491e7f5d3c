import Foundation

/// Dates written in UTC, without a formatter or a time-zone lookup.
public enum UTCDate {
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
        return ("\(parts.tm_year + 1900)-\(two(parts.tm_mon + 1))-\(two(parts.tm_mday))",
                "\(two(parts.tm_hour)):\(two(parts.tm_min)):\(two(parts.tm_sec))")
    }
}
