import ConfigFile
import Foundation
import Logging

extension ControllerConfiguration {
    /// One configuration key: its name in the config file, its environment variable and how to apply it.
    struct Key: Sendable {
        var name: String
        var summary: String
        var apply: @Sendable (inout ControllerConfiguration, [String]) throws -> Void

        var environmentVariable: String { "TESTFLEET_" + name.uppercased() }
        var flag: String { "--" + name.replacingOccurrences(of: "_", with: "-") }

        /// A key that sets `field` to a number in `range`.
        static func number<Value: ConfigurationNumber>(
            _ name: String,
            _ summary: String,
            in range: ClosedRange<Value>,
            _ field: any WritableKeyPath<ControllerConfiguration, Value> & Sendable
        ) -> Key {
            Key(name: name, summary: summary) { $0[keyPath: field] = try ControllerConfiguration.number($1, name, in: range) }
        }
    }

    /// Every key, in the order the README documents them.
    static let keys: [Key] = [
        Key(name: "data_dir", summary: "data directory (TLS, artifacts, embedded PostgreSQL)") {
            $0.dataDirectory = URL(fileURLWithPath: try single($1, "data_dir"))
        },
        Key(name: "host", summary: "address to listen on (default 0.0.0.0)") { $0.host = try single($1, "host") },
        Key.number("port", "port to listen on (default 8443)", in: 0...65535, \.port),
        Key(name: "database_url", summary: "PostgreSQL URL; without one an embedded cluster is used") {
            let value = try single($1, "database_url")
            $0.databaseURL = value.isEmpty ? nil : value
        },
        Key.number("database_pool_size", "database connections per controller (default 20)", in: 2...500, \.databasePoolSize),
        Key(name: "tls_cert", summary: "PEM certificate chain to serve instead of the generated one") {
            $0.tlsCertificate = try single($1, "tls_cert")
        },
        Key(name: "tls_key", summary: "PEM private key for tls_cert") { $0.tlsKey = try single($1, "tls_key") },
        Key(name: "tls_san", summary: "extra names/addresses for the generated certificate (repeatable)") {
            $0.tlsSubjectAlternativeNames += $1.flatMap { $0.split(separator: ",").map { String($0).trimmingCharacters(in: .whitespaces) } }
        },
        Key(name: "insecure_http", summary: "serve plain HTTP instead of HTTPS (default false)") {
            $0.insecureHTTP = try boolean($1, "insecure_http")
        },
        Key(name: "public_url", summary: "URL agents and users reach the controller at") {
            let value = try single($1, "public_url")
            guard let url = URL(string: value), url.scheme == "https" || url.scheme == "http", url.host != nil else {
                throw ConfigurationError("public_url: expected an http(s) URL, got \(value)")
            }
            $0.publicURL = value
        },
        Key(name: "log_level", summary: "trace, debug, info, notice, warning, error or critical (default info)") {
            let value = try single($1, "log_level")
            guard let level = Logger.Level(rawValue: value) else {
                throw ConfigurationError("log_level: expected trace, debug, info, notice, warning, error or critical, got \(value)")
            }
            $0.logLevel = level
        },
        Key(name: "log_format", summary: "text or json (default text)") {
            let value = try single($1, "log_format")
            guard let format = LogFormat(rawValue: value) else {
                throw ConfigurationError("log_format: expected text or json, got \(value)")
            }
            $0.logFormat = format
        },
        Key(name: "artifact_max_bytes", summary: "largest artifact upload (default 4 GiB)") {
            $0.artifactMaxBytes = Int64(try number($1, "artifact_max_bytes", in: 1...Int.max))
        },
        Key(name: "case_log_max_bytes", summary: "stored log per case run, head and tail kept beyond it (default 64 MiB)") {
            $0.caseLogMaxBytes = Int64(try number($1, "case_log_max_bytes", in: 1024...Int.max))
        },
        Key.number("log_chunk_max_bytes", "largest log chunk an agent may post (default 1 MiB)", in: 1024...(64 << 20), \.logChunkMaxBytes),
        Key.number("lease_ttl_s", "lease lifetime without a heartbeat (default 45)", in: 2...3600, \.leaseTTLSeconds),
        Key.number("heartbeat_interval_s", "how often agents renew leases (default 10)", in: 1...600, \.heartbeatIntervalSeconds),
        Key(name: "lease_wait_s", summary: "longest a lease request waits for work (default 30)") {
            // Whole seconds, kept as a Double for the waits.
            $0.leaseWaitSeconds = Double(try number($1, "lease_wait_s", in: 0...300) as Int)
        },
        Key.number(
            "shutdown_timeout_s",
            "longest a graceful shutdown waits for requests to end (default 10)",
            in: 1...600,
            \.shutdownTimeoutSeconds
        ),
        Key.number("reaper_interval_s", "how often expired leases are looked for (default 2)", in: 0.1...600, \.reaperIntervalSeconds),
        Key.number("node_offline_after_s", "silence after which a node is offline (default 90)", in: 5...86400, \.nodeOfflineAfterSeconds),
        Key.number(
            "node_max_infra_failures",
            "consecutive infrastructure failures that disable a node (default 3)",
            in: 1...1000,
            \.nodeMaxInfraFailures
        ),
        Key.number("aging_interval_s", "seconds of waiting per priority step gained (default 60)", in: 1...86400, \.agingIntervalSeconds),
        Key.number("retry_avoid_s", "how long a retried case avoids the node it failed on (default 60)", in: 0...86400, \.retryAvoidSeconds),
        Key.number("session_ttl_s", "web session lifetime (default 43200)", in: 60...(90 * 86400), \.sessionTTLSeconds),
        Key.number("member_max_priority", "highest task priority a member may submit (default 10)", in: -1000...1000, \.memberMaxPriority),
        Key.number(
            "retention_days",
            "finished tasks older than this many days are deleted; 0 keeps them (default 90)",
            in: 0...36500,
            \.retentionDays
        ),
        Key.number(
            "log_retention_days",
            "case logs of finished tasks older than this are deleted; 0 keeps them (default 30)",
            in: 0...36500,
            \.logRetentionDays
        ),
        Key.number(
            "retention_interval_s",
            "how often the retention sweep looks for what to delete (default 600)",
            in: 0.1...86400,
            \.retentionIntervalSeconds
        ),
        Key(name: "admin_password", summary: "password of the first admin (environment only; random otherwise)") {
            $0.adminPassword = try single($1, "admin_password")
        },
    ]

    /// Defaults, then the config file, then `TESTFLEET_*` variables, then `overrides` (flags).
    static func load(
        file: String?,
        environment: [String: String] = ProcessInfo.processInfo.environment,
        overrides: [(key: String, values: [String])] = []
    ) throws -> ControllerConfiguration {
        var config = ControllerConfiguration()
        let path = file ?? environment["TESTFLEET_CONFIG"]
        if let path {
            let bytes: Data
            do {
                bytes = try Data(contentsOf: URL(fileURLWithPath: path))
            } catch {
                throw ConfigurationError("cannot read config file \(path): \(error.localizedDescription)")
            }
            let table: TOMLTable
            do {
                table = try TOML.parse(bytes: bytes)
            } catch {
                throw ConfigurationError("config file \(path), \(error)")
            }
            for name in table.keys {
                guard let key = keys.first(where: { $0.name == name }), name != "admin_password" else {
                    throw ConfigurationError("config file \(path): unknown key \(name)")
                }
                try key.apply(&config, Self.strings(table[name]!, key: name))
            }
        }
        for key in keys {
            if let value = environment[key.environmentVariable] {
                try key.apply(&config, [value])
            }
        }
        for (name, values) in overrides {
            guard let key = keys.first(where: { $0.name == name }) else {
                throw ConfigurationError("unknown configuration key \(name)")
            }
            try key.apply(&config, values)
        }
        return config
    }

    private static func strings(_ value: TOMLValue, key: String) throws -> [String] {
        switch value {
        case .string(let text): return [text]
        case .integer(let number): return [String(number)]
        case .float(let number): return [String(number)]
        case .boolean(let flag): return [flag ? "true" : "false"]
        case .array(let values): return try values.flatMap { try strings($0, key: key) }
        default: throw ConfigurationError("\(key): a \(value.typeName) is not allowed here")
        }
    }

    private static func single(_ values: [String], _ key: String) throws -> String {
        guard let value = values.last else { throw ConfigurationError("\(key): needs a value") }
        return value
    }

    private static func number<Value: ConfigurationNumber>(_ values: [String], _ key: String, in range: ClosedRange<Value>) throws -> Value {
        let text = try single(values, key)
        guard let value = Value(text), range.contains(value) else {
            throw ConfigurationError("\(key): expected \(Value.noun) in \(range.lowerBound)...\(range.upperBound), got \(text)")
        }
        return value
    }

    private static func boolean(_ values: [String], _ key: String) throws -> Bool {
        let text = try single(values, key).lowercased()
        switch text {
        case "true", "1", "yes", "on": return true
        case "false", "0", "no", "off": return false
        default: throw ConfigurationError("\(key): expected true or false, got \(text)")
        }
    }
}

/// A number a configuration key holds: whole (`Int`) or not (`Double`).
protocol ConfigurationNumber: LosslessStringConvertible, Comparable, Sendable {
    /// What the number is called when a value is refused.
    static var noun: String { get }
}

extension Int: ConfigurationNumber {
    static var noun: String { "a whole number" }
}

extension Double: ConfigurationNumber {
    static var noun: String { "a number" }
}
