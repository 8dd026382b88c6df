import Foundation
import Logging
import PostgresNIO
import WireProtocol

/// Install and uninstall jobs: environment work on a node that its agent leases like a case. The rows of
/// `node_products`/`node_tools` show the work in progress (`installing`, `removing`) until the job ends.
struct InstallJobRepository: Sendable {
    let database: Database
    let catalog: CatalogRepository
    let leaseTTLSeconds: Int
    let heartbeatIntervalSeconds: Int
    /// When leases expire, as for cases.
    let clock: SchedulingClock

    static let logLimit = 1 << 20

    /// Queues a job for `change` on a node and marks what it will change.
    func create(nodeID: Int64, change: EnvironmentChange, by caller: Caller) async throws -> InstallJob {
        let product: Product
        do {
            product = try await catalog.item(Product.self, id: change.productId)
        } catch let error as StoreError where error.kind == .notFound {
            throw StoreError.invalid("product_id: no product \(change.productId)")
        }
        let toolIDs = Array(Set(change.toolIds)).sorted()
        let linked = Set(try await catalog.linkedTools(productID: product.id).map(\.id))
        for id in toolIDs where !linked.contains(id) {
            throw StoreError.invalid("tool_ids: tool \(id) is not linked to product \(product.name) \(product.version)")
        }
        let jobID: Int64 = try await database.transaction { transaction in
            guard
                try await transaction.query("SELECT id FROM nodes WHERE id = \(nodeID) FOR UPDATE").first() != nil
            else { throw StoreError.notFound("no node \(nodeID)") }
            let existing = try await transaction.query(
                """
                SELECT id, state, source FROM node_products
                WHERE node_id = \(nodeID) AND product_name = \(product.name) AND product_version = \(product.version)
                """
            ).first().map { try $0.decode((Int64, String, String).self) }
            var tools: [Int64: (state: String, source: String)] = [:]
            if let existing {
                for row in try await transaction.query(
                    "SELECT tool_id, state, source FROM node_tools WHERE node_product_id = \(existing.0) AND tool_id IS NOT NULL"
                ).all() {
                    let (id, state, source) = try row.decode((Int64, String, String).self)
                    tools[id] = (state, source)
                }
            }
            let busy = ["installing", "removing"]
            if let existing, busy.contains(existing.1) || tools.values.contains(where: { busy.contains($0.state) }) {
                throw StoreError.conflict("an install job for \(product.name) \(product.version) is already under way on this node")
            }
            let what = "\(product.name) \(product.version)"
            switch change.action {
            case .install:
                let withProduct = existing == nil || existing?.1 == "failed"
                let toInstall = toolIDs.filter { tools[$0]?.state != "installed" }
                guard withProduct || !toInstall.isEmpty else {
                    throw StoreError.conflict("\(what) and the requested tools are already installed on this node")
                }
                let nodeProductID = try await transaction.query(
                    """
                    INSERT INTO node_products (node_id, product_id, product_name, product_version, install_path, state, source)
                    VALUES (\(nodeID), \(product.id), \(product.name), \(product.version), '', 'installing', 'managed')
                    ON CONFLICT (node_id, product_name, product_version) DO UPDATE SET
                        state = CASE WHEN node_products.state = 'failed' THEN 'installing' ELSE node_products.state END,
                        source = CASE WHEN node_products.state = 'failed' THEN 'managed' ELSE node_products.source END,
                        updated_at = now()
                    RETURNING id
                    """
                ).collect(Int64.self)[0]
                for id in toInstall {
                    let tool = try await catalog.item(Tool.self, id: id)
                    try await transaction.query(
                        """
                        INSERT INTO node_tools (node_product_id, tool_id, tool_name, tool_version, install_path, state, source)
                        VALUES (\(nodeProductID), \(tool.id), \(tool.name), \(tool.version), '', 'installing', 'managed')
                        ON CONFLICT (node_product_id, tool_name, tool_version) DO UPDATE SET
                            state = 'installing', source = 'managed', updated_at = now()
                        """
                    )
                }
                return try await insertJob(transaction, nodeID, product.id, toInstall, withProduct, .install, caller, what)
            case .uninstall:
                guard let existing, existing.1 != "failed" || !toolIDs.isEmpty else {
                    throw StoreError.conflict("\(what) is not installed on this node")
                }
                let targets = toolIDs.isEmpty ? Array(tools.keys) : toolIDs
                for id in targets {
                    guard let tool = tools[id] else { throw StoreError.conflict("tool \(id) is not installed with \(what) on this node") }
                    if tool.source == InstallSource.agentConfig.rawValue {
                        throw StoreError.conflict(
                            "tool \(id) of \(what) comes from the agent's config file; remove it there, not through an install job"
                        )
                    }
                }
                if toolIDs.isEmpty && existing.2 == InstallSource.agentConfig.rawValue {
                    throw StoreError.conflict(
                        "\(what) comes from the agent's config file; remove it there, not through an install job"
                    )
                }
                try await transaction.query(
                    """
                    UPDATE node_tools SET state = 'removing', updated_at = now()
                    WHERE node_product_id = \(existing.0) AND tool_id = ANY(\(targets))
                    """
                )
                if toolIDs.isEmpty {
                    try await transaction.query(
                        "UPDATE node_products SET state = 'removing', updated_at = now() WHERE id = \(existing.0)"
                    )
                }
                return try await insertJob(transaction, nodeID, product.id, targets, toolIDs.isEmpty, .uninstall, caller, what)
            }
        }
        return try await get(id: jobID)
    }

    private func insertJob(
        _ transaction: Transaction,
        _ nodeID: Int64,
        _ productID: Int64,
        _ toolIDs: [Int64],
        _ withProduct: Bool,
        _ action: EnvironmentChange.Action,
        _ caller: Caller,
        _ what: String
    ) async throws -> Int64 {
        let id = try await transaction.query(
            """
            INSERT INTO install_jobs (node_id, product_id, tool_ids, with_product, action, created_by)
            VALUES (\(nodeID), \(productID), \(toolIDs), \(withProduct), \(action.rawValue), \(caller.userID)) RETURNING id
            """
        ).collect(Int64.self)[0]
        try await transaction.query(
            "SELECT pg_notify(\(Notifications.channel), \(Notifications.installQueued(nodeID)))"
        )
        let items = (withProduct ? ["the product"] : []) + toolIDs.map { "tool \($0)" }
        let detail = "\(what) on node \(nodeID): " + items.joined(separator: ", ")
        try await transaction.audit(caller, action == .install ? .environmentInstall : .environmentUninstall, .installJob(id), detail)
        return id
    }

    /// The node's next queued job, unless one is already running there.
    func lease(nodeID: Int64) async throws -> InstallAssignment? {
        let token = Int64.random(in: 1...Int64.max)
        let ttl = Double(leaseTTLSeconds)
        let now = clock.now
        guard
            let row = try await database.query(
                """
                WITH next AS (
                    SELECT id FROM install_jobs
                    WHERE node_id = \(nodeID) AND state = 'queued'
                      AND NOT EXISTS (SELECT 1 FROM install_jobs r WHERE r.node_id = \(nodeID) AND r.state IN ('leased', 'running'))
                    ORDER BY id LIMIT 1 FOR UPDATE SKIP LOCKED
                )
                UPDATE install_jobs j SET state = 'leased', lease_id = gen_random_uuid(), lease_token = \(token),
                    lease_expires_at = \(now) + make_interval(secs => \(ttl)), started_at = \(now), updated_at = \(now)
                FROM next WHERE j.id = next.id
                RETURNING j.id, j.product_id, j.tool_ids, j.with_product, j.action, j.lease_expires_at
                """
            ).first()
        else { return nil }
        let (id, productID, toolIDs, withProduct, action, expires) = try row.decode(
            (Int64, Int64, [Int64], Bool, String, Date).self
        )
        let product = try await catalog.item(Product.self, id: productID)
        var tools: [InstallItem] = []
        for toolID in toolIDs {
            let tool = try await catalog.item(Tool.self, id: toolID)
            tools.append(
                InstallItem(
                    kind: .tool,
                    id: tool.id,
                    name: tool.name,
                    version: tool.version,
                    downloadUrl: tool.downloadUrl,
                    downloadSha256: tool.downloadSha256,
                    artifact: tool.artifact,
                    installScript: tool.installScript
                )
            )
        }
        var paths: [String: String] = [:]
        for pathRow in try await database.query(
            """
            SELECT np.install_path, nt.tool_name, nt.tool_version, nt.install_path
            FROM node_products np LEFT JOIN node_tools nt ON nt.node_product_id = np.id
            WHERE np.node_id = \(nodeID) AND np.product_id = \(productID)
            """
        ).all() {
            let (productPath, toolName, toolVersion, toolPath) = try pathRow.decode((String, String?, String?, String?).self)
            if !productPath.isEmpty { paths["product"] = productPath }
            if let toolName, let toolVersion, let toolPath, !toolPath.isEmpty {
                paths[InstallResult.toolKey(name: toolName, version: toolVersion)] = toolPath
            }
        }
        return InstallAssignment(
            jobId: id,
            token: token,
            expiresAt: expires,
            heartbeatIntervalS: heartbeatIntervalSeconds,
            action: EnvironmentChange.Action(rawValue: action) ?? .install,
            product: InstallItem(
                kind: .product,
                id: product.id,
                name: product.name,
                version: product.version,
                downloadUrl: product.downloadUrl,
                downloadSha256: product.downloadSha256,
                artifact: product.artifact,
                installScript: product.installScript
            ),
            withProduct: withProduct,
            tools: tools,
            installedPaths: paths
        )
    }

    /// Takes back a job whose agent hung up before the lease reached it.
    func release(jobID: Int64) async throws {
        try await database.query(
            """
            UPDATE install_jobs SET state = 'queued', lease_id = NULL, lease_token = NULL, lease_expires_at = NULL,
                started_at = NULL, updated_at = now()
            WHERE id = \(jobID) AND state = 'leased'
            """
        )
    }

    /// Renews a job's lease and appends to its log.
    func progress(jobID: Int64, nodeID: Int64, token: Int64, log: String) async throws {
        let ttl = Double(leaseTTLSeconds)
        let now = clock.now
        let rows = try await database.query(
            """
            UPDATE install_jobs SET state = 'running', lease_expires_at = \(now) + make_interval(secs => \(ttl)),
                log = right(log || \(log), \(Int32(Self.logLimit))), updated_at = \(now)
            WHERE id = \(jobID) AND node_id = \(nodeID) AND lease_token = \(token) AND state IN ('leased', 'running')
            RETURNING id
            """
        ).collect(Int64.self)
        if rows.isEmpty { throw try await refusal(jobID: jobID, nodeID: nodeID) }
    }

    private func refusal(jobID: Int64, nodeID: Int64) async throws -> StoreError {
        guard let row = try await database.query("SELECT node_id, state FROM install_jobs WHERE id = \(jobID)").first() else {
            return .notFound("no install job \(jobID)")
        }
        let (owner, state) = try row.decode((Int64, String).self)
        if owner != nodeID { return .notPermitted("install job \(jobID) belongs to another node") }
        return .conflict("install job \(jobID) is \(state); its lease is no longer valid")
    }

    /// Records the end of a job and what it left installed.
    func finish(jobID: Int64, nodeID: Int64, result: InstallResult) async throws {
        try await database.transaction { transaction in
            guard
                let row = try await transaction.query(
                    """
                    SELECT node_id, lease_token, state, action, product_id, tool_ids, with_product
                    FROM install_jobs WHERE id = \(jobID) FOR UPDATE
                    """
                ).first()
            else { throw StoreError.notFound("no install job \(jobID)") }
            let (owner, token, state, action, productID, toolIDs, withProduct) = try row.decode(
                (Int64, Int64?, String, String, Int64, [Int64], Bool).self
            )
            guard owner == nodeID else { throw StoreError.notPermitted("install job \(jobID) belongs to another node") }
            guard token == result.token else { throw StoreError.conflict("stale token for install job \(jobID)") }
            let outcome = result.succeeded ? InstallJobState.succeeded : .failed
            if state == outcome.rawValue { return }
            guard state == "leased" || state == "running" else {
                throw StoreError.conflict("install job \(jobID) already ended as \(state)")
            }
            let product = try await transaction.query(
                """
                SELECT id FROM node_products WHERE node_id = \(nodeID)
                  AND (product_id = \(productID) OR (product_name, product_version) = (SELECT name, version FROM products WHERE id = \(productID)))
                """
            ).collect(Int64.self).first
            if let product {
                try await applyOutcome(
                    transaction,
                    nodeProductID: product,
                    toolIDs: toolIDs,
                    withProduct: withProduct,
                    install: action == "install",
                    succeeded: result.succeeded,
                    paths: result.paths
                )
            }
            try await transaction.query(
                """
                UPDATE install_jobs SET state = \(outcome.rawValue), message = \(result.message.map { String($0.prefix(4000)) }),
                    finished_at = now(), updated_at = now()
                WHERE id = \(jobID)
                """
            )
            try await transaction.query(
                "SELECT pg_notify(\(Notifications.channel), \(Notifications.nodeChanged(nodeID)))"
            )
        }
    }

    /// Moves the rows a job changed to where it left them.
    private func applyOutcome(
        _ transaction: Transaction,
        nodeProductID: Int64,
        toolIDs: [Int64],
        withProduct: Bool,
        install: Bool,
        succeeded: Bool,
        paths: [String: String]
    ) async throws {
        switch (install, succeeded) {
        case (true, true):
            if withProduct {
                try await transaction.query(
                    """
                    UPDATE node_products SET state = 'installed', install_path = \(paths["product"] ?? ""), updated_at = now()
                    WHERE id = \(nodeProductID)
                    """
                )
            }
            for row in try await transaction.query(
                "SELECT id, tool_name, tool_version FROM node_tools WHERE node_product_id = \(nodeProductID) AND tool_id = ANY(\(toolIDs))"
            ).all() {
                let (id, name, version) = try row.decode((Int64, String, String).self)
                try await transaction.query(
                    """
                    UPDATE node_tools SET state = 'installed',
                        install_path = \(paths[InstallResult.toolKey(name: name, version: version)] ?? ""), updated_at = now()
                    WHERE id = \(id)
                    """
                )
            }
        case (true, false):
            // A failed install leaves nothing marked installed.
            try await transaction.query(
                """
                UPDATE node_tools SET state = 'failed', updated_at = now()
                WHERE node_product_id = \(nodeProductID) AND tool_id = ANY(\(toolIDs))
                """
            )
            if withProduct {
                try await transaction.query(
                    "UPDATE node_products SET state = 'failed', updated_at = now() WHERE id = \(nodeProductID)"
                )
            }
        case (false, true):
            if withProduct {
                try await transaction.query("DELETE FROM node_products WHERE id = \(nodeProductID)")
            } else {
                try await transaction.query(
                    "DELETE FROM node_tools WHERE node_product_id = \(nodeProductID) AND tool_id = ANY(\(toolIDs))"
                )
            }
        case (false, false):
            try await transaction.query(
                """
                UPDATE node_tools SET state = 'installed', updated_at = now()
                WHERE node_product_id = \(nodeProductID) AND tool_id = ANY(\(toolIDs)) AND state = 'removing'
                """
            )
            try await transaction.query(
                """
                UPDATE node_products SET state = 'installed', updated_at = now() WHERE id = \(nodeProductID) AND state = 'removing'
                """
            )
        }
    }

    /// Jobs whose agent stopped answering end as failed (run by the reaper).
    func expire(session: Session) async throws {
        let expired = try await session.query(
            """
            SELECT id, node_id, lease_token FROM install_jobs
            WHERE state IN ('leased', 'running') AND lease_expires_at < \(clock.now)
            """
        ).all()
        for row in expired {
            let (id, node, token) = try row.decode((Int64, Int64, Int64).self)
            try? await finish(
                jobID: id,
                nodeID: node,
                result: InstallResult(token: token, succeeded: false, message: "the node stopped answering", paths: [:])
            )
        }
    }

    func get(id: Int64) async throws -> InstallJob {
        guard
            let row = try await database.query(
                """
                SELECT j.id, n.id, n.name, j.action, p.id, p.name, p.version, j.tool_ids, j.state, j.message, j.log,
                       j.created_at, j.started_at, j.finished_at
                FROM install_jobs j JOIN nodes n ON n.id = j.node_id JOIN products p ON p.id = j.product_id
                WHERE j.id = \(id)
                """
            ).first()
        else { throw StoreError.notFound("no install job \(id)") }
        let (
            jobID, nodeID, nodeName, action, productID, productName, productVersion, toolIDs, state, message, log, created,
            started, finished
        ) = try row.decode(
            (Int64, Int64, String, String, Int64, String, String, [Int64], String, String?, String, Date, Date?, Date?).self
        )
        var tools: [ItemSummary] = []
        for toolID in toolIDs {
            if let tool = try? await catalog.item(Tool.self, id: toolID) {
                tools.append(ItemSummary(id: tool.id, name: tool.name, version: tool.version))
            }
        }
        return InstallJob(
            id: jobID,
            node: NodeSummary(id: nodeID, name: nodeName),
            action: EnvironmentChange.Action(rawValue: action) ?? .install,
            product: ItemSummary(id: productID, name: productName, version: productVersion),
            tools: tools,
            state: InstallJobState(rawValue: state) ?? .queued,
            message: message,
            log: log,
            createdAt: created,
            startedAt: started,
            finishedAt: finished
        )
    }

    /// Jobs of a node, newest first.
    func list(nodeID: Int64, limit: Int = 50) async throws -> [InstallJob] {
        var jobs: [InstallJob] = []
        for id in try await database.query(
            "SELECT id FROM install_jobs WHERE node_id = \(nodeID) ORDER BY id DESC LIMIT \(limit)"
        ).collect(Int64.self) {
            var job = try await get(id: id)
            job.log = nil
            jobs.append(job)
        }
        return jobs
    }
}
