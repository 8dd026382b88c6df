import ArgumentParser
import Foundation
import Logging
import ServiceLifecycle
import WireProtocol

extension ControllerCommand {
    struct Migrate: AsyncParsableCommand {
        static let configuration = CommandConfiguration(abstract: "Apply pending database migrations and exit.")

        @OptionGroup var options: ConfigurationOptions

        func run() async throws {
            let config = try options.load()
            let logger = ControllerLogging.logger(config)
            try await withDatabase(config: config, logger: logger) { database in
                let applied = try await Migrator().migrate(database, logger: logger)
                print(applied.isEmpty ? "schema is up to date" : "applied migrations \(applied.map(String.init).joined(separator: ", "))")
            }
        }
    }
}
