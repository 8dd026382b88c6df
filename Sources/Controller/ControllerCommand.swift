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
        subcommands: [Serve.self, Migrate.self, UserCommand.self, TokenCommand.self, DemoCommand.self, BenchSQLCommand.self],
        defaultSubcommand: Serve.self
    )
}

/// Options every subcommand that touches the configuration shares.
struct ConfigurationOptions: ParsableArguments {
    @Option(name: .long, help: "Config file (TOML); default $TESTFLEET_CONFIG.")
    var config: String?
    @Option(name: .long, help: "Data directory.")
    var dataDir: String?
    @Option(name: .long, help: "Address to listen on.")
    var host: String?
    @Option(name: .long, help: "Port to listen on (default 8443).")
    var port: Int?
    @Option(name: .long, help: "PostgreSQL URL; without one an embedded cluster is used.")
    var databaseURL: String?
    @Option(name: .long, help: "PEM certificate chain to serve.")
    var tlsCert: String?
    @Option(name: .long, help: "PEM private key of --tls-cert.")
    var tlsKey: String?
    @Option(name: .long, help: "Extra name or address for the generated certificate (repeatable).")
    var tlsSan: [String] = []
    @Flag(name: .long, help: "Serve plain HTTP instead of HTTPS.")
    var insecureHttp = false
    @Option(name: .long, help: "URL agents and users reach the controller at.")
    var publicURL: String?
    @Option(name: .long, help: "Any configuration key as KEY=VALUE (repeatable).")
    var set: [String] = []

    func load() throws -> ControllerConfiguration {
        var overrides: [(key: String, values: [String])] = []
        for pair in set {
            guard let equals = pair.firstIndex(of: "=") else {
                throw ValidationError("--set expects KEY=VALUE, got \(pair)")
            }
            overrides.append((String(pair[..<equals]), [String(pair[pair.index(after: equals)...])]))
        }
        if let dataDir { overrides.append(("data_dir", [dataDir])) }
        if let host { overrides.append(("host", [host])) }
        if let port { overrides.append(("port", [String(port)])) }
        if let databaseURL { overrides.append(("database_url", [databaseURL])) }
        if let tlsCert { overrides.append(("tls_cert", [tlsCert])) }
        if let tlsKey { overrides.append(("tls_key", [tlsKey])) }
        if !tlsSan.isEmpty { overrides.append(("tls_san", tlsSan)) }
        if insecureHttp { overrides.append(("insecure_http", ["true"])) }
        if let publicURL { overrides.append(("public_url", [publicURL])) }
        do {
            return try ControllerConfiguration.load(file: config, overrides: overrides)
        } catch let error as ConfigurationError {
            throw ValidationError(error.description)
        }
    }
}

extension ControllerCommand {
    struct Serve: AsyncParsableCommand {
        static let configuration = CommandConfiguration(abstract: "Run the controller (the default).")

        @OptionGroup var options: ConfigurationOptions

        func run() async throws {
            let config = try options.load()
            let logger = ControllerLogging.logger(config)
            let built = try await ControllerApplication.build(config: config, logger: logger)
            do {
                // Past the timeout, what has not ended is cancelled; what ignores cancellation stops the process.
                var group = ServiceGroupConfiguration(
                    services: [built.application],
                    gracefulShutdownSignals: [.sigterm, .sigint],
                    logger: logger
                )
                group.maximumGracefulShutdownDuration = .seconds(config.shutdownTimeoutSeconds)
                group.maximumCancellationDuration = .seconds(5)
                try await ServiceGroup(configuration: group).run()
            } catch {
                await built.cleanup()
                throw error
            }
            await built.cleanup()
        }
    }

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
                let config = try options.load()
                let password = readLine(strippingNewline: true) ?? ""
                try await withDatabase(config: config, logger: ControllerLogging.logger(config)) { database in
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
                let config = try options.load()
                let password = readLine(strippingNewline: true) ?? ""
                try await withDatabase(config: config, logger: ControllerLogging.logger(config)) { database in
                    try await UserRepository(database: database).setPassword(username: username, password: password, by: .console)
                    print("password of \(username) changed")
                }
            }
        }
    }

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
                let config = try options.load()
                try await withDatabase(config: config, logger: ControllerLogging.logger(config)) { database in
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

extension UserRole: ExpressibleByArgument {}

/// Runs `body` with a migrated database from the configuration (embedded or not), outside the server.
func withDatabase(
    config: ControllerConfiguration,
    logger: Logger,
    _ body: @Sendable (Database) async throws -> Void
) async throws {
    var adjusted = logger
    adjusted.logLevel = max(logger.logLevel, .warning)
    let quiet = adjusted
    var embedded: EmbeddedPostgres?
    let url: String
    if let databaseURL = config.databaseURL {
        url = databaseURL
    } else {
        let cluster = try EmbeddedPostgres(dataDirectory: config.dataDirectory, logger: quiet)
        let wasRunning = cluster.runningPort() != nil
        url = try await Blocking.run { try cluster.start().url }
        if !wasRunning { embedded = cluster }
    }
    defer { embedded?.stop() }
    let client = PostgresClientRunner(configuration: try DatabaseURL.parse(url), logger: quiet)
    try await client.run { client in
        let database = Database(client: client, logger: quiet, metrics: ControllerMetrics())
        try await Migrator().migrate(database, logger: quiet)
        try await body(database)
    }
}
