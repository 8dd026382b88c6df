import Foundation

/// Facts an agent reports about its machine.
public struct NodeFacts: Codable, Sendable, Equatable {
    public var hostname: String
    public var ip: String
    public var os: String
    public var arch: String
    public var agentVersion: String
    public var slots: Int

    public init(hostname: String, ip: String, os: String, arch: String, agentVersion: String, slots: Int) {
        self.hostname = hostname
        self.ip = ip
        self.os = os
        self.arch = arch
        self.agentVersion = agentVersion
        self.slots = slots
    }
}
