import Foundation

/// The controller's answer to an inventory: what it matched against the catalog.
public struct InventoryResponse: Codable, Sendable {
    /// Entries the catalog does not know (`name version` or `product/tool`); they stay recorded but match
    /// no task until the catalog has them.
    public var unknown: [String]

    public init(unknown: [String]) { self.unknown = unknown }
}
