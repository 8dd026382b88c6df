import ArgumentParser
import ControllerClient
import Foundation
import WireProtocol

/// `testfleet case`: one case of a task.
struct CaseCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "case",
        abstract: "Show or cancel one case of a task.",
        subcommands: [Show.self, Cancel.self]
    )

    struct Show: AsyncParsableCommand {
        static let configuration = CommandConfiguration(abstract: "Show a case and its attempts.")

        @OptionGroup var connection: ConnectionOptions
        @OptionGroup var output: OutputOptions
        @Argument(help: "The case's id.") var id: Int64

        func run() async throws {
            let detail = try await connection.withClient { client in
                try await client.call(.GET, "/api/v1/cases/\(id)", as: CaseDetail.self)
            }
            try output.emit(detail, CaseCommand.render)
        }
    }

    struct Cancel: AsyncParsableCommand {
        static let configuration = CommandConfiguration(
            abstract: "Cancel a case: a queued one ends at once, a running one is stopped on its node; the task goes on."
        )

        @OptionGroup var connection: ConnectionOptions
        @Argument(help: "The case's id.") var id: Int64

        func run() async throws {
            let detail = try await connection.withClient { client in
                try await client.call(.POST, "/api/v1/cases/\(id)/cancel", as: CaseDetail.self)
            }
            let info = detail.case
            Console.out(
                info.state == .cancelled
                    ? "case \(info.id) \(info.name) cancelled"
                    : "case \(info.id) \(info.name) is \(info.state.rawValue): its node is stopping it"
            )
        }
    }

    static func render(_ detail: CaseDetail) -> String {
        let info = detail.case
        var details = Details()
        details.add("case", "\(info.id) \(info.name)")
        details.add("task", "\(detail.task.id) \(detail.task.name)")
        details.add("state", info.state.rawValue)
        details.add("node", info.node?.name)
        details.add("attempts", String(info.attempts))
        details.add("exit code", info.exitCode.map(String.init))
        details.add("message", info.message)
        for run in detail.runs {
            details.add(
                "attempt \(run.attempt)",
                "\(run.node.name): \(run.outcome?.rawValue ?? "under way")" + (run.message.map { " (\($0))" } ?? "")
            )
        }
        return details.render()
    }
}
