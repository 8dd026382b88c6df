import Foundation

/// Where an installed item came from.
public enum InstallSource: String, Codable, Sendable {
    case agentConfig = "agent-config"
    case managed
}
