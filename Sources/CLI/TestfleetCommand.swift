import ArgumentParser
import ControllerClient
import Foundation
import WireProtocol

/// `testfleet`: submit tasks, wait for them and read their reports; look after the catalog and the nodes.
@main
struct TestfleetCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "testfleet",
        abstract: "Submit test tasks to a Testfleet controller, follow them and read their reports.",
        discussion: """
            The controller, an API token and the CA to trust come from --server, --token and --ca, else from \
            TESTFLEET_SERVER, TESTFLEET_TOKEN and TESTFLEET_CA, else from the file `testfleet login` writes \
            (~/.config/testfleet/cli.toml).

            Exit status: 0 done (for a task: no case failed; skipped cases do not fail it), 1 the task had \
            failed, error, timed-out or cancelled cases, 2 wrong usage or input, 3 the controller refused or \
            could not be reached.
            """,
        version: TestfleetVersion.current,
        subcommands: [
            LoginCommand.self, TaskCommand.self, CaseCommand.self, ReportCommand.self, ProductCommand.self, ToolCommand.self,
            NodeCommand.self, UserCommand.self,
        ]
    )

    /// Runs the command and maps every way it can end to an exit status and one clear message.
    static func main() async {
        do {
            var command = try parseAsRoot()
            if var asyncCommand = command as? any AsyncParsableCommand {
                try await asyncCommand.run()
            } else {
                try command.run()
            }
        } catch {
            end(with: error)
        }
    }

    static func end(with error: any Error) -> Never {
        switch error {
        case let error as CLIError:
            Console.error(error.description)
            Console.end(error.status.rawValue)
        case let error as ClientError:
            Console.error(error.description)
            Console.end(ExitStatus.failure.rawValue)
        default:
            let code = exitCode(for: error)
            let message = fullMessage(for: error)
            if code == .success {
                if !message.isEmpty { Console.out(message) }
                Console.end(0)
            }
            if code == .validationFailure {
                FileHandle.standardError.write(Data((message + "\n").utf8))
                Console.end(ExitStatus.usage.rawValue)
            }
            if error is ExitCode {
                Console.end(code.rawValue)
            }
            Console.error("\(error)")
            Console.end(ExitStatus.failure.rawValue)
        }
    }
}
