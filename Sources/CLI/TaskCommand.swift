import ArgumentParser
import ControllerClient
import Foundation
import WireProtocol

/// `testfleet task`: submit, list, show, cancel, wait for, rerun and delete tasks.
struct TaskCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "task",
        abstract: "Submit, list, show, cancel, wait for, rerun and delete tasks.",
        subcommands: [TaskSubmitCommand.self, List.self, Show.self, Cancel.self, Wait.self, Rerun.self, Delete.self]
    )

    struct List: AsyncParsableCommand {
        static let configuration = CommandConfiguration(abstract: "List tasks, newest first.")

        @OptionGroup var connection: ConnectionOptions
        @OptionGroup var output: OutputOptions
        @Option(help: "Only tasks in this state: queued, running, completed or cancelled.") var state: TaskState?
        @Option(help: "Only tasks submitted by this user.") var user: String?
        @Option(help: "At most this many.") var limit = 50

        func run() async throws {
            var query: [String: String] = [:]
            if let state { query["state"] = state.rawValue }
            if let user { query["user"] = user }
            let tasks = try await connection.withClient { client in
                try await client.list("/api/v1/tasks", query: query, limit: limit, as: TaskInfo.self)
            }
            try output.emit(tasks) { tasks in
                var table = Table("ID", "STATE", "DONE", "PASSED", "FAILED", "PRODUCT", "TOOL", "BY", "CREATED", "NAME")
                for task in tasks {
                    table.add(
                        String(task.id),
                        task.state.rawValue,
                        "\(task.counts.finished)/\(task.counts.total)",
                        String(task.counts.passed),
                        String(TaskVerdict.failing(task.counts)),
                        Format.item(task.product),
                        Format.item(task.tool),
                        task.submittedBy,
                        Format.time(task.createdAt),
                        task.name
                    )
                }
                return table.render()
            }
        }
    }

    struct Show: AsyncParsableCommand {
        static let configuration = CommandConfiguration(abstract: "Show a task: state, counts, ETA and why cases wait.")

        @OptionGroup var connection: ConnectionOptions
        @OptionGroup var output: OutputOptions
        @Argument(help: "The task's id.") var id: Int64

        func run() async throws {
            let task = try await connection.withClient { client in
                try await client.call(.GET, "/api/v1/tasks/\(id)", as: TaskInfo.self)
            }
            try output.emit(task, Self.render)
        }

        static func render(_ task: TaskInfo) -> String {
            var details = Details()
            details.add("task", "\(task.id) \(task.name)")
            details.add("state", task.state.rawValue)
            details.add("product", Format.item(task.product))
            details.add("tool", Format.item(task.tool))
            details.add("submitted by", task.submittedBy)
            details.add("priority", String(task.priority))
            details.add("case timeout", Format.duration(seconds: task.caseTimeoutS))
            details.add("labels", task.labels.isEmpty ? nil : task.labels.joined(separator: ", "))
            details.add("rerun of", task.rerunOf.map { "task \($0)" })
            details.add("cases", "\(task.counts.finished)/\(task.counts.total) done: \(Format.counts(task.counts))")
            details.add("tests", task.tests.map { "\($0.summary), test pass rate \(Format.percent($0.passRate))" })
            details.add("created", Format.time(task.createdAt))
            details.add("started", task.startedAt.map { Format.time($0) })
            details.add("finished", task.finishedAt.map { Format.time($0) })
            details.add("ETA", task.etaS.map { Format.duration(seconds: $0) })
            details.add("waiting", task.pendingReason)
            details.add("report", task.reportUrl)
            return details.render()
        }
    }

    struct Cancel: AsyncParsableCommand {
        static let configuration = CommandConfiguration(
            abstract: "Cancel a task: queued cases end at once, running ones are stopped on their nodes."
        )

        @OptionGroup var connection: ConnectionOptions
        @Argument(help: "The task's id.") var id: Int64

        func run() async throws {
            let task = try await connection.withClient { client in
                try await client.call(.POST, "/api/v1/tasks/\(id)/cancel", as: TaskInfo.self)
            }
            Console.out("task \(task.id) \(task.state.rawValue): \(Format.counts(task.counts))")
        }
    }

    struct Wait: AsyncParsableCommand {
        static let configuration = CommandConfiguration(
            abstract: "Wait for a task to end; exit 0 only when no case failed (skipped cases do not fail it)."
        )

        @OptionGroup var connection: ConnectionOptions
        @Argument(help: "The task's id.") var id: Int64
        @Option(help: ArgumentHelp("Write the JUnit XML report here (- for standard output).", valueName: "path"))
        var junit: String?

        func run() async throws {
            let status = try await connection.withClient { client in
                let settled = try await TaskWatcher(client: client).wait(taskID: id)
                return try await TaskResults(client: client).finish(settled, junit: junit)
            }
            if status != .success { throw ExitCode(status.rawValue) }
        }
    }
}

extension TaskState: ExpressibleByArgument {}
