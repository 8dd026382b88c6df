/// What the lease path keeps about nodes between requests: their capabilities and their activity. Whenever a
/// node changes (state, slots, labels, inventory, an install), both are forgotten together.
struct NodeCaches: Sendable {
    let capabilities: NodeCapabilities
    let activity: NodeActivity

    func forget(node: Int64) {
        capabilities.forget(node: node)
        activity.forget(node: node)
    }

    func forgetAll() {
        capabilities.forgetAll()
        activity.forgetAll()
    }
}
