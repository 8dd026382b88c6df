import ControllerClient
import Foundation
import Synchronization
import WireProtocol

/// A controller seen from the bench: admin calls and simulated nodes on one shared HTTP client.
struct Bench: Sendable {
    let client: ControllerClient
    let admin: [(String, String)]

    struct Setup: Sendable {
        var product: Int64
        var tool: Int64
        var nodes: [AgentClient]
    }

    func call<Response: Decodable>(
        _ method: ControllerClient.Method,
        _ path: String,
        _ body: (some Encodable)?,
        as type: Response.Type
    )
        async throws -> Response
    {
        let answer = try await client.send(
            method,
            path,
            body: try body.map { try WireJSON.encoder().encode($0) },
            headers: admin,
            timeout: .seconds(300)
        )
        guard (200..<300).contains(answer.status) else { throw ClientError(answer: answer) }
        return try WireJSON.decoder().decode(Response.self, from: answer.body)
    }

    /// A fresh product and tool, and `nodes` enrolled nodes that have them.
    func setUp(nodes: Int, runCommand: String = "true") async throws -> Setup {
        let tag = UUID().uuidString.prefix(8).lowercased()
        let product = try await call(.POST, "/api/v1/products", ProductInput(name: "bench-\(tag)", version: "1"), as: Product.self)
        let tool = try await call(.POST, "/api/v1/tools", ToolInput(name: "bench-\(tag)", version: "1", runCommand: runCommand), as: Tool.self)
        _ = try await client.send(
            .PUT,
            "/api/v1/products/\(product.id)/tools",
            body: try WireJSON.encoder().encode(ProductToolsInput(toolIds: [tool.id])),
            headers: admin
        )
        let inventory = Inventory(products: [
            InventoryProduct(name: product.name, version: "1", path: "/tmp", tools: [InventoryTool(name: tool.name, version: "1", path: "/tmp")])
        ])
        var agents: [AgentClient] = []
        var remaining = nodes
        while remaining > 0 {
            let batch = min(remaining, 50)
            let token = try await call(.POST, "/api/v1/enrollment-tokens", EnrollmentTokenInput(ttlS: 3600, maxUses: batch), as: EnrollmentToken.self)
            let enrolled = try await withThrowingTaskGroup(of: AgentClient.self) { group in
                for index in 0..<batch {
                    let name = "bench-\(tag)-\(nodes - remaining + index)"
                    group.addTask {
                        let facts = NodeFacts(hostname: name, ip: "127.0.0.1", os: "bench", arch: "x86_64", agentVersion: "bench", slots: 1)
                        let answer = try await AgentClient.enroll(
                            client: client,
                            token: token.token!,
                            request: EnrollRequest(name: name, facts: facts)
                        )
                        let agent = AgentClient(client: client, credential: answer.credential)
                        _ = try await agent.inventory(inventory)
                        return agent
                    }
                }
                return try await group.reduce(into: []) { $0.append($1) }
            }
            agents += enrolled
            remaining -= batch
        }
        return Setup(product: product.id, tool: tool.id, nodes: agents)
    }

    func submit(_ setup: Setup, cases: [String], name: String = "bench") async throws -> Int64 {
        try await call(
            .POST,
            "/api/v1/tasks",
            TaskSubmission(name: name, product: ItemReference(id: setup.product), tool: ItemReference(id: setup.tool), cases: cases),
            as: TaskProgress.self
        ).id
    }

    /// Runs every queued case at once, reporting `duration(name)` as its duration.
    func drain(_ setup: Setup, duration: @escaping @Sendable (String) -> Int) async throws {
        try await withThrowingTaskGroup(of: Void.self) { group in
            for node in setup.nodes {
                group.addTask {
                    var next = try await node.lease(wait: 0)
                    while let lease = next {
                        next = try await node.finish(lease, durationMs: Int64(duration(lease.caseName)), wait: 0)
                        if next == nil { next = try await node.lease(wait: 0) }
                    }
                }
            }
            try await group.waitForAll()
        }
    }

    /// The controller's count of SQL statements so far.
    func statements() async throws -> Double {
        let answer = try await client.send(.GET, "/metrics")
        for line in String(decoding: answer.body, as: UTF8.self).split(separator: "\n")
        where line.hasPrefix("testfleet_db_statements_total ") {
            return Double(line.split(separator: " ").last!) ?? 0
        }
        throw BenchError("no testfleet_db_statements_total in /metrics")
    }
}

extension AgentClient {
    /// Posts a passed result that asks for the next case, as agents do, waiting up to `wait` seconds for it;
    /// returns that case. With `wait` nil it asks for none: what a phase's agents do last, so that no lease of
    /// theirs is left to expire while a later phase measures.
    func finish(_ lease: Lease, durationMs: Int64 = 1, wait: Double?) async throws -> Lease? {
        let result = CaseResult(
            token: lease.token,
            status: .passed,
            exitCode: 0,
            durationMs: durationMs,
            message: nil,
            next: wait.map { NextRequest(waitS: $0) }
        )
        switch try await self.result(lease, result) {
        case .run(let next): return next
        case .install(let job): throw BenchError("install job \(job.jobId) where a case was expected")
        case nil: return nil
        }
    }
}

func milliseconds(_ duration: Duration) -> Double {
    Double(duration.components.seconds) * 1000 + Double(duration.components.attoseconds) / 1e15
}

func percentile(_ sorted: [Double], _ fraction: Double) -> Double {
    guard !sorted.isEmpty else { return 0 }
    let rank = Int((fraction * Double(sorted.count)).rounded(.up))
    return sorted[min(max(rank, 1), sorted.count) - 1]
}

func residentMegabytes(_ pid: Int32) -> Double? {
    guard let status = try? String(contentsOfFile: "/proc/\(pid)/status", encoding: .utf8) else { return nil }
    for line in status.split(separator: "\n") where line.hasPrefix("VmRSS:") {
        let kilobytes = line.split(separator: " ", omittingEmptySubsequences: true).dropFirst().first.flatMap { Double($0) }
        return kilobytes.map { $0 / 1024 }
    }
    return nil
}
