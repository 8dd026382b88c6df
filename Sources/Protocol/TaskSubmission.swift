import Foundation

/// Body of `POST /api/v1/tasks` (JSON form).
public struct TaskSubmission: Codable, Sendable {
    public var name: String?
    public var product: ItemReference
    public var tool: ItemReference
    public var cases: [String]
    public var priority: Int?
    public var caseTimeoutS: Int?
    public var maxInfraRetries: Int?
    /// Labels a node must all have to run the task's cases.
    public var labels: [String]?

    public init(
        name: String? = nil,
        product: ItemReference,
        tool: ItemReference,
        cases: [String],
        priority: Int? = nil,
        caseTimeoutS: Int? = nil,
        maxInfraRetries: Int? = nil,
        labels: [String]? = nil
    ) {
        self.name = name
        self.product = product
        self.tool = tool
        self.cases = cases
        self.priority = priority
        self.caseTimeoutS = caseTimeoutS
        self.maxInfraRetries = maxInfraRetries
        self.labels = labels
    }
}
