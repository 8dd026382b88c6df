import Foundation
import WireProtocol

/// A node's page: its facts, what it runs and what is installed on it.
struct NodePageView: Sendable {
    /// A product installed on the node with its tools, or one of those tools.
    struct Installed: Sendable {
        var name: String
        var version: String
        /// Its page in the catalog; `nil` when the catalog does not know it.
        var href: String?
        var path: String
        var state: String
        var source: String
        var tools: [Installed]

        init(_ item: some InstalledOnNode, href: String?, tools: [Installed] = []) {
            name = item.name
            version = item.version
            self.href = href
            path = item.installPath
            state = item.state.rawValue
            source = item.source.rawValue
            self.tools = tools
        }
    }

    var node: NodeRow
    var products: [Installed]
    var back: String
    /// The controls that install and remove products and tools (admins only).
    var environment: EnvironmentView?

    init(_ info: NodeInfo, canAdminister: Bool) {
        node = NodeRow(info, canAdminister: canAdminister)
        products = (info.inventory ?? []).map { product in
            Installed(
                product,
                href: product.productId.map { "/products/\($0)" },
                tools: product.tools.map { Installed($0, href: $0.toolId.map { "/tools/\($0)" }) }
            )
        }
        back = "/nodes/\(info.id)"
    }
}
