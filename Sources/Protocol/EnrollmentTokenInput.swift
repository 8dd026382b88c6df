import Foundation

/// Body of `POST /api/v1/enrollment-tokens`.
public struct EnrollmentTokenInput: Codable, Sendable {
    public var ttlS: Int?
    public var maxUses: Int?
    public var note: String?

    public init(ttlS: Int? = nil, maxUses: Int? = nil, note: String? = nil) {
        self.ttlS = ttlS
        self.maxUses = maxUses
        self.note = note
    }
}
