import Foundation

/// The answer to `POST /api/v1/tokens`: the only time the secret is shown.
public struct CreatedToken: Codable, Sendable {
    public var id: Int64
    public var name: String
    public var token: String

    public init(id: Int64, name: String, token: String) {
        self.id = id
        self.name = name
        self.token = token
    }
}
