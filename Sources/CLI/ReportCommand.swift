import ArgumentParser
import ControllerClient
import Foundation
import WireProtocol

/// `testfleet report`: a finished task's report as JSON, HTML or JUnit XML.
struct ReportCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "report",
        abstract: "Get a finished task's report: JSON on standard output, or HTML or JUnit XML to a file."
    )

    @OptionGroup var connection: ConnectionOptions
    @Argument(help: "The task's id.") var id: Int64
    @Flag(help: "The JSON report on standard output (the default).") var json = false
    @Option(help: ArgumentHelp("Write the HTML report here (- for standard output).", valueName: "path")) var html: String?
    @Option(help: ArgumentHelp("Write the JUnit XML report here (- for standard output).", valueName: "path")) var junit: String?

    func validate() throws {
        if [json, html != nil, junit != nil].filter({ $0 }).count > 1 {
            throw ValidationError("choose one of --json, --html and --junit")
        }
    }

    func run() async throws {
        let (suffix, destination) = html.map { (".html", $0) } ?? junit.map { (".xml", $0) } ?? ("", "-")
        let body = try await connection.withClient { client in
            let answer = try await client.send(.GET, "/api/v1/tasks/\(id)/report\(suffix)")
            guard answer.status == 200 else { throw ClientError(answer: answer) }
            return answer.body
        }
        var data = body
        if destination == "-", data.last != UInt8(ascii: "\n") { data.append(UInt8(ascii: "\n")) }
        try OutputFile.write(data, to: destination)
        if destination != "-" { Console.note("report of task \(id) written to \(destination)") }
    }
}
