import Foundation

/// One product installed on a node, with its tools.
public struct InventoryProduct: Codable, Sendable, Equatable {
    public var name: String
    public var version: String
    public var path: String
    public var tools: [InventoryTool]
    /// Installed by the agent for an install job, rather than listed in its config file.
    public var managed: Bool?

    public init(name: String, version: String, path: String, tools: [InventoryTool], managed: Bool? = nil) {
        self.name = name
        self.version = version
        self.path = path
        self.tools = tools
        self.managed = managed
    }
}
