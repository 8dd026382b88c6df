import ArgumentParser
import Foundation
import Logging
import PostgresNIO
import Synchronization
import WireProtocol

/// The measurements of ``BenchSQLCommand``, on the controller's own repositories.
struct SQLBench {
    let database: Database
    let logger: Logger

    var leases: LeaseStore {
        LeaseStore(
            database: database,
            policy: LeasePolicy(),
            clock: .database,
            completion: TaskCompletion(reports: ReportStore(logger: logger), clock: .database, logger: logger),
            logs: LogStore(database: database, maxBytesPerRun: 64 << 20)
        )
    }

    /// A product, a tool, `nodes` nodes that have both, and an admin to submit as.
    func setUp(nodes: Int) async throws -> (product: Int64, tool: Int64, nodes: [Int64], user: Int64) {
        let tag = Secrets.randomToken(bytes: 4).lowercased()
        let catalog = CatalogRepository(database: database)
        let product = try await catalog.create(ProductInput(name: "bench-sql-\(tag)", version: "1"), by: .console)
        let tool = try await catalog.create(ToolInput(name: "bench-sql-\(tag)", version: "1", runCommand: "true"), by: .console)
        _ = try await catalog.setLinks(productID: product.id, toolIDs: [tool.id], by: .console)
        let users = try await database.query("SELECT id FROM users WHERE role = 'admin' ORDER BY id LIMIT 1").collect(Int64.self)
        var user: Int64
        if let admin = users.first {
            user = admin
        } else {
            user = try await UserRepository(database: database).create(
                username: "bench-\(tag)",
                password: Secrets.randomToken(),
                role: .admin,
                by: .console
            ).id
        }
        var ids: [Int64] = []
        for index in 0..<nodes {
            let id = try await database.query(
                """
                INSERT INTO nodes (name, slots, credential_hash, last_seen_at)
                VALUES (\("bench-sql-\(tag)-\(index)"), 1, \(Secrets.hash(Secrets.randomToken())), now()) RETURNING id
                """
            ).collect(Int64.self)[0]
            let nodeProduct = try await database.query(
                """
                INSERT INTO node_products (node_id, product_id, product_name, product_version, install_path, state, source)
                VALUES (\(id), \(product.id), \(product.name), '1', '/tmp', 'installed', 'agent-config') RETURNING id
                """
            ).collect(Int64.self)[0]
            try await database.query(
                """
                INSERT INTO node_tools (node_product_id, tool_id, tool_name, tool_version, install_path, state, source)
                VALUES (\(nodeProduct), \(tool.id), \(tool.name), '1', '/tmp', 'installed', 'agent-config')
                """
            )
            ids.append(id)
        }
        return (product.id, tool.id, ids, user)
    }

    func submit(product: Int64, tool: Int64, user: Int64, count: Int, offset: Int = 0) async throws {
        let tasks = TaskRepository(database: database, catalog: CatalogRepository(database: database), clock: .database)
        _ = try await tasks.submit(
            TaskSubmission(
                name: "bench-sql",
                product: ItemReference(id: product),
                tool: ItemReference(id: tool),
                cases: (offset..<(offset + count)).map { "case-\($0)" }
            ),
            userID: user
        )
    }

    /// Lease + result round trips per second with `workers` concurrent nodes.
    func throughput(workers: Int, seconds: Double, cases: Int) async throws -> [String: Any] {
        let setup = try await setUp(nodes: workers)
        try await submit(product: setup.product, tool: setup.tool, user: setup.user, count: cases)
        let leases = self.leases
        let done = SharedCount()
        let warmup = ContinuousClock.now + .seconds(1)
        let deadline = warmup + .milliseconds(Int64(seconds * 1000))
        try await withThrowingTaskGroup(of: Void.self) { group in
            for node in setup.nodes {
                group.addTask {
                    // As agents do: each result asks for the next case, leased by the statement that records it.
                    var next = try await leases.lease(nodeID: node)
                    while let lease = next, ContinuousClock.now < deadline {
                        let finished = try await leases.finish(
                            runID: lease.leaseId,
                            nodeID: node,
                            result: CaseResult(token: lease.token, status: .passed, exitCode: 0, durationMs: 1, message: nil),
                            next: LeaseStore.NextLease()
                        )
                        if ContinuousClock.now > warmup { done.add(1) }
                        switch finished {
                        case .dispatched(let leased?), .repeated(let leased?): next = leased
                        default: next = try await leases.lease(nodeID: node)
                        }
                    }
                    // The case held at the deadline is finished too, asking for none: a lease left open would
                    // expire later and be requeued while a later phase counts the controller's statements.
                    if let lease = next {
                        _ = try await leases.finish(
                            runID: lease.leaseId,
                            nodeID: node,
                            result: CaseResult(token: lease.token, status: .passed, exitCode: 0, durationMs: 1, message: nil)
                        )
                    }
                }
            }
            try await group.waitForAll()
        }
        let count = done.value
        return ["per_s": Double(count) / seconds, "round_trips": count, "workers": workers, "seconds": seconds]
    }

    /// Median lease + result time on an empty queue and with `queued` cases waiting, and the plan.
    func leaseCost(queued: Int) async throws -> [String: Any] {
        let setup = try await setUp(nodes: 1)
        let node = setup.nodes[0]
        try await submit(product: setup.product, tool: setup.tool, user: setup.user, count: 200)
        let empty = try await medianRoundTrip(node: node, count: 200)
        var loaded = 0
        while loaded < queued {
            let chunk = min(100_000, queued - loaded)
            try await submit(product: setup.product, tool: setup.tool, user: setup.user, count: chunk, offset: loaded + 1000)
            loaded += chunk
        }
        try await database.query("ANALYZE cases")
        let full = try await medianRoundTrip(node: node, count: 200)
        let plan = try await leases.explainLease(nodeID: node)
        return [
            "queued": queued, "empty_ms": empty, "loaded_ms": full, "ratio": full / empty, "plan": plan,
        ]
    }

    private func medianRoundTrip(node: Int64, count: Int) async throws -> Double {
        var times: [Double] = []
        for _ in 0..<count {
            let start = ContinuousClock.now
            guard let lease = try await leases.lease(nodeID: node) else { break }
            _ = try await leases.finish(
                runID: lease.leaseId,
                nodeID: node,
                result: CaseResult(token: lease.token, status: .passed, exitCode: 0, durationMs: 1, message: nil)
            )
            let elapsed = ContinuousClock.now - start
            times.append(Double(elapsed.components.attoseconds) / 1e15 + Double(elapsed.components.seconds) * 1000)
        }
        times.sort()
        return times.isEmpty ? 0 : times[times.count / 2]
    }
}
