import ConfigFile
import Foundation
import WireProtocol

/// The agent's configuration file (TOML): where the controller is, how to trust it, how many cases to run at
/// once, where to work, its labels, and what is installed on this machine (`[[product]]` tables with
/// `[[product.tool]]` tables, edited by the admin). Relative paths are relative to the file's directory.
struct AgentConfiguration: Sendable, Equatable {
    var controller: String
    var name: String
    var slots = 1
    var caFile = "ca.crt"
    var credentialFile = "credential"
    /// Spool, per-case work directories and installs the agent manages.
    var dataDir = "data"
    /// Per-case work directories; default `<data_dir>/work`.
    var workDir: String?
    /// Seconds between TERM and KILL when a case is stopped.
    var killGraceSeconds = 10
    /// Seconds running cases may finish after SIGTERM before they are killed and handed back.
    var shutdownGraceSeconds = 60
    /// Seconds a lease request may wait for work.
    var leaseWaitSeconds = 30
    /// Keep work directories of finished cases (for debugging).
    var keepWorkDirs = false
    /// How much an artifact archive may unpack to (`unpack_max_bytes`, `unpack_max_ratio`).
    var archiveLimits = ArchiveLimits()
    /// Labels tasks may require of this node (`gpu`, `lab-b`); the agent adds `os:`, `arch:` and `kind:` itself.
    var labels: [String] = []
    var products: [InventoryProduct] = []

    /// The file this configuration was read from; relative paths are resolved against its directory.
    var path: URL = URL(fileURLWithPath: "agent.toml")

    struct Failure: Error, CustomStringConvertible {
        var description: String
    }

    /// `relative` resolved against the config file's directory. Saying whether it is a directory spares Foundation
    /// a look at the disk to find out, which the spool and work directories would cost every case.
    func resolve(_ relative: String, isDirectory: Bool = false) -> URL {
        relative.hasPrefix("/")
            ? URL(fileURLWithPath: relative, isDirectory: isDirectory)
            : path.deletingLastPathComponent().appendingPathComponent(relative, isDirectory: isDirectory).standardizedFileURL
    }

    var caURL: URL { resolve(caFile) }
    var credentialURL: URL { resolve(credentialFile) }
    var dataURL: URL { resolve(dataDir, isDirectory: true) }
    var workURL: URL { workDir.map { resolve($0, isDirectory: true) } ?? dataURL.appendingPathComponent("work", isDirectory: true) }
    var spoolURL: URL { dataURL.appendingPathComponent("spool", isDirectory: true) }

    /// The data directory `enroll` writes into a new config file at `configURL`: `/var/lib/testfleet-agent`
    /// for root's `/etc/testfleet`, else `<stem>-data` beside the file.
    static func defaultDataDir(configURL: URL, asRoot: Bool = geteuid() == 0) -> String {
        let directory = configURL.deletingLastPathComponent().standardizedFileURL.path
        return asRoot && directory == "/etc/testfleet" ? "/var/lib/testfleet-agent" : "\(configURL.deletingPathExtension().lastPathComponent)-data"
    }

    static func load(path: String) throws -> AgentConfiguration {
        let url = URL(fileURLWithPath: path).standardizedFileURL
        let bytes: Data
        do {
            bytes = try Data(contentsOf: url)
        } catch {
            throw Failure(description: "cannot read \(path): \(error.localizedDescription); enroll first (testfleet-agent enroll)")
        }
        do {
            var config = try parse(try TOML.parse(bytes: bytes))
            config.path = url
            return config
        } catch let error as TOMLError {
            throw Failure(description: "\(path), \(error)")
        } catch let error as Failure {
            throw Failure(description: "\(path): \(error.description)")
        }
    }

    static func parse(_ table: TOMLTable) throws -> AgentConfiguration {
        func string(_ key: String, in table: TOMLTable, required: Bool = false) throws -> String? {
            guard let value = table[key] else {
                if required { throw Failure(description: "missing \(key)") }
                return nil
            }
            guard let text = value.string else { throw Failure(description: "\(key) must be a string") }
            return text
        }
        func integer(_ key: String, in table: TOMLTable, range: ClosedRange<Int64>) throws -> Int? {
            guard let value = table[key] else { return nil }
            guard let number = value.integer, range.contains(number) else {
                throw Failure(description: "\(key) must be a whole number from \(range.lowerBound) to \(range.upperBound)")
            }
            return Int(number)
        }
        let known: Set<String> = [
            "controller", "name", "slots", "ca_file", "credential_file", "data_dir", "work_dir", "kill_grace_s",
            "shutdown_grace_s", "lease_wait_s", "keep_work_dirs", "unpack_max_bytes", "unpack_max_ratio", "labels",
            "product",
        ]
        if let unknown = table.keys.first(where: { !known.contains($0) }) {
            throw Failure(description: "unknown key \(unknown)")
        }
        var config = AgentConfiguration(
            controller: try string("controller", in: table, required: true)!,
            name: try string("name", in: table, required: true)!
        )
        config.slots = try integer("slots", in: table, range: 1...1024) ?? config.slots
        config.caFile = try string("ca_file", in: table) ?? config.caFile
        config.credentialFile = try string("credential_file", in: table) ?? config.credentialFile
        config.dataDir = try string("data_dir", in: table) ?? config.dataDir
        config.workDir = try string("work_dir", in: table)
        config.killGraceSeconds = try integer("kill_grace_s", in: table, range: 0...3600) ?? config.killGraceSeconds
        config.shutdownGraceSeconds = try integer("shutdown_grace_s", in: table, range: 0...86400) ?? config.shutdownGraceSeconds
        config.leaseWaitSeconds = try integer("lease_wait_s", in: table, range: 1...300) ?? config.leaseWaitSeconds
        config.archiveLimits.maxBytes = Int64(
            try integer("unpack_max_bytes", in: table, range: (1 << 20)...(1 << 50)) ?? Int(config.archiveLimits.maxBytes)
        )
        config.archiveLimits.maxRatio = Int64(try integer("unpack_max_ratio", in: table, range: 1...1_000_000) ?? Int(config.archiveLimits.maxRatio))
        if let keep = table["keep_work_dirs"] {
            guard let flag = keep.boolean else { throw Failure(description: "keep_work_dirs must be true or false") }
            config.keepWorkDirs = flag
        }
        if let labels = table["labels"] {
            guard let values = labels.array?.compactMap(\.string), values.count == labels.array?.count else {
                throw Failure(description: "labels must be a list of strings, e.g. labels = [\"gpu\", \"lab-b\"]")
            }
            if let problem = NodeLabels.problem(values, field: "labels") { throw Failure(description: problem) }
            config.labels = values
        }
        if let products = table["product"], products.array == nil || products.array!.contains(where: { $0.table == nil }) {
            throw Failure(description: "product must be written as [[product]] tables")
        }
        for (index, product) in table.tables("product").enumerated() {
            let where_ = "product #\(index + 1)"
            guard let name = try string("name", in: product), let version = try string("version", in: product),
                let path = try string("path", in: product)
            else { throw Failure(description: "\(where_) needs name, version and path") }
            var tools: [InventoryTool] = []
            for (toolIndex, tool) in product.tables("tool").enumerated() {
                guard let toolName = try string("name", in: tool), let toolVersion = try string("version", in: tool) else {
                    throw Failure(description: "\(where_) (\(name)), tool #\(toolIndex + 1) needs name and version")
                }
                tools.append(InventoryTool(name: toolName, version: toolVersion, path: try string("path", in: tool) ?? path))
            }
            config.products.append(InventoryProduct(name: name, version: version, path: path, tools: tools))
        }
        return config
    }

    /// The file's text: settings first, then the inventory.
    func render() -> String {
        var out = """
            # Testfleet agent configuration. Relative paths are relative to this file's directory.
            controller = \(TOML.quote(controller))
            name = \(TOML.quote(name))
            slots = \(slots)
            ca_file = \(TOML.quote(caFile))
            credential_file = \(TOML.quote(credentialFile))
            data_dir = \(TOML.quote(dataDir))

            """
        if let workDir { out += "work_dir = \(TOML.quote(workDir))\n" }
        out += "kill_grace_s = \(killGraceSeconds)\nshutdown_grace_s = \(shutdownGraceSeconds)\n"
        if keepWorkDirs { out += "keep_work_dirs = true\n" }
        let limits = ArchiveLimits()
        if archiveLimits.maxBytes != limits.maxBytes { out += "unpack_max_bytes = \(archiveLimits.maxBytes)\n" }
        if archiveLimits.maxRatio != limits.maxRatio { out += "unpack_max_ratio = \(archiveLimits.maxRatio)\n" }
        let labelList = labels.map(TOML.quote).joined(separator: ", ")
        out += """

            # Labels tasks may require of this node; os:, arch: and kind:physical|virtual are added unless set here.
            \(labels.isEmpty ? "# labels = [\"gpu\", \"lab-b\"]" : "labels = [\(labelList)]")

            # What is installed on this machine. One [[product]] table per product version, each with
            # [[product.tool]] tables for the test tools installed for it, e.g.:
            #
            # [[product]]
            # name = "myapp"
            # version = "1.2"
            # path = "/opt/myapp-1.2"
            #
            # [[product.tool]]
            # name = "pytest-runner"
            # version = "3"
            # path = "/opt/runner"

            """
        for product in products {
            out += TOML.arrayTable("product", ["name": product.name, "version": product.version, "path": product.path])
            for tool in product.tools {
                out += TOML.arrayTable("product.tool", ["name": tool.name, "version": tool.version, "path": tool.path])
            }
        }
        return out
    }

    func readCredential() throws -> String {
        do {
            return try String(contentsOf: credentialURL, encoding: .utf8).trimmingCharacters(in: .whitespacesAndNewlines)
        } catch {
            throw Failure(description: "cannot read the node credential \(credentialURL.path): \(error.localizedDescription)")
        }
    }

    func readCA() throws -> String? {
        guard controller.lowercased().hasPrefix("https") else { return nil }
        do {
            return try String(contentsOf: caURL, encoding: .utf8)
        } catch {
            throw Failure(description: "cannot read the controller CA \(caURL.path): \(error.localizedDescription)")
        }
    }
}
