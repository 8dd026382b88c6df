import Foundation
import WireProtocol

/// How the web pages write times, durations and rates.
enum WebFormat {
    /// A moment as `2025-03-01 14:05:09 UTC`; a dash when there is none.
    static func time(_ date: Date?) -> String {
        guard let date else { return "—" }
        return date.formatted(Self.timeStyle) + " UTC"
    }

    private static let timeStyle = Date.VerbatimFormatStyle(
        format:
            "\(year: .defaultDigits)-\(month: .twoDigits)-\(day: .twoDigits) \(hour: .twoDigits(clock: .twentyFourHour, hourCycle: .zeroBased)):\(minute: .twoDigits):\(second: .twoDigits)",
        timeZone: TimeZone(identifier: "UTC")!,
        calendar: Calendar(identifier: .gregorian)
    )

    /// The machine-readable form for `<time datetime="…">`.
    static func timestamp(_ date: Date?) -> String {
        date.map(WireJSON.formatTimestamp) ?? ""
    }

    /// How long ago, coarsely: `12 s ago`, `5 min ago`, `3 h ago`, `2 d ago`; `never` when there is no date.
    static func ago(_ date: Date?, now: Date = Date()) -> String {
        guard let date else { return "never" }
        let seconds = max(0, Int(now.timeIntervalSince(date)))
        if seconds < 60 { return "\(seconds) s ago" }
        if seconds < 3600 { return "\(seconds / 60) min ago" }
        if seconds < 86400 { return "\(seconds / 3600) h ago" }
        return "\(seconds / 86400) d ago"
    }

    /// Milliseconds as a short human duration (the report's wording).
    static func duration(_ ms: Int64?) -> String {
        HTMLReportRenderer.duration(ms)
    }

    /// Seconds left, as `about 3 min 20 s`.
    static func eta(_ seconds: Int?) -> String? {
        seconds.map { "about " + duration(Int64($0) * 1000) }
    }

    /// A fraction as a percentage with one decimal: `97.5 %`; a dash when there is none.
    static func percent(_ fraction: Double?) -> String {
        fraction.map { String(format: "%.1f %%", $0 * 100) } ?? "—"
    }

    /// A byte count as `512 B`, `3.2 KiB`, `1.5 MiB`, `2.0 GiB`.
    static func bytes(_ count: Int64) -> String {
        if count < 1024 { return "\(count) B" }
        let units = ["KiB", "MiB", "GiB", "TiB"]
        var value = Double(count) / 1024
        var unit = 0
        while value >= 1024, unit < units.count - 1 {
            value /= 1024
            unit += 1
        }
        return String(format: "%.1f %@", value, units[unit])
    }

    /// A case or task state as the page shows it (`timed_out` → `timed out`).
    static func state(_ raw: String) -> String {
        raw.replacingOccurrences(of: "_", with: " ")
    }
}
