/// The messages controllers send each other through PostgreSQL `NOTIFY` on one channel.
enum Notifications {
    static let channel = "testfleet"

    /// `count` cases of a product/tool pair became leasable. When only nodes with certain labels may take them
    /// (`labelled`), every waiter for the pair looks: which of them have the labels is not known here.
    static func work(_ key: WorkKey, count: Int, labelled: Bool = false) -> String {
        workPrefix(key) + (labelled && count > 0 ? everyWaiter : String(count))
    }
    /// The count of a ``work(_:count:labelled:)`` message that wakes every waiter for its pair.
    static let everyWaiter = "*"
    /// ``work(_:count:)`` without the count, for statements that count in SQL.
    static func workPrefix(_ key: WorkKey) -> String { "work:\(key.productID):\(key.toolID):" }
    /// A node's state, slots or inventory changed: its waiters look again.
    static func nodeChanged(_ nodeID: Int64) -> String { "node:\(nodeID)" }
    /// Catalog links or ids changed: every node's capabilities are read again.
    static let catalogChanged = "catalog"
    /// An install job was queued for a node.
    static func installQueued(_ nodeID: Int64) -> String { "install:\(nodeID)" }
    /// A product or tool was changed or deleted: cached ones are looked up again.
    static let catalogEdited = "catalog-edited"
    /// An API token was revoked, or a user disabled, deleted or given another role: cached tokens are looked
    /// up again.
    static let tokenRevoked = "token-revoked"

    enum Message: Equatable, Sendable {
        case work(WorkKey, count: Int)
        case nodeChanged(Int64)
        case catalogChanged
        case installQueued(Int64)
        case catalogEdited
        case tokenRevoked
    }

    static func parse(_ payload: String) -> Message? {
        let parts = payload.split(separator: ":")
        switch parts.first {
        case "work":
            guard parts.count == 4, let product = Int64(parts[1]), let tool = Int64(parts[2]),
                let count = parts[3] == everyWaiter ? Int.max : Int(parts[3])
            else { return nil }
            return .work(WorkKey(productID: product, toolID: tool), count: count)
        case "node":
            guard parts.count == 2, let id = Int64(parts[1]) else { return nil }
            return .nodeChanged(id)
        case "catalog":
            return .catalogChanged
        case "install":
            guard parts.count == 2, let id = Int64(parts[1]) else { return nil }
            return .installQueued(id)
        case "catalog-edited":
            return .catalogEdited
        case "token-revoked":
            return .tokenRevoked
        default:
            return nil
        }
    }
}
