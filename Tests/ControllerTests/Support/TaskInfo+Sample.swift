import Foundation
import WireProtocol

extension TaskInfo {
    /// A queued task of product `p 1` with tool `t 2`, for decisions made from a task's figures.
    static func sample(labels: [String] = []) -> TaskInfo {
        TaskInfo(
            id: 1,
            name: "t",
            state: .queued,
            product: .init(id: 1, name: "p", version: "1"),
            tool: .init(id: 2, name: "t", version: "2"),
            submittedBy: "u",
            priority: 0,
            caseTimeoutS: 60,
            maxInfraRetries: 2,
            counts: CaseCounts(),
            createdAt: Date(),
            startedAt: nil,
            finishedAt: nil,
            labels: labels
        )
    }
}
