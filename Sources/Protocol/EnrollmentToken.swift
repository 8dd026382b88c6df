import Foundation

public struct EnrollmentToken: Codable, Sendable {
    public var id: Int64
    public var note: String
    public var expiresAt: Date
    public var maxUses: Int
    public var uses: Int
    public var revoked: Bool
    public var createdAt: Date
    /// Only in the answer to the creation.
    public var token: String?
    /// Only in the answer to the creation: the ready `testfleet-agent enroll …` line.
    public var command: String?

    public init(
        id: Int64,
        note: String,
        expiresAt: Date,
        maxUses: Int,
        uses: Int,
        revoked: Bool,
        createdAt: Date,
        token: String? = nil,
        command: String? = nil
    ) {
        self.id = id
        self.note = note
        self.expiresAt = expiresAt
        self.maxUses = maxUses
        self.uses = uses
        self.revoked = revoked
        self.createdAt = createdAt
        self.token = token
        self.command = command
    }
}
