import Foundation
import Support

/// Dates on pages: `2026-11-21 14:05 UTC`. Pages show UTC so every reader sees the same time.
public enum DisplayDate {
    public static func format(_ date: Date) -> String { UTCDate.display(date) }
}
