import ArgumentParser
import Foundation
import Logging
import ServiceLifecycle
import WireProtocol

extension ControllerCommand {
    struct UserCommand: AsyncParsableCommand {
        static let configuration = CommandConfiguration(
            commandName: "user",
            abstract: "Manage users.",
            subcommands: [Create.self, SetPassword.self]
        )

        struct Create: AsyncParsableCommand {
            static let configuration = CommandConfiguration(abstract: "Create a user; reads the password from stdin.")
            @OptionGroup var options: ConfigurationOptions
            @Argument var username: String
            @Option var role: UserRole = .member

            func run() async throws {
                try await options.withDatabase { database, _ in
                    let password = readLine(strippingNewline: true) ?? ""
                    let user = try await UserRepository(database: database).create(
                        username: username,
                        password: password,
                        role: role,
                        by: .console
                    )
                    print("created \(user.role.rawValue) \(user.username) (id \(user.id))")
                }
            }
        }

        struct SetPassword: AsyncParsableCommand {
            static let configuration = CommandConfiguration(abstract: "Set a user's password; reads it from stdin.")
            @OptionGroup var options: ConfigurationOptions
            @Argument var username: String

            func run() async throws {
                try await options.withDatabase { database, _ in
                    let password = readLine(strippingNewline: true) ?? ""
                    try await UserRepository(database: database).setPassword(username: username, password: password, by: .console)
                    print("password of \(username) changed")
                }
            }
        }
    }
}
