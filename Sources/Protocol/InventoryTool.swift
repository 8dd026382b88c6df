import Foundation

/// One tool installed under a product on a node.
public struct InventoryTool: Codable, Sendable, Equatable {
    public var name: String
    public var version: String
    public var path: String
    /// Installed by the agent for an install job, rather than listed in its config file.
    public var managed: Bool?

    public init(name: String, version: String, path: String, managed: Bool? = nil) {
        self.name = name
        self.version = version
        self.path = path
        self.managed = managed
    }
}
