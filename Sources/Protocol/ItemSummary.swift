import Foundation

/// A reference to a catalog item inside another object.
public struct ItemSummary: Codable, Sendable, Equatable {
    public var id: Int64
    public var name: String
    public var version: String

    public init(id: Int64, name: String, version: String) {
        self.id = id
        self.name = name
        self.version = version
    }
}
