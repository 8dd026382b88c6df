import Foundation
import Logging
import PostgresNIO
import WireProtocol

/// Nodes, their enrollment and what they have installed.
struct NodeRepository: Sendable {
    let database: Database
    let activity: NodeActivity
    /// When nodes are seen: the reaper finds silent nodes by the same clock.
    let clock: SchedulingClock

    enum CredentialCheck: Sendable {
        case node(AuthenticatedNode)
        case revoked(name: String)
        case unknown
    }

    /// The node a credential belongs to; known credentials are cached until a notification says the node
    /// changed.
    func authenticate(credential: String) async throws -> CredentialCheck {
        let hash = Secrets.hash(credential)
        if let cached = activity.credential(hash) {
            if let node = cached.node { return .node(node) }
            if let name = cached.revokedName { return .revoked(name: name) }
        }
        guard
            let row = try await database.query(
                "SELECT id, name, revoked_at IS NOT NULL FROM nodes WHERE credential_hash = \(hash)"
            ).first()
        else { return .unknown }
        let (id, name, revoked) = try row.decode((Int64, String, Bool).self)
        let node = AuthenticatedNode(id: id, name: name)
        activity.remember(hash, node: revoked ? nil : node, revokedName: revoked ? name : nil)
        return revoked ? .revoked(name: name) : .node(node)
    }

    // MARK: Inventory

    /// Replaces what the agent's config file says is installed on the node; returns entries the catalog
    /// does not know.
    func replaceInventory(nodeID: Int64, inventory: Inventory) async throws -> [String] {
        for product in inventory.products {
            try Self.validate(item: "product", product.name, product.version, product.path)
            for tool in product.tools { try Self.validate(item: "tool", tool.name, tool.version, tool.path) }
        }
        if let labels = inventory.labels, let problem = NodeLabels.problem(labels, field: "labels") {
            throw StoreError.invalid(problem)
        }
        return try await database.transaction { transaction in
            if let labels = inventory.labels.map(NodeLabels.normalized) {
                try await transaction.query(
                    """
                    UPDATE nodes SET reported_labels = \(labels), updated_at = now()
                    WHERE id = \(nodeID) AND reported_labels <> \(labels)
                    """
                )
                try await Self.refreshLabels(nodeID: nodeID, transaction: transaction)
            }
            if let facts = inventory.facts {
                try await transaction.query(
                    """
                    UPDATE nodes SET hostname = \(facts.hostname), ip = \(facts.ip), os = \(facts.os),
                        arch = \(facts.arch), agent_version = \(facts.agentVersion), updated_at = now()
                    WHERE id = \(nodeID)
                    """
                )
            }
            // The agent's report is what is installed; rows an install job is changing stay as they are.
            var unknown: [String] = []
            var keptProducts: [Int64] = []
            for product in inventory.products {
                let (nodeProductID, known) = try await transaction.query(
                    Self.recordInstalled(.product, under: nodeID, product.name, product.version, at: product.path, managed: product.managed)
                ).first()!.decode((Int64, Bool).self)
                keptProducts.append(nodeProductID)
                if !known { unknown.append("product \(product.name) \(product.version)") }
                var keptTools: [Int64] = []
                for tool in product.tools {
                    let (toolRowID, toolKnown) = try await transaction.query(
                        Self.recordInstalled(.tool, under: nodeProductID, tool.name, tool.version, at: tool.path, managed: tool.managed)
                    ).first()!.decode((Int64, Bool).self)
                    keptTools.append(toolRowID)
                    if !toolKnown { unknown.append("tool \(tool.name) \(tool.version)") }
                }
                try await transaction.query(
                    """
                    DELETE FROM node_tools WHERE node_product_id = \(nodeProductID) AND NOT (id = ANY(\(keptTools)))
                      AND state NOT IN ('installing', 'removing')
                    """
                )
            }
            try await transaction.query(
                """
                DELETE FROM node_products np WHERE np.node_id = \(nodeID) AND NOT (np.id = ANY(\(keptProducts)))
                  AND np.state NOT IN ('installing', 'removing')
                  AND NOT EXISTS (
                      SELECT 1 FROM node_tools nt WHERE nt.node_product_id = np.id AND nt.state IN ('installing', 'removing'))
                """
            )
            try await transaction.query(
                "SELECT pg_notify(\(Notifications.channel), \(Notifications.nodeChanged(nodeID)))"
            )
            return unknown
        }
    }

    /// The statement that records a product (under its node) or tool (under the node's product) the agent
    /// reports, pointing at the catalog's item when there is one; a row an install job is changing keeps its
    /// path and state. It returns the row's id and whether the catalog knows the item.
    private static func recordInstalled(
        _ kind: CatalogKind,
        under parent: Int64,
        _ name: String,
        _ version: String,
        at path: String,
        managed: Bool?
    ) -> PostgresQuery {
        let source = managed == true ? InstallSource.managed : .agentConfig
        let (table, item, parentColumn) = (kind.inventoryTable, kind.rawValue, kind.inventoryParent)
        return """
            INSERT INTO \(unescaped: table) (\(unescaped: parentColumn), \(unescaped: item)_id, \(unescaped: item)_name,
                \(unescaped: item)_version, install_path, state, source)
            SELECT \(parent), (SELECT id FROM \(unescaped: kind.table) WHERE name = \(name) AND version = \(version)),
                \(name), \(version), \(path), 'installed', \(source.rawValue)
            ON CONFLICT (\(unescaped: parentColumn), \(unescaped: item)_name, \(unescaped: item)_version) DO UPDATE SET
                install_path = CASE WHEN \(unescaped: table).state IN ('installing', 'removing')
                                    THEN \(unescaped: table).install_path ELSE excluded.install_path END,
                state = CASE WHEN \(unescaped: table).state IN ('installing', 'removing')
                             THEN \(unescaped: table).state ELSE 'installed' END,
                source = excluded.source, \(unescaped: item)_id = excluded.\(unescaped: item)_id, updated_at = now()
            RETURNING id, \(unescaped: item)_id IS NOT NULL
            """
    }

    private static func validate(item: String, _ name: String, _ version: String, _ path: String) throws {
        guard !name.isEmpty, name.count <= 200 else { throw StoreError.invalid("\(item) name: 1 to 200 characters") }
        guard !version.isEmpty, version.count <= 100 else {
            throw StoreError.invalid("\(item) \(name) version: 1 to 100 characters")
        }
        guard path.count <= 4096 else { throw StoreError.invalid("\(item) \(name) path: at most 4096 characters") }
    }

    /// What is installed on a node, products with their tools.
    func inventory(nodeID: Int64) async throws -> [NodeProduct] {
        let rows = try await database.query(
            """
            SELECT np.id, np.product_id, np.product_name, np.product_version, np.install_path, np.state, np.source,
                   nt.tool_id, nt.tool_name, nt.tool_version, nt.install_path, nt.state, nt.source
            FROM node_products np LEFT JOIN node_tools nt ON nt.node_product_id = np.id
            WHERE np.node_id = \(nodeID)
            ORDER BY np.product_name, np.product_version, nt.tool_name, nt.tool_version
            """
        ).all()
        var products: [NodeProduct] = []
        var lastID: Int64?
        for row in rows {
            let (
                npID, productID, name, version, path, state, source, toolID, toolName, toolVersion, toolPath,
                toolState, toolSource
            ) = try row.decode(
                (
                    Int64, Int64?, String, String, String, String, String, Int64?, String?, String?, String?,
                    String?, String?
                ).self
            )
            if npID != lastID {
                products.append(
                    NodeProduct(
                        productId: productID,
                        name: name,
                        version: version,
                        installPath: path,
                        state: InstallState(rawValue: state) ?? .installed,
                        source: InstallSource(rawValue: source) ?? .agentConfig,
                        tools: []
                    )
                )
                lastID = npID
            }
            if let toolName, let toolVersion {
                products[products.count - 1].tools.append(
                    NodeTool(
                        toolId: toolID,
                        name: toolName,
                        version: toolVersion,
                        installPath: toolPath ?? "",
                        state: InstallState(rawValue: toolState ?? "") ?? .installed,
                        source: InstallSource(rawValue: toolSource ?? "") ?? .agentConfig
                    )
                )
            }
        }
        return products
    }

    /// The (product, tool) pairs a node can run cases for.
    func capabilities(nodeID: Int64) async throws -> Set<WorkKey> {
        var keys: Set<WorkKey> = []
        for try await (product, tool) in try await database.query(
            """
            SELECT np.product_id, nt.tool_id FROM node_products np JOIN node_tools nt ON nt.node_product_id = np.id
            WHERE np.node_id = \(nodeID) AND np.state = 'installed' AND nt.state = 'installed'
              AND np.product_id IS NOT NULL AND nt.tool_id IS NOT NULL
            """
        ).decode((Int64, Int64).self) {
            keys.insert(WorkKey(productID: product, toolID: tool))
        }
        return keys
    }

    // MARK: Nodes

    static let nodeColumns = """
        n.id, n.name, n.hostname, n.ip, n.os, n.arch, n.agent_version, n.slots, n.labels, n.state, n.state_reason,
        n.last_seen_at, n.revoked_at IS NOT NULL, n.created_at, n.reported_labels, n.assigned_labels
        """

    /// Sets a node's labels, the set leasing matches against, to those it was assigned and those it reports.
    static func refreshLabels(nodeID: Int64, transaction: Transaction) async throws {
        try await transaction.query(
            """
            UPDATE nodes SET labels = ARRAY(SELECT DISTINCT l FROM unnest(assigned_labels || reported_labels) l ORDER BY l)
            WHERE id = \(nodeID)
            """
        )
    }

    func list(_ pagination: Pagination, state: NodeState?) async throws -> Page<NodeInfo> {
        let rows = try await database.query(
            """
            SELECT \(unescaped: Self.nodeColumns) FROM nodes n
            WHERE n.id > \(pagination.after ?? 0) AND (\(state?.rawValue)::text IS NULL OR n.state = \(state?.rawValue))
            ORDER BY n.id LIMIT \(pagination.limit + 1)
            """
        ).all()
        var nodes = try rows.map { try Self.node($0) }
        let running = try await runningCases(nodeIDs: nodes.map(\.id))
        for index in nodes.indices { nodes[index].runningCases = running[nodes[index].id] ?? [] }
        return pagination.page(nodes, id: \.id)
    }

    /// How many nodes are in each state; states without nodes are absent.
    func countsByState() async throws -> [NodeState: Int] {
        var counts: [NodeState: Int] = [:]
        for try await (state, count) in try await database.query(
            "SELECT state, count(*)::int FROM nodes GROUP BY state"
        ).decode((String, Int).self) {
            if let state = NodeState(rawValue: state) { counts[state] = count }
        }
        return counts
    }

    func get(id: Int64) async throws -> NodeInfo {
        guard let row = try await database.query("SELECT \(unescaped: Self.nodeColumns) FROM nodes n WHERE n.id = \(id)").first()
        else { throw StoreError.notFound("no node \(id)") }
        var node = try Self.node(row)
        node.runningCases = try await runningCases(nodeIDs: [id])[id] ?? []
        node.inventory = try await inventory(nodeID: id)
        return node
    }

    private func runningCases(nodeIDs: [Int64]) async throws -> [Int64: [RunningCase]] {
        guard !nodeIDs.isEmpty else { return [:] }
        var out: [Int64: [RunningCase]] = [:]
        for row in try await database.query(
            """
            SELECT node_id, id, name, task_id, state, leased_at FROM cases
            WHERE node_id = ANY(\(nodeIDs)) AND state IN ('leased', 'running') ORDER BY leased_at
            """
        ).all() {
            let (nodeID, caseID, name, taskID, state, leasedAt) = try row.decode(
                (Int64, Int64, String, Int64, String, Date?).self
            )
            out[nodeID, default: []].append(
                RunningCase(
                    caseId: caseID,
                    name: name,
                    taskId: taskID,
                    state: CaseState(rawValue: state) ?? .running,
                    leasedAt: leasedAt
                )
            )
        }
        return out
    }

    static func node(_ row: PostgresRow) throws -> NodeInfo {
        let (
            id, name, hostname, ip, os, arch, version, slots, labels, state, reason, lastSeen, revoked, created,
            reported, assigned
        ) =
            try row.decode(
                (
                    Int64, String, String, String, String, String, String, Int, [String], String, String?, Date?,
                    Bool, Date, [String], [String]
                ).self
            )
        return NodeInfo(
            id: id,
            name: name,
            hostname: hostname,
            ip: ip,
            os: os,
            arch: arch,
            agentVersion: version,
            slots: slots,
            labels: labels,
            state: NodeState(rawValue: state) ?? .offline,
            stateReason: reason,
            lastSeenAt: lastSeen,
            revoked: revoked,
            runningCases: [],
            inventory: nil,
            createdAt: created,
            reportedLabels: reported,
            assignedLabels: assigned
        )
    }

    /// Changes a node's state, slots or labels (admin).
    func patch(id: Int64, _ patch: NodePatch, by caller: Caller) async throws -> NodeInfo {
        if let slots = patch.slots, !(1...1024).contains(slots) {
            throw StoreError.invalid("slots: expected 1 to 1024, got \(slots)")
        }
        if patch.state == .offline {
            throw StoreError.invalid("state: offline is set by the controller; use online, draining or disabled")
        }
        if let labels = patch.labels, let problem = NodeLabels.problem(labels, field: "labels") {
            throw StoreError.invalid(problem)
        }
        let assigned = patch.labels.map(NodeLabels.normalized)
        try await database.transaction { transaction in
            let rows = try await transaction.query(
                """
                UPDATE nodes SET
                    state = coalesce(\(patch.state?.rawValue), state),
                    state_reason = CASE WHEN \(patch.state?.rawValue)::text IS NULL THEN state_reason
                                        ELSE 'set by an admin' END,
                    consecutive_infra_failures = CASE WHEN \(patch.state?.rawValue) = 'online' THEN 0
                                                      ELSE consecutive_infra_failures END,
                    slots = coalesce(\(patch.slots), slots),
                    assigned_labels = coalesce(\(assigned), assigned_labels),
                    updated_at = now()
                WHERE id = \(id) RETURNING name
                """
            ).collect(String.self)
            guard let name = rows.first else { throw StoreError.notFound("no node \(id)") }
            try await Self.refreshLabels(nodeID: id, transaction: transaction)
            try await transaction.query(
                "SELECT pg_notify(\(Notifications.channel), \(Notifications.nodeChanged(id)))"
            )
            for (action, detail) in Self.auditedChanges(patch, name: name) {
                try await transaction.audit(caller, action, .node(id), detail)
            }
        }
        return try await get(id: id)
    }

    /// Revokes a node's credential: its agent can do nothing more; its running cases are lost and requeued by
    /// the reaper when their leases expire.
    func revoke(id: Int64, by caller: Caller) async throws {
        try await database.transaction(notifying: Notifications.nodeChanged(id)) { transaction in
            let rows = try await transaction.query(
                """
                UPDATE nodes SET revoked_at = coalesce(revoked_at, now()), state = 'disabled',
                    state_reason = 'credential revoked', updated_at = now()
                WHERE id = \(id) RETURNING name
                """
            ).collect(String.self)
            guard let name = rows.first else { throw StoreError.notFound("no node \(id)") }
            try await transaction.audit(caller, .nodeRevoke, .node(id), name)
        }
        activity.forget(node: id)
    }

    /// The audit entries of a node patch: one for a new state, one for new slots or labels.
    static func auditedChanges(_ patch: NodePatch, name: String) -> [(AuditAction, String)] {
        var changes: [(AuditAction, String)] = []
        switch patch.state {
        case .online: changes.append((.nodeEnable, name))
        case .draining: changes.append((.nodeDrain, name))
        case .disabled: changes.append((.nodeDisable, name))
        case .offline, nil: break
        }
        var updated: [String] = []
        if let slots = patch.slots { updated.append("\(slots) slots") }
        if let labels = patch.labels { updated.append("labels " + (labels.isEmpty ? "none" : labels.joined(separator: ", "))) }
        if !updated.isEmpty { changes.append((.nodeUpdate, "\(name): " + updated.joined(separator: "; "))) }
        return changes
    }

    /// Records that the node was heard from; an offline node comes back online. Visits soon after a
    /// recorded one are written in batches by ``PresenceWriter``.
    func touch(nodeID: Int64) async throws {
        guard activity.needsImmediateWrite(nodeID) else { return }
        try await database.query(
            """
            UPDATE nodes SET last_seen_at = \(clock.now),
                state = CASE WHEN state = 'offline' THEN 'online' ELSE state END,
                state_reason = CASE WHEN state = 'offline' THEN NULL ELSE state_reason END
            WHERE id = \(nodeID)
            """
        )
    }
}
