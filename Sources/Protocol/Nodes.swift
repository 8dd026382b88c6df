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

public struct RunningCase: Codable, Sendable, Equatable {
    public var caseId: Int64
    public var name: String
    public var taskId: Int64
    public var state: CaseState
    public var leasedAt: Date?

    public init(caseId: Int64, name: String, taskId: Int64, state: CaseState, leasedAt: Date?) {
        self.caseId = caseId
        self.name = name
        self.taskId = taskId
        self.state = state
        self.leasedAt = leasedAt
    }
}

/// Where an installed item came from.
public enum InstallSource: String, Codable, Sendable {
    case agentConfig = "agent-config"
    case managed
}

public enum InstallState: String, Codable, Sendable {
    case installing, installed, failed, removing
}

public struct NodeTool: Codable, Sendable, Equatable {
    public var toolId: Int64?
    public var name: String
    public var version: String
    public var installPath: String
    public var state: InstallState
    public var source: InstallSource

    public init(
        toolId: Int64?,
        name: String,
        version: String,
        installPath: String,
        state: InstallState,
        source: InstallSource
    ) {
        self.toolId = toolId
        self.name = name
        self.version = version
        self.installPath = installPath
        self.state = state
        self.source = source
    }
}

public struct NodeProduct: Codable, Sendable, Equatable {
    public var productId: Int64?
    public var name: String
    public var version: String
    public var installPath: String
    public var state: InstallState
    public var source: InstallSource
    public var tools: [NodeTool]

    public init(
        productId: Int64?,
        name: String,
        version: String,
        installPath: String,
        state: InstallState,
        source: InstallSource,
        tools: [NodeTool]
    ) {
        self.productId = productId
        self.name = name
        self.version = version
        self.installPath = installPath
        self.state = state
        self.source = source
        self.tools = tools
    }
}

/// Body of `PATCH /api/v1/nodes/{id}`.
public struct NodePatch: Codable, Sendable {
    public var state: NodeState?
    public var slots: Int?
    /// The labels an admin assigns; the node keeps those its agent reports besides.
    public var labels: [String]?

    public init(state: NodeState? = nil, slots: Int? = nil, labels: [String]? = nil) {
        self.state = state
        self.slots = slots
        self.labels = labels
    }
}
