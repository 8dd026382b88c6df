import Foundation

/// `key: value` lines with the values aligned.
struct Details {
    private var pairs: [(String, String)] = []

    mutating func add(_ key: String, _ value: String?) {
        if let value { pairs.append((key, value)) }
    }

    func render() -> String {
        let width = (pairs.map(\.0.count).max() ?? 0) + 1
        return pairs.map { key, value in (key + ":").padding(toLength: width + 1, withPad: " ", startingAt: 0) + value }
            .joined(separator: "\n")
    }
}
