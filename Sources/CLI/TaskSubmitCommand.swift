import ArgumentParser
import ControllerClient
import Foundation
import WireProtocol

/// `testfleet task submit`: a product, a tool and a case list; optionally wait for the result.
struct TaskSubmitCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "submit",
        abstract: "Submit a task; with --wait, follow it and exit 0 only when no case failed.",
        discussion: """
            The cases file has one case per line; blank lines and lines starting with # are skipped; - reads \
            standard input. Skipped cases do not fail the task; failed, error, timed-out and cancelled ones do \
            (exit status 1).
            """
    )

    @OptionGroup var connection: ConnectionOptions
    @Option(help: ArgumentHelp("The product to test, as NAME@VERSION (or its id).", valueName: "name@version"))
    var product: ItemArgument
    @Option(help: ArgumentHelp("The test tool, as NAME@VERSION (or its id).", valueName: "name@version")) var tool: ItemArgument
    @Option(help: ArgumentHelp("The case list, one per line; - for standard input.", valueName: "file")) var cases: String
    @Option(help: "The task's name (default: the product and the tool).") var name: String?
    @Option(help: "Higher runs first (default 0).") var priority: Int?
    @Option(help: ArgumentHelp("Per-case timeout (default: the tool's).", valueName: "seconds")) var timeout: Int?
    @Option(help: ArgumentHelp("How often a case lost with its node is retried (default 2).", valueName: "count"))
    var maxInfraRetries: Int?
    @Option(
        name: .customLong("label"),
        help: ArgumentHelp("A label every node running the cases must have (repeatable), e.g. kind:physical.", valueName: "label")
    )
    var labels: [String] = []
    @Flag(help: "Follow the task until it ends and exit with its result.") var wait = false
    @Option(help: ArgumentHelp("Write the JUnit XML report here when the task ends (- for standard output; implies --wait).", valueName: "path"))
    var junit: String?

    func validate() throws {
        if let timeout, timeout < 1 { throw ValidationError("--timeout must be at least 1 second") }
        if let maxInfraRetries, maxInfraRetries < 0 { throw ValidationError("--max-infra-retries cannot be negative") }
    }

    func run() async throws {
        let names = CaseList.parse(try readCases())
        guard !names.isEmpty else { throw CLIError.usage("no cases in \(cases == "-" ? "standard input" : cases)") }
        let submission = TaskSubmission(
            name: name,
            product: product.reference,
            tool: tool.reference,
            cases: names,
            priority: priority,
            caseTimeoutS: timeout,
            maxInfraRetries: maxInfraRetries,
            labels: labels.isEmpty ? nil : labels
        )
        let status = try await connection.withClient { client in
            let task = try await client.call(.POST, "/api/v1/tasks", body: submission, as: TaskInfo.self, timeout: .seconds(300))
            Console.out(
                "task \(task.id) submitted: \(task.counts.total) cases of \(Format.item(task.product)) with "
                    + "\(Format.item(task.tool)); \(client.baseURL)/tasks/\(task.id)"
            )
            guard wait || junit != nil else { return ExitStatus.success }
            let settled = try await TaskWatcher(client: client).wait(taskID: task.id)
            return try await TaskResults(client: client).finish(settled, junit: junit)
        }
        if status != .success { throw ExitCode(status.rawValue) }
    }

    private func readCases() throws -> String {
        if cases == "-" {
            return String(decoding: FileHandle.standardInput.readDataToEndOfFile(), as: UTF8.self)
        }
        do {
            return try String(contentsOfFile: cases, encoding: .utf8)
        } catch {
            throw CLIError.usage("cannot read the cases file \(cases): \(error.localizedDescription)")
        }
    }
}
