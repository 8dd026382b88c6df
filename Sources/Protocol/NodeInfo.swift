import Foundation

public struct NodeInfo: Codable, Sendable {
    public var id: Int64
    public var name: String
    public var hostname: String
    public var ip: String
    public var os: String
    public var arch: String
    public var agentVersion: String
    public var slots: Int
    /// Every label of the node: those its agent reports and those an admin assigned.
    public var labels: [String]
    /// The labels its agent reports: from its config file, and `os:`, `arch:` and `kind:` it found out.
    public var reportedLabels: [String]
    /// The labels an admin assigned (`PATCH /api/v1/nodes/{id}`).
    public var assignedLabels: [String]
    public var state: NodeState
    /// Why the node is in its state, when the controller put it there (e.g. quarantine after failures).
    public var stateReason: String?
    public var lastSeenAt: Date?
    public var revoked: Bool
    public var runningCases: [RunningCase]
    public var inventory: [NodeProduct]?
    public var createdAt: Date

    public init(
        id: Int64,
        name: String,
        hostname: String,
        ip: String,
        os: String,
        arch: String,
        agentVersion: String,
        slots: Int,
        labels: [String],
        state: NodeState,
        stateReason: String?,
        lastSeenAt: Date?,
        revoked: Bool,
        runningCases: [RunningCase],
        inventory: [NodeProduct]?,
        createdAt: Date,
        reportedLabels: [String] = [],
        assignedLabels: [String] = []
    ) {
        self.id = id
        self.name = name
        self.hostname = hostname
        self.ip = ip
        self.os = os
        self.arch = arch
        self.agentVersion = agentVersion
        self.slots = slots
        self.labels = labels
        self.reportedLabels = reportedLabels
        self.assignedLabels = assignedLabels
        self.state = state
        self.stateReason = stateReason
        self.lastSeenAt = lastSeenAt
        self.revoked = revoked
        self.runningCases = runningCases
        self.inventory = inventory
        self.createdAt = createdAt
    }
}
