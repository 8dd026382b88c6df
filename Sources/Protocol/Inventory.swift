import Foundation

/// Body of `POST /api/v1/agent/inventory`.
public struct Inventory: Codable, Sendable, Equatable {
    public var facts: NodeFacts?
    public var products: [InventoryProduct]
    /// The node's labels as its agent knows them: from its config file and found out (`os:`, `arch:`, `kind:`);
    /// absent from older agents, which leaves the reported labels as they were.
    public var labels: [String]?

    public init(facts: NodeFacts? = nil, products: [InventoryProduct], labels: [String]? = nil) {
        self.facts = facts
        self.products = products
        self.labels = labels
    }
}
