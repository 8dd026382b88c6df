/// A link among a few that switch what a page shows (a filter, a chart's measure); one of them is current.
struct PageTab: Sendable {
    var label: String
    /// How many items it shows, when that is known.
    var count: Int?
    var href: String
    var current: Bool

    init(label: String, count: Int? = nil, href: String, current: Bool) {
        self.label = label
        self.count = count
        self.href = href
        self.current = current
    }
}
