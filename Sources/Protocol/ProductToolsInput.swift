import Foundation

/// Body of `PUT /api/v1/products/{id}/tools`.
public struct ProductToolsInput: Codable, Sendable {
    public var toolIds: [Int64]

    public init(toolIds: [Int64]) { self.toolIds = toolIds }
}
