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
    }

    /// Every key, in the order the README documents them.
    static let keys: [Key] = [
        Key(name: "data_dir", summary: "data directory (TLS, artifacts, embedded PostgreSQL)") {
            $0.dataDirectory = URL(fileURLWithPath: try single($1, "data_dir"))
        },
        Key(name: "host", summary: "address to listen on (default 0.0.0.0)") { $0.host = try single($1, "host") },
        Key(name: "port", summary: "port to listen on (default 8443)") {
            $0.port = try integer($1, "port", in: 0...65535)
        },
        Key(name: "database_url", summary: "PostgreSQL URL; without one an embedded cluster is used") {
            let value = try single($1, "database_url")
            $0.databaseURL = value.isEmpty ? nil : value
        },
        Key(name: "database_pool_size", summary: "database connections per controller (default 20)") {
            $0.databasePoolSize = try integer($1, "database_pool_size", in: 2...500)
        },
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
            $0.artifactMaxBytes = Int64(try integer($1, "artifact_max_bytes", in: 1...Int.max))
        },
        Key(name: "case_log_max_bytes", summary: "stored log per case run, head and tail kept beyond it (default 64 MiB)") {
            $0.caseLogMaxBytes = Int64(try integer($1, "case_log_max_bytes", in: 1024...Int.max))
        },
        Key(name: "log_chunk_max_bytes", summary: "largest log chunk an agent may post (default 1 MiB)") {
            $0.logChunkMaxBytes = try integer($1, "log_chunk_max_bytes", in: 1024...(64 << 20))
        },
        Key(name: "lease_ttl_s", summary: "lease lifetime without a heartbeat (default 45)") {
            $0.leaseTTLSeconds = try integer($1, "lease_ttl_s", in: 2...3600)
        },
        Key(name: "heartbeat_interval_s", summary: "how often agents renew leases (default 10)") {
            $0.heartbeatIntervalSeconds = try integer($1, "heartbeat_interval_s", in: 1...600)
        },
        Key(name: "lease_wait_s", summary: "longest a lease request waits for work (default 30)") {
            $0.leaseWaitSeconds = Double(try integer($1, "lease_wait_s", in: 0...300))
        },
        Key(name: "shutdown_timeout_s", summary: "longest a graceful shutdown waits for requests to end (default 10)") {
            $0.shutdownTimeoutSeconds = try integer($1, "shutdown_timeout_s", in: 1...600)
        },
        Key(name: "reaper_interval_s", summary: "how often expired leases are looked for (default 2)") {
            $0.reaperIntervalSeconds = try double($1, "reaper_interval_s", in: 0.1...600)
        },
        Key(name: "node_offline_after_s", summary: "silence after which a node is offline (default 90)") {
            $0.nodeOfflineAfterSeconds = try integer($1, "node_offline_after_s", in: 5...86400)
        },
        Key(name: "node_max_infra_failures", summary: "consecutive infrastructure failures that disable a node (default 3)") {
            $0.nodeMaxInfraFailures = try integer($1, "node_max_infra_failures", in: 1...1000)
        },
        Key(name: "aging_interval_s", summary: "seconds of waiting per priority step gained (default 60)") {
            $0.agingIntervalSeconds = try integer($1, "aging_interval_s", in: 1...86400)
        },
        Key(name: "retry_avoid_s", summary: "how long a retried case avoids the node it failed on (default 60)") {
            $0.retryAvoidSeconds = try integer($1, "retry_avoid_s", in: 0...86400)
        },
        Key(name: "session_ttl_s", summary: "web session lifetime (default 43200)") {
            $0.sessionTTLSeconds = try integer($1, "session_ttl_s", in: 60...(90 * 86400))
        },
        Key(name: "member_max_priority", summary: "highest task priority a member may submit (default 10)") {
            $0.memberMaxPriority = try integer($1, "member_max_priority", in: -1000...1000)
        },
        Key(name: "retention_days", summary: "finished tasks older than this many days are deleted; 0 keeps them (default 90)") {
            $0.retentionDays = try double($1, "retention_days", in: 0...36500)
        },
        Key(name: "log_retention_days", summary: "case logs of finished tasks older than this are deleted; 0 keeps them (default 30)") {
            $0.logRetentionDays = try double($1, "log_retention_days", in: 0...36500)
        },
        Key(name: "retention_interval_s", summary: "how often the retention sweep looks for what to delete (default 600)") {
            $0.retentionIntervalSeconds = try double($1, "retention_interval_s", in: 0.1...86400)
        },
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

    private static func integer(_ values: [String], _ key: String, in range: ClosedRange<Int>) throws -> Int {
        let text = try single(values, key)
        guard let value = Int(text), range.contains(value) else {
            throw ConfigurationError("\(key): expected a whole number in \(range.lowerBound)...\(range.upperBound), got \(text)")
        }
        return value
    }

    private static func double(_ values: [String], _ key: String, in range: ClosedRange<Double>) throws -> Double {
        let text = try single(values, key)
        guard let value = Double(text), range.contains(value) else {
            throw ConfigurationError("\(key): expected a number in \(range.lowerBound)...\(range.upperBound), got \(text)")
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
