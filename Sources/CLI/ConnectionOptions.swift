import ArgumentParser
import ControllerClient
import Foundation

/// The flags every command that talks to the controller takes.
struct ConnectionOptions: ParsableArguments {
    @Option(help: "The controller's URL (default: $TESTFLEET_SERVER, else the login file's).")
    var server: String?
    @Option(help: "API token (default: $TESTFLEET_TOKEN, else the login file's).")
    var token: String?
    @Option(help: ArgumentHelp("PEM file of the CA to trust (default: $TESTFLEET_CA, else the login file's).", valueName: "file"))
    var ca: String?
    @Option(
        name: .customLong("config"),
        help: ArgumentHelp("The login file (default: ~/.config/testfleet/cli.toml).", valueName: "file")
    )
    var configFile: String?

    var configPath: String {
        configFile ?? CLIConfigFile.defaultPath(environment: ProcessInfo.processInfo.environment)
    }

    func connection() throws -> Connection {
        try Connection.resolve(
            flags: .init(server: server, token: token, ca: ca),
            environment: ProcessInfo.processInfo.environment,
            file: try CLIConfigFile.load(path: configPath),
            filePath: configPath
        )
    }

    /// Runs `body` with a client for the resolved connection and shuts the client down after.
    func withClient<T>(_ body: (ControllerClient) async throws -> T) async throws -> T {
        let client = try connection().client()
        do {
            let result = try await body(client)
            await client.shutdown()
            return result
        } catch {
            await client.shutdown()
            throw error
        }
    }
}
