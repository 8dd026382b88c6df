import ArgumentParser
import Foundation
import Logging
import ServiceLifecycle
import WireProtocol

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
