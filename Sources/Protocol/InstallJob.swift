import Foundation

/// An install job as the API shows it.
public struct InstallJob: Codable, Sendable {
    public var id: Int64
    public var node: NodeSummary
    public var action: EnvironmentChange.Action
    public var product: ItemSummary
    public var tools: [ItemSummary]
    public var state: InstallJobState
    public var message: String?
    public var log: String?
    public var createdAt: Date
    public var startedAt: Date?
    public var finishedAt: Date?

    public init(
        id: Int64,
        node: NodeSummary,
        action: EnvironmentChange.Action,
        product: ItemSummary,
        tools: [ItemSummary],
        state: InstallJobState,
        message: String?,
        log: String?,
        createdAt: Date,
        startedAt: Date?,
        finishedAt: Date?
    ) {
        self.id = id
        self.node = node
        self.action = action
        self.product = product
        self.tools = tools
        self.state = state
        self.message = message
        self.log = log
        self.createdAt = createdAt
        self.startedAt = startedAt
        self.finishedAt = finishedAt
    }
}
