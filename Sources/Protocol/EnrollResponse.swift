import Foundation

public struct EnrollResponse: Codable, Sendable {
    public var nodeId: Int64
    public var name: String
    /// The node's own credential: shown once, stored only as a hash on the controller.
    public var credential: String

    public init(nodeId: Int64, name: String, credential: String) {
        self.nodeId = nodeId
        self.name = name
        self.credential = credential
    }
}
