import Foundation

/// The answer to a result: with `next` asked, the node's next assignment, exactly as `POST
/// /api/v1/agent/lease` would answer it; absent when none came within the wait.
public struct ResultAnswer: Codable, Sendable, Equatable {
    public var next: Assignment?

    public init(next: Assignment? = nil) { self.next = next }
}
