import Foundation
import WireProtocol

/// The fields of a task that every version of the controller answers with, so that the benchmark can measure an
/// older one too (`Benchmarks/run --binaries`).
struct TaskProgress: Decodable, Sendable {
    var id: Int64
    var state: TaskState
    var counts: CaseCounts
    var createdAt: Date
    var finishedAt: Date?
}
