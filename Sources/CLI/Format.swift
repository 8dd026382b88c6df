import Foundation
import WireProtocol

/// How figures read on the command line.
enum Format {
    /// `45s`, `2m05s`, `1h02m`.
    static func duration(seconds: Int) -> String {
        let seconds = max(0, seconds)
        if seconds < 60 { return "\(seconds)s" }
        if seconds < 3600 { return "\(seconds / 60)m" + pad(seconds % 60) + "s" }
        return "\(seconds / 3600)h" + pad(seconds % 3600 / 60) + "m"
    }

    static func duration(milliseconds: Int64?) -> String {
        guard let milliseconds else { return "-" }
        if milliseconds < 1000 { return "\(milliseconds)ms" }
        return duration(seconds: Int(milliseconds / 1000))
    }

    static func percent(_ rate: Double?) -> String {
        guard let rate else { return "-" }
        return String(format: "%.1f%%", rate * 100)
    }

    /// Local time to the minute, e.g. `2026-11-29 10:04`.
    static func time(_ date: Date?) -> String {
        guard let date else { return "-" }
        let style = Date.VerbatimFormatStyle(
            format:
                "\(year: .defaultDigits)-\(month: .twoDigits)-\(day: .twoDigits) \(hour: .twoDigits(clock: .twentyFourHour, hourCycle: .zeroBased)):\(minute: .twoDigits)",
            timeZone: .current,
            calendar: Calendar(identifier: .gregorian)
        )
        return date.formatted(style)
    }

    /// Every state of a case with its name, in the order cases move through them.
    static let states: [(CaseState, String)] = [
        (.queued, "queued"), (.leased, "leased"), (.running, "running"), (.passed, "passed"), (.failed, "failed"),
        (.error, "error"), (.timedOut, "timed out"), (.skipped, "skipped"), (.cancelled, "cancelled"),
    ]

    /// The counts of `states` that are not zero, each with its state's name: `["3 running", "40 passed"]`.
    static func countParts(_ counts: CaseCounts, states: [(CaseState, String)] = states) -> [String] {
        states.compactMap { state, label in counts[state] > 0 ? "\(counts[state]) \(label)" : nil }
    }

    /// Every count that is not zero, in the order cases move through the states: `3 running, 40 passed, 5 failed`.
    static func counts(_ counts: CaseCounts) -> String {
        let parts = countParts(counts)
        return parts.isEmpty ? "no cases" : parts.joined(separator: ", ")
    }

    static func item(_ item: ItemSummary) -> String { "\(item.name)@\(item.version)" }

    private static func pad(_ value: Int) -> String { value < 10 ? "0\(value)" : "\(value)" }
}
