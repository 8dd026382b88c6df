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
            try await options.withDatabase { _, applied in
                print(applied.isEmpty ? "schema is up to date" : "applied migrations \(applied.map(String.init).joined(separator: ", "))")
            }
        }
    }
}
