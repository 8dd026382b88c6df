import ArgumentParser
import Foundation
import Logging
import ServiceLifecycle
import WireProtocol

extension ControllerCommand {
    struct TokenCommand: AsyncParsableCommand {
        static let configuration = CommandConfiguration(
            commandName: "token",
            abstract: "Manage API tokens.",
            subcommands: [Create.self]
        )

        struct Create: AsyncParsableCommand {
            static let configuration = CommandConfiguration(abstract: "Print a new API token of a user, for scripts.")
            @OptionGroup var options: ConfigurationOptions
            @Option(help: "The user the token acts as.") var user: String
            @Option(help: "A name to recognize the token by.") var name = "cli"

            func run() async throws {
                try await options.withDatabase { database, _ in
                    let users = UserRepository(database: database)
                    guard let found = try await users.find(username: user) else {
                        throw ValidationError("no user named \(user)")
                    }
                    print(try await users.createToken(userID: found.id, name: name, by: .console).token)
                }
            }
        }
    }
}
