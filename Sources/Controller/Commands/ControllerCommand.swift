import ArgumentParser
import Foundation
import Logging
import ServiceLifecycle
import WireProtocol

/// `testfleet-controller`: read the configuration, build the application, run it.
@main
struct ControllerCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "testfleet-controller",
        abstract: "The Testfleet controller: catalog, fleet, tasks, scheduling and reports over HTTPS.",
        version: TestfleetVersion.current,
        subcommands: [Serve.self, Migrate.self, UserCommand.self, TokenCommand.self, DemoCommand.self, BenchSQLCommand.self, BenchFloorCommand.self],
        defaultSubcommand: Serve.self
    )
}

extension UserRole: ExpressibleByArgument {}
