import Foundation
import WireProtocol

/// A node's page: its facts, what it runs and what is installed on it.
struct NodePageView: Sendable {
    /// A product installed on the node, with its tools.
    struct InstalledProduct: Sendable {
        var name: String
        var version: String
        var productID: Int64?
        var path: String
        var state: String
        var source: String
        var tools: [InstalledTool]
    }

    /// A tool installed under a product on the node.
    struct InstalledTool: Sendable {
        var name: String
        var version: String
        var toolID: Int64?
        var path: String
        var state: String
        var source: String
    }

    var node: NodeRow
    var products: [InstalledProduct]
    var back: String
    /// The controls that install and remove products and tools (admins only).
    var environment: EnvironmentView?

    init(_ info: NodeInfo, canAdminister: Bool) {
        node = NodeRow(info, canAdminister: canAdminister)
        products = (info.inventory ?? []).map { product in
            InstalledProduct(
                name: product.name,
                version: product.version,
                productID: product.productId,
                path: product.installPath,
                state: product.state.rawValue,
                source: product.source.rawValue,
                tools: product.tools.map {
                    InstalledTool(
                        name: $0.name,
                        version: $0.version,
                        toolID: $0.toolId,
                        path: $0.installPath,
                        state: $0.state.rawValue,
                        source: $0.source.rawValue
                    )
                }
            )
        }
        back = "/nodes/\(info.id)"
    }
}
