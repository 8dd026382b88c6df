import Foundation

/// A case handed to an agent.
public struct Lease: Codable, Sendable, Equatable {
    public var leaseId: UUID
    /// The fencing token: heartbeats, logs and the result must carry it.
    public var token: Int64
    public var expiresAt: Date
    public var heartbeatIntervalS: Int
    public var caseId: Int64
    public var caseName: String
    public var taskId: Int64
    public var attempt: Int
    /// The tool's run command template as the catalog has it: the agent substitutes every placeholder once,
    /// shell-quoted, so that a value that looks like a placeholder (a case named `{work_dir}`) stays as it is.
    public var commandTemplate: String
    public var product: LeasedItem
    public var tool: LeasedItem
    public var timeoutS: Int

    public init(
        leaseId: UUID,
        token: Int64,
        expiresAt: Date,
        heartbeatIntervalS: Int,
        caseId: Int64,
        caseName: String,
        taskId: Int64,
        attempt: Int,
        commandTemplate: String,
        product: LeasedItem,
        tool: LeasedItem,
        timeoutS: Int
    ) {
        self.leaseId = leaseId
        self.token = token
        self.expiresAt = expiresAt
        self.heartbeatIntervalS = heartbeatIntervalS
        self.caseId = caseId
        self.caseName = caseName
        self.taskId = taskId
        self.attempt = attempt
        self.commandTemplate = commandTemplate
        self.product = product
        self.tool = tool
        self.timeoutS = timeoutS
    }
}
