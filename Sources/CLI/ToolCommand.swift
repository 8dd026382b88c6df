import ArgumentParser
import ControllerClient
import Foundation
import WireProtocol

/// `testfleet tool`: the test tools in the catalog.
struct ToolCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "tool",
        abstract: "List, show and create test tools; upload a tool's artifact.",
        subcommands: [CatalogListCommand<ToolDetails>.self, Show.self, Create.self, CatalogUploadCommand<ToolDetails>.self]
    )

    struct Show: AsyncParsableCommand {
        static let configuration = CommandConfiguration(abstract: "Show a tool.")

        @OptionGroup var connection: ConnectionOptions
        @OptionGroup var output: OutputOptions
        @Argument(help: "The tool's id.") var id: Int64

        func run() async throws {
            let tool = try await connection.withClient { client in
                try await client.call(.GET, "/api/v1/tools/\(id)", as: Tool.self)
            }
            try output.emit(tool) { tool in
                var details = Details()
                details.add("tool", "\(tool.id) \(tool.name)@\(tool.version)")
                details.add("run command", tool.runCommand)
                details.add("case timeout", Format.duration(seconds: tool.defaultTimeoutS))
                details.addSources(of: tool)
                details.add("created", Format.time(tool.createdAt))
                return details.render()
            }
        }
    }

    struct Create: AsyncParsableCommand {
        static let configuration = CommandConfiguration(
            abstract: "Create a tool (admins).",
            discussion: """
                The run command is run by /bin/sh -c in a fresh work directory per case, with {case}, \
                {product_dir}, {tool_dir}, {product_version}, {work_dir} and {result_file} substituted.
                """
        )

        @OptionGroup var connection: ConnectionOptions
        @Argument(help: "NAME@VERSION") var tool: NameAtVersion
        @Option(help: "The command template that runs one case, e.g. '{tool_dir}/run {case}'.") var runCommand: String
        @Option(help: ArgumentHelp("Default per-case timeout.", valueName: "seconds")) var timeout: Int?
        @Option(help: "Where agents download the tool from.") var downloadUrl: String?
        @Option(help: "The SHA-256 the download must have; agents refuse anything else.") var sha256: String?

        func validate() throws {
            if let timeout, timeout < 1 { throw ValidationError("--timeout must be at least 1 second") }
            if sha256 != nil && downloadUrl == nil { throw ValidationError("--sha256 goes with --download-url") }
        }

        func run() async throws {
            let input = ToolInput(
                name: tool.name,
                version: tool.version,
                runCommand: runCommand,
                defaultTimeoutS: timeout,
                downloadUrl: downloadUrl,
                downloadSha256: sha256
            )
            try await input.create(connection)
        }
    }
}
