import Foundation

/// Body of `POST /api/v1/nodes/{id}/environment`.
public struct EnvironmentChange: Codable, Sendable {
    public enum Action: String, Codable, Sendable {
        case install, uninstall
    }

    public var productId: Int64
    /// Tools of the product to install or remove; empty with `uninstall` removes the product and its tools.
    public var toolIds: [Int64]
    public var action: Action

    public init(productId: Int64, toolIds: [Int64], action: Action) {
        self.productId = productId
        self.toolIds = toolIds
        self.action = action
    }
}
