import Foundation
import WireProtocol

/// What is installed on a node as an admin changes it: per product, the product's linked tools as checkboxes
/// (checked when installed), products that can be installed, and the install jobs with their states.
struct EnvironmentView: Sendable {
    /// A product on the node with every tool linked to it in the catalog.
    struct Product: Sendable {
        var productID: Int64
        var name: String
        var version: String
        var state: String
        var fromConfig: Bool
        var busy: Bool
        var tools: [Tool]
    }

    /// A checkbox: a tool linked to the product.
    struct Tool: Sendable {
        var toolID: Int64
        var label: String
        var checked: Bool
        var state: String
        /// Listed in the agent's config file, or being changed: not the admin's to change here.
        var locked: Bool
    }

    /// A product of the catalog not on the node.
    struct Option: Sendable {
        var id: Int64
        var label: String
    }

    /// An install job in the list.
    struct Job: Sendable {
        var id: Int64
        var action: String
        var what: String
        var state: String
        var message: String?
        var created: String
    }

    var nodeID: Int64
    var products: [Product]
    var options: [Option]
    var jobs: [Job]
    var hasOptions: Bool

    init(nodeID: Int64, installed: [NodeProduct], linked: [Int64: [WireProtocol.Tool]], catalog: [WireProtocol.Product], jobs: [InstallJob]) {
        self.nodeID = nodeID
        let busyStates: Set<InstallState> = [.installing, .removing]
        products = installed.compactMap { product in
            guard let productID = product.productId else { return nil }
            let states = Dictionary(product.tools.compactMap { tool in tool.toolId.map { ($0, tool) } }) { first, _ in first }
            let busy = busyStates.contains(product.state) || product.tools.contains { busyStates.contains($0.state) }
            return Product(
                productID: productID,
                name: product.name,
                version: product.version,
                state: product.state.rawValue,
                fromConfig: product.source == .agentConfig,
                busy: busy,
                tools: (linked[productID] ?? []).map { tool in
                    let current = states[tool.id]
                    return Tool(
                        toolID: tool.id,
                        label: "\(tool.name) \(tool.version)",
                        checked: current?.state == .installed,
                        state: current?.state.rawValue ?? "not installed",
                        locked: busy || current?.source == .agentConfig
                    )
                }
            )
        }
        let present = Set(installed.compactMap(\.productId))
        options = catalog.filter { !present.contains($0.id) }.map { Option(id: $0.id, label: "\($0.name) \($0.version)") }
        hasOptions = !options.isEmpty
        self.jobs = jobs.map { job in
            Job(
                id: job.id,
                action: job.action.rawValue,
                what: ([job.product.name + " " + job.product.version] + job.tools.map { "\($0.name) \($0.version)" }).joined(separator: ", "),
                state: job.state.rawValue,
                message: job.message,
                created: WebFormat.time(job.createdAt)
            )
        }
    }
}
