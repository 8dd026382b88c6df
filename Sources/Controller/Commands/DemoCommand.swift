import ArgumentParser
import AsyncSupport
import Foundation
import Logging
import ServiceLifecycle
import WireProtocol

/// `testfleet-controller demo`: the whole system on one machine with no set-up. An embedded PostgreSQL, the
/// controller, three local agents with different inventories, a sample product and test tool, and two tasks
/// with passing, failing, skipped and slow cases; it prints where to watch and the final counts.
struct DemoCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "demo",
        abstract: "Run the controller with three local agents and sample tasks."
    )

    @Option(help: "Data directory of the demo.") var dataDir = "testfleet-demo"
    @Option(help: "Port (default 8443, or a free one when it is taken).") var port: Int?
    @Flag(help: "Stop once the sample tasks have ended, instead of running on.") var exitWhenDone = false

    func run() async throws {
        var config = ControllerConfiguration()
        config.dataDirectory = URL(fileURLWithPath: dataDir).standardizedFileURL
        config.port = try port ?? (PortProbe.isFree(8443) ? 8443 : PortProbe.freePort())
        config.publicURL = "https://localhost:\(config.port)"
        config.reaperIntervalSeconds = 1
        var logger = ControllerLogging.logger(config)
        logger.logLevel = .warning
        let built = try await ControllerApplication.build(config: config, logger: logger)
        let group = ServiceGroup(
            configuration: .init(
                services: [built.application],
                gracefulShutdownSignals: [.sigterm, .sigint],
                logger: logger
            )
        )
        let stopped = OneShot<Void>()
        let server = Task {
            defer { stopped.fire(()) }
            try await group.run()
        }
        let demo = DemoScenario(services: built.services, config: config, stopped: stopped)
        do {
            try await demo.run(exitWhenDone: exitWhenDone)
        } catch {
            DemoScenario.say("demo failed: \(error)")
        }
        await demo.stopAgents()
        if exitWhenDone { await group.triggerGracefulShutdown() }
        let outcome = await server.result
        await built.cleanup()
        try outcome.get()
    }
}
