import Foundation

/// The part of a result that asks for the node's next assignment.
public struct NextRequest: Codable, Sendable, Equatable {
    /// How long the controller may wait for work before it answers without one (seconds).
    public var waitS: Double?

    public init(waitS: Double? = nil) { self.waitS = waitS }
}
