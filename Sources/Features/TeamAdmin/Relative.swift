import Foundation
import Support

/// Times on the admin pages: UTC, with a relative hint (`2026-11-21 14:05 UTC (3 hours ago)`).
enum Relative {
    static func display(_ date: Date, now: Date) -> String {
        "\(UTCDate.display(date)) (\(hint(date, now: now)))"
    }

    static func hint(_ date: Date, now: Date) -> String {
        let seconds = now.timeIntervalSince(date)
        let future = seconds < 0
        let span = abs(seconds)
        let words: String
        switch span {
        case ..<60: return future ? "in a moment" : "just now"
        case ..<3600: words = plural(Int(span / 60), "minute")
        case ..<86400: words = plural(Int(span / 3600), "hour")
        default: words = plural(Int(span / 86400), "day")
        }
        return future ? "in \(words)" : "\(words) ago"
    }

    static func plural(_ count: Int, _ unit: String) -> String { "\(count) \(unit)\(count == 1 ? "" : "s")" }
}
