/// Product versions in natural order: numeric parts compared as numbers, words in alphabetical order, and a
/// pre-release before its release — `1.9 < 1.10 < 2.0-rc1 < 2.0 < 2.0.1`. Build metadata after `+` is ignored.
enum VersionOrder {
    /// A run of digits (without leading zeros) or of letters (lowercased); everything else separates them.
    enum Part: Equatable {
        case number(Substring)
        case word(String)
    }

    static func parts(_ version: String) -> [Part] {
        var parts: [Part] = []
        let text = version.prefix { $0 != "+" }
        var index = text.startIndex
        while index < text.endIndex {
            let character = text[index]
            if character.isASCII && character.isNumber {
                let end = text[index...].firstIndex { !($0.isASCII && $0.isNumber) } ?? text.endIndex
                let digits = text[index..<end].drop { $0 == "0" }
                parts.append(.number(digits))
                index = end
            } else if character.isLetter {
                let end = text[index...].firstIndex { !$0.isLetter } ?? text.endIndex
                parts.append(.word(text[index..<end].lowercased()))
                index = end
            } else {
                index = text.index(after: index)
            }
        }
        return parts
    }

    /// Whether `a` comes before `b`; versions that differ only in leading zeros or separators are equal.
    static func precedes(_ a: String, _ b: String) -> Bool { compare(parts(a), parts(b)) < 0 }

    /// Negative, zero or positive as `a` comes before, with or after `b`.
    static func compare(_ a: [Part], _ b: [Part]) -> Int {
        for index in 0..<max(a.count, b.count) {
            switch (index < a.count ? a[index] : nil, index < b.count ? b[index] : nil) {
            case (.number(let x)?, .number(let y)?):
                if x.count != y.count { return x.count < y.count ? -1 : 1 }
                if x != y { return x < y ? -1 : 1 }
            case (.word(let x)?, .word(let y)?):
                if x != y { return x < y ? -1 : 1 }
            // A number goes after a word: 2.0.1 after 2.0-rc1.
            case (.number?, .word?): return 1
            case (.word?, .number?): return -1
            // Where one version ends, a word that follows in the other marks a pre-release (before), a number a
            // later release (after).
            case (nil, .word?), (.number?, nil): return 1
            case (nil, .number?), (.word?, nil): return -1
            case (nil, nil): return 0
            }
        }
        return 0
    }

    /// The highest of `candidates` that comes before `version`; among equals, the greatest text.
    static func closestLower(than version: String, in candidates: [String]) -> String? {
        let target = parts(version)
        return candidates.map { ($0, parts($0)) }
            .filter { compare($0.1, target) < 0 }
            .max { compare($0.1, $1.1) < 0 || (compare($0.1, $1.1) == 0 && $0.0 < $1.0) }?
            .0
    }
}
