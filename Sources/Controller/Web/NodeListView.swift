import Foundation
import WireProtocol

/// The node list with its state filter.
struct NodeListView: Sendable {
    var nodes: [NodeRow]
    var filters: [PageTab]
    var filtered: Bool
    var isAdmin: Bool
    var pages: PageLinks
    var back: String

    init(nodes: Page<NodeInfo>, counts: [NodeState: Int], state: NodeState?, pagination: Pagination, isAdmin: Bool, now: Date = Date()) {
        self.nodes = nodes.items.map { NodeRow($0, canAdminister: isAdmin, now: now) }
        filters =
            [PageTab(label: "all", count: counts.values.reduce(0, +), href: "/nodes", current: state == nil)]
            + NodeState.allCases.map {
                PageTab(label: $0.rawValue, count: counts[$0] ?? 0, href: "/nodes?state=\($0.rawValue)", current: $0 == state)
            }
        filtered = state != nil
        self.isAdmin = isAdmin
        let query = state.map { [("state", $0.rawValue)] } ?? []
        pages = PageLinks.make(base: "/nodes", query: query, pagination: pagination, nextCursor: nodes.nextCursor, dense: false)
        back = "/nodes" + (state.map { "?state=\($0.rawValue)" } ?? "")
    }
}
