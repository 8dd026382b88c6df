import Foundation
import WireProtocol

/// A case in a task's case table.
struct CaseRow: Sendable {
    var id: Int64
    var ordinal: Int
    var name: String
    var state: String
    var stateLabel: String
    var node: NodeSummary?
    var duration: String
    var attempts: Int
    var message: String?

    init(_ info: CaseInfo) {
        id = info.id
        ordinal = info.ordinal
        name = info.name
        state = info.state.rawValue
        stateLabel = WebFormat.state(info.state.rawValue)
        node = info.node
        duration = WebFormat.duration(info.durationMs)
        attempts = info.attempts
        message = info.message.flatMap { $0.isEmpty ? nil : $0 }
    }
}
