import PostgresNIO
import WireProtocol

/// Where a kind of catalog item is kept, and what its changes are called in the audit log.
extension CatalogKind {
    /// The table of this kind's items.
    var table: String { plural }

    /// The table of what nodes have installed of this kind, and the column naming what each row belongs to:
    /// a product to its node, a tool to the node's product.
    var inventoryTable: String { "node_" + table }
    var inventoryParent: String { self == .product ? "node_id" : "node_product_id" }

    var createAction: AuditAction { self == .product ? .productCreate : .toolCreate }
    var updateAction: AuditAction { self == .product ? .productUpdate : .toolUpdate }
    var deleteAction: AuditAction { self == .product ? .productDelete : .toolDelete }
    var artifactAction: AuditAction { self == .product ? .productArtifact : .toolArtifact }

    /// Links the inventory entries nodes reported for `name` and `version` before the catalog had the item.
    func matchNodeInventory(id: Int64, name: String, version: String) -> PostgresQuery {
        """
        UPDATE \(unescaped: inventoryTable) SET \(unescaped: rawValue)_id = \(id)
        WHERE \(unescaped: rawValue)_name = \(name) AND \(unescaped: rawValue)_version = \(version) AND \(unescaped: rawValue)_id IS NULL
        """
    }
}
