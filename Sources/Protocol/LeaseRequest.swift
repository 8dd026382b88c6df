import Foundation

/// Body of `POST /api/v1/agent/lease`.
public struct LeaseRequest: Codable, Sendable {
    /// How long the controller may hold the request when there is nothing to run (seconds, ≤ 30 by default).
    public var waitS: Double?
    /// Free slots on the agent, for the controller's records.
    public var freeSlots: Int?

    public init(waitS: Double? = nil, freeSlots: Int? = nil) {
        self.waitS = waitS
        self.freeSlots = freeSlots
    }
}
