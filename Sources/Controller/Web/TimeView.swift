import Foundation

/// A moment as the pages show it: readable text in a `<time>` element that carries it exactly (the `time` partial).
struct TimeView: Sendable {
    var text: String
    var iso: String

    init(_ date: Date) {
        text = WebFormat.time(date)
        iso = WebFormat.timestamp(date)
    }
}
