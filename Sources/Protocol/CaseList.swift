import Foundation

/// The plain-text case list: one case name per line, surrounding spaces trimmed, blank lines and lines
/// starting with `#` skipped. Submissions as text, the web form's upload and the `testfleet` CLI read it.
public enum CaseList {
    public static func parse(_ text: String) -> [String] {
        text.split(omittingEmptySubsequences: true, whereSeparator: \.isNewline)
            .map { $0.trimmingCharacters(in: .whitespaces) }
            .filter { !$0.isEmpty && !$0.hasPrefix("#") }
    }
}
