import ArgumentParser
import Foundation
import Logging
import ServiceLifecycle
import WireProtocol

extension ControllerCommand {
    struct Serve: AsyncParsableCommand {
        static let configuration = CommandConfiguration(abstract: "Run the controller (the default).")

        @OptionGroup var options: ConfigurationOptions

        func run() async throws {
            let config = try options.load()
            let logger = ControllerLogging.logger(config)
            let built = try await ControllerApplication.build(config: config, logger: logger)
            do {
                // Past the timeout, what has not ended is cancelled; what ignores cancellation for five seconds more
                // is left behind as the process exits, with its embedded PostgreSQL stopped. Services stop in reverse
                // order: the deadline starts first.
                let timeout = Duration.seconds(config.shutdownTimeoutSeconds)
                let deadline = ShutdownDeadline(limit: timeout + .seconds(5), logger: logger) {
                    built.stopDatabase()
                    Foundation.exit(1)
                }
                var group = ServiceGroupConfiguration(
                    services: [built.application, deadline],
                    gracefulShutdownSignals: [.sigterm, .sigint],
                    logger: logger
                )
                group.maximumGracefulShutdownDuration = timeout
                group.maximumCancellationDuration = nil
                try await ServiceGroup(configuration: group).run()
            } catch {
                await built.cleanup()
                throw error
            }
            await built.cleanup()
        }
    }
}
