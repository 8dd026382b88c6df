import Foundation

/// Body of `POST /api/v1/tokens`.
public struct TokenInput: Codable, Sendable {
    public var name: String?

    public init(name: String? = nil) { self.name = name }
}
