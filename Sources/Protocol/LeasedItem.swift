import Foundation

/// A product or tool as a lease names it: what it is and where it is installed on the node.
public struct LeasedItem: Codable, Sendable, Equatable {
    public var name: String
    public var version: String
    public var path: String

    public init(name: String, version: String, path: String) {
        self.name = name
        self.version = version
        self.path = path
    }
}
