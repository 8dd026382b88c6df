import Foundation

public enum InstallJobState: String, Codable, Sendable {
    case queued, leased, running, succeeded, failed, cancelled

    public var isTerminal: Bool { self == .succeeded || self == .failed || self == .cancelled }
}
