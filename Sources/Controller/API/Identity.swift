/// Who is calling: a user (by session, API token or password) or a node (by its credential).
enum Identity: Sendable {
    case user(AuthenticatedUser)
    case node(AuthenticatedNode)
}
