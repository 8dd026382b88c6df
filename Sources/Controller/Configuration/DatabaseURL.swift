import Foundation
import PostgresNIO

/// Reads `postgres://user:password@host:port/database?sslmode=…` into a client configuration.
enum DatabaseURL {
    /// The URL's configuration with a pool of at most `connections`.
    static func parse(_ text: String, connections: Int) throws -> PostgresClient.Configuration {
        var configuration = try parse(text)
        configuration.options.maximumConnections = connections
        return configuration
    }

    static func parse(_ text: String) throws -> PostgresClient.Configuration {
        guard let url = URLComponents(string: text), let scheme = url.scheme,
            scheme == "postgres" || scheme == "postgresql"
        else {
            throw ConfigurationError("database_url: expected postgres://user:password@host:port/database, got a malformed URL")
        }
        let user = url.percentEncodedUser.flatMap { $0.removingPercentEncoding } ?? "postgres"
        let password = url.percentEncodedPassword.flatMap { $0.removingPercentEncoding }
        let database = url.path.isEmpty || url.path == "/" ? nil : String(url.path.dropFirst())
        let mode = url.queryItems?.first(where: { $0.name == "sslmode" })?.value ?? "prefer"
        let tls: PostgresClient.Configuration.TLS
        switch mode {
        case "disable": tls = .disable
        case "prefer", "allow": tls = .prefer(.makeClientConfiguration())
        case "require", "verify-ca", "verify-full":
            var tlsConfig = TLSConfiguration.makeClientConfiguration()
            if mode == "require" { tlsConfig.certificateVerification = .none }
            tls = .require(tlsConfig)
        default: throw ConfigurationError("database_url: unknown sslmode \(mode)")
        }
        if let host = url.host, !host.isEmpty {
            return .init(host: host, port: url.port ?? 5432, username: user, password: password, database: database, tls: tls)
        }
        if let socket = url.queryItems?.first(where: { $0.name == "host" })?.value {
            return .init(unixSocketPath: socket + "/.s.PGSQL.\(url.port ?? 5432)", username: user, password: password, database: database)
        }
        throw ConfigurationError("database_url: no host in \(text.replacingOccurrences(of: password ?? "\u{0}", with: "***"))")
    }
}
