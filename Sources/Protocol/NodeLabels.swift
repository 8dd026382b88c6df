import Foundation

/// Labels name what a node offers (`gpu`, `lab-b`, `kind:physical`); a task may require some, and only nodes that
/// have every one of them run its cases. The agent adds `os:`, `arch:` and `kind:` labels of its own.
public enum NodeLabels {
    public static let maxCount = 64
    public static let maxLength = 100

    /// Why `labels` cannot be used, naming `field`; `nil` when they can. A label is 1 to 100 characters without
    /// white space, control characters or commas (forms separate labels by commas or spaces).
    public static func problem(_ labels: [String], field: String) -> String? {
        if labels.count > maxCount { return "\(field): at most \(maxCount) labels" }
        for (index, label) in labels.enumerated() {
            if label.isEmpty || label.count > maxLength {
                return "\(field)[\(index)]: a label is 1 to \(maxLength) characters"
            }
            let bad = label.unicodeScalars.first {
                CharacterSet.whitespacesAndNewlines.contains($0) || CharacterSet.controlCharacters.contains($0)
                    || $0 == ","
            }
            if let bad {
                let shown = bad == "," ? "a comma" : String(format: "U+%04X", bad.value)
                return "\(field)[\(index)]: a label may not hold white space, control characters or commas (\(shown))"
            }
        }
        return nil
    }

    /// Sorted, each once.
    public static func normalized(_ labels: [String]) -> [String] {
        Array(Set(labels)).sorted()
    }

    /// Labels typed into a form: separated by commas or white space.
    public static func parse(_ text: String) -> [String] {
        text.split(whereSeparator: { $0 == "," || $0.isWhitespace }).map(String.init)
    }
}
