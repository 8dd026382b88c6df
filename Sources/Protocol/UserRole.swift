public enum UserRole: String, Codable, Sendable, CaseIterable {
    case admin, member
}
