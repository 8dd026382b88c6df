import Foundation
import WireProtocol

/// A node as the pages show it: its state, how busy it is, what it runs, and what an admin may do with it.
struct NodeRow: Sendable {
    /// A state change an admin can make with one button.
    struct Action: Sendable {
        var state: String
        var label: String
        var danger: Bool
    }

    /// One of the node's labels and where it comes from.
    struct Label: Sendable {
        var name: String
        /// `reported by the agent`, `assigned by an admin`, or both.
        var source: String
    }

    /// A case the node runs now.
    struct Running: Sendable {
        var caseID: Int64
        var name: String
        var taskID: Int64
    }

    /// The node as the API gives it: its name, its machine's facts, its slots and state reason show as they are.
    var info: NodeInfo
    var labels: [Label]
    var state: String
    var stateLabel: String
    var busy: Int
    var lastSeen: String
    var lastSeenTime: String
    var enrolled: String
    var running: [Running]
    var actions: [Action]
    /// An admin may revoke the credential of a node that still has one.
    var canRevoke: Bool

    init(_ node: NodeInfo, canAdminister: Bool, now: Date = Date()) {
        info = node
        labels = node.labels.map { label in
            let sources = [
                node.reportedLabels.contains(label) ? "reported by the agent" : nil,
                node.assignedLabels.contains(label) ? "assigned by an admin" : nil,
            ]
            return Label(name: label, source: sources.compactMap { $0 }.joined(separator: " and "))
        }
        state = node.state.rawValue
        stateLabel = node.revoked ? "revoked" : node.state.rawValue
        busy = node.runningCases.count
        lastSeen = WebFormat.ago(node.lastSeenAt, now: now)
        lastSeenTime = WebFormat.time(node.lastSeenAt)
        enrolled = WebFormat.time(node.createdAt)
        running = node.runningCases.map { Running(caseID: $0.caseId, name: $0.name, taskID: $0.taskId) }
        actions = canAdminister ? Self.actions(state: node.state, revoked: node.revoked) : []
        canRevoke = canAdminister && !node.revoked
    }

    /// What an admin may change a node to: drain or disable a working node, enable a stopped one. A revoked
    /// node has no credential left, so nothing applies.
    static func actions(state: NodeState, revoked: Bool) -> [Action] {
        guard !revoked else { return [] }
        let drain = Action(state: NodeState.draining.rawValue, label: "Drain", danger: false)
        let disable = Action(state: NodeState.disabled.rawValue, label: "Disable", danger: true)
        let enable = Action(state: NodeState.online.rawValue, label: "Enable", danger: false)
        switch state {
        case .online: return [drain, disable]
        case .draining: return [enable, disable]
        case .disabled: return [enable]
        case .offline: return [disable]
        }
    }
}
