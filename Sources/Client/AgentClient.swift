import Foundation
import WireProtocol

/// The agent protocol over a ``ControllerClient``: what a node says to the controller. The node's credential
/// goes with every request, so many nodes can share one client.
public struct AgentClient: Sendable {
    public let client: ControllerClient
    private let headers: [(String, String)]

    /// - Parameter credential: the node credential; `nil` when the client already sends it.
    public init(client: ControllerClient, credential: String? = nil) {
        self.client = client
        self.headers = credential.map { [("Authorization", "Bearer \($0)")] } ?? []
    }

    /// Enrolls with an enrollment token (sent instead of a credential).
    public static func enroll(client: ControllerClient, token: String, request: EnrollRequest) async throws -> EnrollResponse {
        let answer = try await client.send(
            .POST,
            "/api/v1/agent/enroll",
            body: try WireJSON.encoder().encode(request),
            headers: [("Authorization", "Bearer \(token)")]
        )
        guard answer.status == 201 else { throw ClientError(answer: answer) }
        return try WireJSON.decoder().decode(EnrollResponse.self, from: answer.body)
    }

    public func inventory(_ inventory: Inventory) async throws -> InventoryResponse {
        try await json(.POST, "/api/v1/agent/inventory", inventory, as: InventoryResponse.self)
    }

    /// The next case, or `nil` when none came within `wait` seconds. Install jobs are not taken.
    public func lease(wait: Double, freeSlots: Int? = nil) async throws -> Lease? {
        switch try await assignment(wait: wait, freeSlots: freeSlots) {
        case .run(let lease): return lease
        case .install(let job): throw ClientError(status: 200, message: "got install job \(job.jobId) where a case was expected")
        case nil: return nil
        }
    }

    /// The next case or install job, or `nil` when none came within `wait` seconds.
    public func assignment(wait: Double, freeSlots: Int? = nil) async throws -> Assignment? {
        let body = try WireJSON.encoder().encode(LeaseRequest(waitS: wait, freeSlots: freeSlots))
        let answer = try await client.send(
            .POST,
            "/api/v1/agent/lease",
            body: body,
            headers: headers,
            timeout: .milliseconds(Int64(wait * 1000) + 20_000)
        )
        switch answer.status {
        case 204: return nil
        case 200:
            do {
                return try WireJSON.decoder().decode(Assignment.self, from: answer.body)
            } catch {
                throw ClientError(status: 200, message: "unreadable lease: \(error)")
            }
        default: throw ClientError(answer: answer)
        }
    }

    public func heartbeat(_ lease: Lease) async throws -> HeartbeatResponse {
        try await json(.POST, Self.path(lease, "heartbeat"), HeartbeatRequest(token: lease.token), as: HeartbeatResponse.self)
    }

    /// Appends a log chunk; a gap answers with the controller's end in the error's `offset`.
    public func appendLog(_ lease: Lease, offset: Int64, bytes: Data) async throws -> Int64 {
        let answer = try await client.send(
            .POST,
            Self.path(lease, "log") + "?offset=\(offset)",
            body: bytes,
            contentType: "application/octet-stream",
            headers: headers + [("X-Testfleet-Lease-Token", String(lease.token))]
        )
        guard answer.status == 200 else { throw ClientError(answer: answer) }
        return try WireJSON.decoder().decode(LogAck.self, from: answer.body).offset
    }

    /// Posts a case's result. When it asks for the next assignment, the answer carries it (`nil` when none came
    /// within the wait). A message from the tool that holds characters text fields cannot is sent cleaned (see
    /// ``StorableText``), not refused.
    @discardableResult
    public func result(_ lease: Lease, _ result: CaseResult) async throws -> Assignment? {
        var result = result
        result.message = result.message.map(StorableText.cleaned)
        let answer = try await client.send(
            .POST,
            Self.path(lease, "result"),
            body: try WireJSON.encoder().encode(result),
            headers: headers,
            timeout: result.next.map { .milliseconds(Int64(($0.waitS ?? 30) * 1000) + 20_000) } ?? .seconds(30)
        )
        guard (200..<300).contains(answer.status) else { throw ClientError(answer: answer) }
        guard result.next != nil else { return nil }
        do {
            return try WireJSON.decoder().decode(ResultAnswer.self, from: answer.body).next
        } catch {
            throw ClientError(status: answer.status, message: "unreadable answer to a result: \(error)")
        }
    }

    /// Renews an install job's lease and appends to its log (cleaned of what text fields cannot hold).
    public func installProgress(_ job: InstallAssignment, log: String) async throws {
        let answer = try await client.send(
            .POST,
            "/api/v1/agent/install-jobs/\(job.jobId)/progress",
            body: try WireJSON.encoder().encode(InstallProgress(token: job.token, log: StorableText.cleaned(log))),
            headers: headers
        )
        guard (200..<300).contains(answer.status) else { throw ClientError(answer: answer) }
    }

    public func installResult(_ job: InstallAssignment, _ result: InstallResult) async throws {
        var result = result
        result.message = result.message.map(StorableText.cleaned)
        let answer = try await client.send(
            .POST,
            "/api/v1/agent/install-jobs/\(job.jobId)/result",
            body: try WireJSON.encoder().encode(result),
            headers: headers
        )
        guard (200..<300).contains(answer.status) else { throw ClientError(answer: answer) }
    }

    /// Downloads an uploaded artifact from the controller into `file`.
    public func download(_ path: String, to file: URL) async throws -> ControllerClient.Download {
        try await client.download(path, to: file, headers: headers)
    }

    public func node() async throws -> AgentSelf {
        let answer = try await client.send(.GET, "/api/v1/agent/node", headers: headers)
        guard answer.status == 200 else { throw ClientError(answer: answer) }
        return try WireJSON.decoder().decode(AgentSelf.self, from: answer.body)
    }

    private func json<Body: Encodable, Response: Decodable>(
        _ method: ControllerClient.Method,
        _ path: String,
        _ body: Body,
        as type: Response.Type
    ) async throws -> Response {
        let answer = try await client.send(method, path, body: try WireJSON.encoder().encode(body), headers: headers)
        guard (200..<300).contains(answer.status) else { throw ClientError(answer: answer) }
        do {
            return try WireJSON.decoder().decode(Response.self, from: answer.body)
        } catch {
            throw ClientError(status: answer.status, message: "unexpected answer from the controller: \(error)")
        }
    }

    private static func path(_ lease: Lease, _ action: String) -> String {
        "/api/v1/agent/leases/\(lease.leaseId.uuidString.lowercased())/\(action)"
    }
}
