import Foundation
import WireProtocol

/// The labels an agent reports: those of its config file, and `os:`, `arch:` and `kind:` it finds out, unless the
/// config file sets a label with that prefix (detection can be wrong; the admin's word wins).
enum AgentLabels {
    static func compose(configured: [String], os: String, arch: String, kind: MachineKind) -> [String] {
        var labels = configured
        for (prefix, value) in [("os:", os), ("arch:", arch), ("kind:", kind.rawValue)] where !value.isEmpty {
            if !configured.contains(where: { $0.hasPrefix(prefix) }) { labels.append(prefix + value.lowercased()) }
        }
        return NodeLabels.normalized(labels)
    }

    /// This machine's labels with `configured`.
    static func collect(configured: [String], kind: MachineKind) -> [String] {
        compose(configured: configured, os: LocalFacts.kernelName(), arch: LocalFacts.machine(), kind: kind)
    }
}
