import ArgumentParser
import ControllerClient
import Foundation
import WireProtocol

extension TaskCommand {
    struct Rerun: AsyncParsableCommand {
        static let configuration = CommandConfiguration(
            abstract: "Run a finished task's failed cases (failed, error, timed out or cancelled) again, as a new task.",
            discussion: "With --wait, follow the new task and exit 0 only when no case failed."
        )

        @OptionGroup var connection: ConnectionOptions
        @Argument(help: "The finished task's id.") var id: Int64
        @Flag(help: "Run all its cases again, not only the failed ones.") var all = false
        @Option(help: "The new task's name (default: \"rerun of\" and the original's).") var name: String?
        @Flag(help: "Follow the new task until it ends and exit with its result.") var wait = false
        @Option(
            help: ArgumentHelp("Write the JUnit XML report here when it ends (- for standard output; implies --wait).", valueName: "path")
        )
        var junit: String?

        func run() async throws {
            let status = try await connection.withClient { client in
                let task = try await client.call(
                    .POST,
                    "/api/v1/tasks/\(id)/rerun",
                    body: RerunRequest(cases: all ? .all : .failed, name: name),
                    as: TaskInfo.self
                )
                Console.out("task \(task.id) submitted: \(task.counts.total) cases of task \(id) again; \(client.baseURL)/tasks/\(task.id)")
                guard wait || junit != nil else { return ExitStatus.success }
                let settled = try await TaskWatcher(client: client).wait(taskID: task.id)
                return try await TaskResults(client: client).finish(settled, junit: junit)
            }
            if status != .success { throw ExitCode(status.rawValue) }
        }
    }

    struct Delete: AsyncParsableCommand {
        static let configuration = CommandConfiguration(
            abstract: "Delete a finished task with its cases, logs and report; its pass rate stays in the product's history."
        )

        @OptionGroup var connection: ConnectionOptions
        @Argument(help: "The task's id.") var id: Int64

        func run() async throws {
            try await connection.withClient { client in try await client.perform(.DELETE, "/api/v1/tasks/\(id)") }
            Console.out("task \(id) deleted")
        }
    }
}
