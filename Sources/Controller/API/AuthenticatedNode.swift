struct AuthenticatedNode: Sendable {
    var id: Int64
    var name: String
}
