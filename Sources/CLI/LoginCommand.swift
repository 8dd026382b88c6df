import ArgumentParser
import ControllerClient
import Foundation
import WireProtocol

/// `testfleet login`: trade a username and password for an API token and keep it in the login file.
struct LoginCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "login",
        abstract: "Create an API token with your password and store it in the login file (mode 0600).",
        discussion: """
            The password is asked on the terminal without echo, or read from the first line of standard input \
            when that is not a terminal. The CA is copied beside the login file.
            """
    )

    @Option(help: "The controller's URL, e.g. https://controller:8443.")
    var server: String?
    @Option(help: ArgumentHelp("PEM file of the CA that signed the controller's certificate.", valueName: "file"))
    var ca: String?
    @Option(
        name: .customLong("ca-sha256"),
        help: "Trust the CA certificate the controller presents with this SHA-256 fingerprint instead of --ca."
    )
    var caSHA256: String?
    @Option(help: "Username (asked when not given).")
    var user: String?
    @Option(name: .customLong("config"), help: ArgumentHelp("The login file to write.", valueName: "file"))
    var configFile: String?

    func validate() throws {
        if ca != nil && caSHA256 != nil { throw ValidationError("give --ca or --ca-sha256, not both") }
    }

    func run() async throws {
        let environment = ProcessInfo.processInfo.environment
        let path = configFile ?? CLIConfigFile.defaultPath(environment: environment)
        guard let given = server ?? environment["TESTFLEET_SERVER"] else {
            throw CLIError.usage("pass --server URL, e.g. https://controller:8443")
        }
        let server = try Connection.normalize(server: given)
        let caPEM = try await trustedCA(server: server)
        let username = try self.username()
        let password = try PasswordInput.read("password")
        let client: ControllerClient
        do {
            client = try ControllerClient(baseURL: server, caCertificatePEM: caPEM, bearer: nil, maxConnections: 1)
        } catch {
            throw CLIError.usage("the CA is not a PEM certificate: \(error)")
        }
        let created: CreatedToken
        do {
            let basic = Data("\(username):\(password)".utf8).base64EncodedString()
            let answer = try await client.send(
                .POST,
                "/api/v1/tokens",
                body: try WireJSON.encoder().encode(TokenInput(name: "testfleet CLI on \(ProcessInfo.processInfo.hostName)")),
                headers: [("Authorization", "Basic \(basic)")]
            )
            await client.shutdown()
            guard answer.status == 201 else { throw ClientError(answer: answer) }
            created = try WireJSON.decoder().decode(CreatedToken.self, from: answer.body)
        } catch {
            await client.shutdown()
            throw error
        }
        var file = CLIConfigFile(server: server, token: created.token, ca: nil)
        if let caPEM {
            let stem = URL(fileURLWithPath: path).deletingPathExtension().lastPathComponent
            let caURL = URL(fileURLWithPath: path).deletingLastPathComponent().appendingPathComponent("\(stem)-ca.crt")
            try CLIConfigFile.writePrivate(Data(caPEM.utf8), to: caURL)
            file.ca = caURL.lastPathComponent
        }
        try file.write(path: path)
        Console.out("logged in to \(server) as \(username); token \(created.name) (id \(created.id)) stored in \(path)")
    }

    /// The CA to trust: from `--ca`, fetched and checked against `--ca-sha256`, or none (the system's roots).
    private func trustedCA(server: String) async throws -> String? {
        if let ca {
            do {
                return try String(contentsOfFile: ca, encoding: .utf8)
            } catch {
                throw CLIError.usage("cannot read the CA file \(ca): \(error.localizedDescription)")
            }
        }
        guard let caSHA256 else { return nil }
        let url = URL(string: server)!
        guard url.scheme?.lowercased() == "https" else { throw CLIError.usage("--ca-sha256 needs an https server") }
        do {
            return try await CertificatePin.fetch(host: url.host!, port: url.port ?? 443, expected: caSHA256)
        } catch let mismatch as CertificatePin.Mismatch {
            throw CLIError.failure("refusing to log in: \(mismatch)")
        } catch {
            throw CLIError.failure("cannot reach \(server): \(error)")
        }
    }

    private func username() throws -> String {
        if let user, !user.isEmpty { return user }
        guard Console.isTerminal(STDIN_FILENO), let typed = Console.ask("username: "), !typed.isEmpty else {
            throw CLIError.usage("pass --user NAME")
        }
        return typed
    }
}
