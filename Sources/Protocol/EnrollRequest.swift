import Foundation

/// Body of `POST /api/v1/agent/enroll`, authenticated by the enrollment token.
public struct EnrollRequest: Codable, Sendable {
    public var name: String
    public var facts: NodeFacts

    public init(name: String, facts: NodeFacts) {
        self.name = name
        self.facts = facts
    }
}
