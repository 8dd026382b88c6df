import ArgumentParser
import ControllerClient
import Foundation
import WireProtocol

/// `testfleet user`: users and passwords. Everyone changes their own password; the rest needs an admin's token.
struct UserCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "user",
        abstract: "List, create, disable, enable and delete users; change passwords.",
        discussion: """
            Passwords are asked on the terminal without echo (new ones twice), or read from standard input, one \
            per line, when that is not a terminal. Users are named by username or id.
            """,
        subcommands: [List.self, Create.self, Disable.self, Enable.self, Role.self, Delete.self, Passwd.self]
    )

    struct List: AsyncParsableCommand {
        static let configuration = CommandConfiguration(abstract: "List users (admin).")

        @OptionGroup var connection: ConnectionOptions
        @OptionGroup var output: OutputOptions

        func run() async throws {
            let users = try await connection.withClient { client in
                try await client.list("/api/v1/users", limit: .max, as: User.self)
            }
            try output.emit(users) { users in
                var table = Table("ID", "USERNAME", "ROLE", "STATUS", "CREATED")
                for user in users {
                    table.add(String(user.id), user.username, user.role.rawValue, user.disabled ? "disabled" : "enabled", Format.time(user.createdAt))
                }
                return table.render()
            }
        }
    }

    struct Create: AsyncParsableCommand {
        static let configuration = CommandConfiguration(abstract: "Create a user (admin); asks for the password.")

        @OptionGroup var connection: ConnectionOptions
        @Argument(help: "The new user's name.") var username: String
        @Option(help: "member or admin.") var role: UserRole = .member

        func run() async throws {
            let password = try PasswordInput.new("password for \(username)")
            let user = try await connection.withClient { client in
                try await client.call(.POST, "/api/v1/users", body: UserInput(username: username, password: password, role: role), as: User.self)
            }
            Console.out("user \(user.id) \(user.username) created (\(user.role.rawValue))")
        }
    }

    struct Disable: AsyncParsableCommand {
        static let configuration = CommandConfiguration(
            abstract: "Disable a user (admin): their web sessions and API tokens stop working at once."
        )

        @OptionGroup var connection: ConnectionOptions
        @Argument(help: "Username or id.") var user: String

        func run() async throws { try await UserCommand.patch(user, UserPatch(disabled: true), connection) }
    }

    struct Enable: AsyncParsableCommand {
        static let configuration = CommandConfiguration(abstract: "Enable a disabled user again (admin).")

        @OptionGroup var connection: ConnectionOptions
        @Argument(help: "Username or id.") var user: String

        func run() async throws { try await UserCommand.patch(user, UserPatch(disabled: false), connection) }
    }

    struct Role: AsyncParsableCommand {
        static let configuration = CommandConfiguration(abstract: "Make a user an admin or a member (admin).")

        @OptionGroup var connection: ConnectionOptions
        @Argument(help: "Username or id.") var user: String
        @Argument(help: "admin or member.") var role: UserRole

        func run() async throws { try await UserCommand.patch(user, UserPatch(role: role), connection) }
    }

    struct Delete: AsyncParsableCommand {
        static let configuration = CommandConfiguration(
            abstract: "Delete a user with their API tokens (admin); their tasks stay, under their name."
        )

        @OptionGroup var connection: ConnectionOptions
        @Argument(help: "Username or id.") var user: String

        func run() async throws {
            try await connection.withClient { client in
                let found = try await UserCommand.find(user, client)
                try await client.perform(.DELETE, "/api/v1/users/\(found.id)")
                Console.out("user \(found.id) \(found.username) deleted")
            }
        }
    }

    struct Passwd: AsyncParsableCommand {
        static let configuration = CommandConfiguration(
            abstract: "Change your password; with a user, set theirs (admin).",
            discussion: "Your own: the current password, then the new one. Another user's: only the new one."
        )

        @OptionGroup var connection: ConnectionOptions
        @Argument(help: "Username or id of another user (admin).") var user: String?

        func run() async throws {
            if let user {
                let password = try PasswordInput.new("new password for \(user)")
                try await UserCommand.patch(user, UserPatch(password: password), connection)
                return
            }
            let current = try PasswordInput.read("current password")
            let new = try PasswordInput.new("new password")
            try await connection.withClient { client in
                try await client.perform(.POST, "/api/v1/auth/password", body: PasswordChange(currentPassword: current, newPassword: new))
            }
            Console.out("password changed")
        }
    }

    /// Applies `patch` to the user named by `argument` and says what they are now.
    static func patch(_ argument: String, _ patch: UserPatch, _ connection: ConnectionOptions) async throws {
        let user = try await connection.withClient { client in
            let found = try await find(argument, client)
            return try await client.call(.PATCH, "/api/v1/users/\(found.id)", body: patch, as: User.self)
        }
        let status = user.disabled ? "disabled" : "enabled"
        Console.out("user \(user.id) \(user.username): \(user.role.rawValue), \(status)" + (patch.password == nil ? "" : ", password set"))
    }

    /// The user with this username or id.
    static func find(_ argument: String, _ client: ControllerClient) async throws -> User {
        let users = try await client.list("/api/v1/users", limit: .max, as: User.self)
        if let id = Int64(argument), let user = users.first(where: { $0.id == id }) { return user }
        guard let user = users.first(where: { $0.username == argument }) else {
            throw CLIError.failure("no user \(argument)")
        }
        return user
    }
}

extension UserRole: ExpressibleByArgument {}
