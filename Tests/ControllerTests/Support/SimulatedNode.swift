import ControllerClient
import Foundation
import WireProtocol

/// A node driven directly over the agent API by the test: enrolled with a token, with an inventory, leasing
/// and finishing cases on command. For scheduling tests where real processes would only add noise.
final class SimulatedNode: Sendable {
    let id: Int64
    let name: String
    let client: ControllerClient
    let credential: String

    static func enroll(
        _ controller: some ControllerEndpoint,
        name: String,
        slots: Int = 1,
        products: [InventoryProduct],
        labels: [String]? = nil
    ) async throws -> SimulatedNode {
        let token = try await controller.admin.request(.POST, "/api/v1/enrollment-tokens", json: EnrollmentTokenInput())
            .decode(EnrollmentToken.self).token!
        let enroller = try controller.client(bearer: token)
        let facts = NodeFacts(hostname: name, ip: "10.0.0.1", os: "Test OS", arch: "x86_64", agentVersion: "test", slots: slots)
        let answer = try await enroller.request(.POST, "/api/v1/agent/enroll", json: EnrollRequest(name: name, facts: facts))
        guard answer.status == 201 else { throw TestFailure("enroll \(name): \(answer.status) \(answer.text)") }
        let enrolled = try answer.decode(EnrollResponse.self)
        let client = try controller.client(bearer: enrolled.credential)
        let node = SimulatedNode(id: enrolled.nodeId, name: name, client: client, credential: enrolled.credential)
        let inventory = try await client.request(.POST, "/api/v1/agent/inventory", json: Inventory(products: products, labels: labels))
        guard inventory.status == 200 else { throw TestFailure("inventory \(name): \(inventory.text)") }
        return node
    }

    private init(id: Int64, name: String, client: ControllerClient, credential: String) {
        self.id = id
        self.name = name
        self.client = client
        self.credential = credential
    }

    /// Leases a case, waiting up to `wait` seconds.
    func lease(wait: Double = 0) async throws -> Lease? {
        let answer = try await client.request(.POST, "/api/v1/agent/lease", json: LeaseRequest(waitS: wait))
        switch answer.status {
        case 204: return nil
        case 200: return try answer.decode(Lease.self)
        default: throw TestFailure("lease on \(name): \(answer.status) \(answer.text)")
        }
    }

    func heartbeat(_ lease: Lease) async throws -> APIAnswer {
        try await client.request(
            .POST,
            "/api/v1/agent/leases/\(lease.leaseId.uuidString.lowercased())/heartbeat",
            json: HeartbeatRequest(token: lease.token)
        )
    }

    @discardableResult
    func finish(
        _ lease: Lease,
        _ status: ResultStatus,
        durationMs: Int64 = 100,
        exitCode: Int? = nil,
        message: String? = nil,
        log: LogTail? = nil,
        next: NextRequest? = nil,
        tests: [TestRecord]? = nil
    ) async throws -> APIAnswer {
        try await client.request(
            .POST,
            "/api/v1/agent/leases/\(lease.leaseId.uuidString.lowercased())/result",
            json: CaseResult(
                token: lease.token,
                status: status,
                exitCode: exitCode ?? (status == .passed ? 0 : 1),
                durationMs: durationMs,
                message: message,
                log: log,
                next: next,
                tests: tests
            )
        )
    }

    /// Posts a result that asks for the next case, waiting up to `wait` seconds; returns the case the answer
    /// carries.
    func finishAndNext(
        _ lease: Lease,
        _ status: ResultStatus,
        wait: Double = 0,
        message: String? = nil,
        tests: [TestRecord]? = nil
    ) async throws -> Lease? {
        let answer = try await finish(lease, status, message: message, next: NextRequest(waitS: wait), tests: tests)
        guard answer.status == 200 else { throw TestFailure("result on \(name): \(answer.status) \(answer.text)") }
        switch try answer.decode(ResultAnswer.self).next {
        case .run(let next): return next
        case .install(let job): throw TestFailure("install job \(job.jobId) where a case was expected")
        case nil: return nil
        }
    }

    func log(_ lease: Lease, offset: Int64, _ text: String, token: Int64? = nil) async throws -> APIAnswer {
        try await client.request(
            .POST,
            "/api/v1/agent/leases/\(lease.leaseId.uuidString.lowercased())/log?offset=\(offset)",
            raw: text,
            contentType: "application/octet-stream",
            headers: [("X-Testfleet-Lease-Token", String(token ?? lease.token))]
        )
    }
}

extension Fixture {
    /// The inventory entry for simulated nodes.
    var simulatedInventory: InventoryProduct {
        InventoryProduct(
            name: product.name,
            version: product.version,
            path: productDirectory.path,
            tools: [InventoryTool(name: tool.name, version: tool.version, path: toolDirectory.path)]
        )
    }
}
