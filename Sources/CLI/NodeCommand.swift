import ArgumentParser
import ControllerClient
import Foundation
import WireProtocol

/// `testfleet node`: the fleet.
struct NodeCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "node",
        abstract: "List and show nodes; drain, enable or disable one.",
        subcommands: [List.self, Show.self, Drain.self, Enable.self, Disable.self]
    )

    struct List: AsyncParsableCommand {
        static let configuration = CommandConfiguration(abstract: "List nodes.")

        @OptionGroup var connection: ConnectionOptions
        @OptionGroup var output: OutputOptions
        @Option(help: "Only nodes in this state: online, offline, draining or disabled.") var state: NodeState?
        @Option(help: "At most this many.") var limit = 500

        func run() async throws {
            let nodes = try await connection.withClient { client in
                try await client.list("/api/v1/nodes", query: state.map { ["state": $0.rawValue] } ?? [:], limit: limit, as: NodeInfo.self)
            }
            try output.emit(nodes) { nodes in
                var table = Table("ID", "NAME", "STATE", "BUSY", "LAST SEEN", "OS", "ARCH", "AGENT")
                for node in nodes {
                    table.add(
                        String(node.id),
                        node.name,
                        node.state.rawValue,
                        "\(node.runningCases.count)/\(node.slots)",
                        Format.time(node.lastSeenAt),
                        node.os,
                        node.arch,
                        node.agentVersion
                    )
                }
                return table.render()
            }
        }
    }

    struct Show: AsyncParsableCommand {
        static let configuration = CommandConfiguration(abstract: "Show a node: facts, running cases and what is installed.")

        @OptionGroup var connection: ConnectionOptions
        @OptionGroup var output: OutputOptions
        @Argument(help: "The node's id.") var id: Int64

        func run() async throws {
            let node = try await connection.withClient { client in
                try await client.call(.GET, "/api/v1/nodes/\(id)", as: NodeInfo.self)
            }
            try output.emit(node, NodeCommand.render)
        }
    }

    struct Drain: AsyncParsableCommand {
        static let configuration = CommandConfiguration(abstract: "Let a node finish what it runs and lease nothing new.")

        @OptionGroup var connection: ConnectionOptions
        @Argument(help: "The node's id.") var id: Int64

        func run() async throws { try await NodeCommand.set(id, to: .draining, connection) }
    }

    struct Enable: AsyncParsableCommand {
        static let configuration = CommandConfiguration(abstract: "Put a drained or disabled node back to work.")

        @OptionGroup var connection: ConnectionOptions
        @Argument(help: "The node's id.") var id: Int64

        func run() async throws { try await NodeCommand.set(id, to: .online, connection) }
    }

    struct Disable: AsyncParsableCommand {
        static let configuration = CommandConfiguration(abstract: "Take a node out of service; it leases nothing.")

        @OptionGroup var connection: ConnectionOptions
        @Argument(help: "The node's id.") var id: Int64

        func run() async throws { try await NodeCommand.set(id, to: .disabled, connection) }
    }

    static func set(_ id: Int64, to state: NodeState, _ connection: ConnectionOptions) async throws {
        let node = try await connection.withClient { client in
            try await client.call(.PATCH, "/api/v1/nodes/\(id)", body: NodePatch(state: state), as: NodeInfo.self)
        }
        Console.out("node \(node.id) \(node.name) is \(node.state.rawValue)")
    }

    static func render(_ node: NodeInfo) -> String {
        var details = Details()
        details.add("node", "\(node.id) \(node.name)")
        details.add("state", node.state.rawValue + (node.stateReason.map { " (\($0))" } ?? ""))
        details.add("host", "\(node.hostname) \(node.ip)")
        details.add("system", "\(node.os) \(node.arch), agent \(node.agentVersion)")
        details.add("slots", "\(node.runningCases.count) of \(node.slots) busy")
        details.add("labels", node.labels.isEmpty ? nil : node.labels.joined(separator: ", "))
        details.add("last seen", Format.time(node.lastSeenAt))
        details.add("revoked", node.revoked ? "yes: the node's credential no longer works" : nil)
        var text = details.render()
        for item in node.runningCases {
            text += "\nrunning: case \(item.caseId) \(item.name) of task \(item.taskId) (\(item.state.rawValue))"
        }
        for product in node.inventory ?? [] {
            text += "\ninstalled: \(product.name)@\(product.version) at \(product.installPath) (\(product.state.rawValue))"
            for tool in product.tools {
                text += "\n  tool \(tool.name)@\(tool.version) at \(tool.installPath) (\(tool.state.rawValue))"
            }
        }
        return text
    }
}

extension NodeState: ExpressibleByArgument {}
