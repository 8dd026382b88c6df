import Foundation

public enum InstallState: String, Codable, Sendable {
    case installing, installed, failed, removing
}
