import Foundation
import HTTPTypes
import Hummingbird
import NIOCore
import ServiceLifecycle
import WireProtocol

/// The agent protocol under `/api/v1/agent/`: enroll, inventory, lease (long-poll), heartbeat, log, result.
struct AgentRoutes {
    let services: ControllerServices

    static let leaseTokenHeader = HTTPField.Name("X-Testfleet-Lease-Token")!

    func addRoutes(to api: RouterGroup<AppRequestContext>) {
        api.post("agent/enroll") { request, context -> EditedResponse<EnrollResponse> in
            guard let authorization = request.headers[.authorization],
                authorization.lowercased().hasPrefix("bearer "),
                case let token = String(authorization.dropFirst(7)).trimmingCharacters(in: .whitespaces),
                token.hasPrefix("tfe_")
            else { throw AppError.unauthorized("enroll with an enrollment token: Authorization: Bearer tfe_…") }
            let input = try await request.decode(as: EnrollRequest.self, context: context)
            let answer = try await services.nodes.enroll(token: token, request: input)
            context.logger.info(
                "node enrolled",
                metadata: ["testfleet.node.id": .stringConvertible(answer.nodeId), "testfleet.node.name": .string(answer.name)]
            )
            return EditedResponse(status: .created, response: answer)
        }
        api.get("agent/node") { _, context -> AgentSelf in
            let node = try context.requireNode()
            return AgentSelf(node: try await services.nodes.get(id: node.id))
        }
        api.post("agent/inventory") { request, context -> InventoryResponse in
            let node = try context.requireNode()
            let inventory = try await request.decode(as: Inventory.self, context: context)
            let unknown = try await services.nodes.replaceInventory(nodeID: node.id, inventory: inventory)
            services.nodeCaches.forget(node: node.id)
            return InventoryResponse(unknown: unknown)
        }
        api.post("agent/lease") { request, context -> Response in
            let node = try context.requireNode()
            let input = try await AuthRoutes.optionalBody(LeaseRequest.self, request, context) ?? LeaseRequest()
            let wait = waitSeconds(input.waitS)
            let granted = try await untilHangup(context) {
                try await services.dispatcher.awaitAssignment(node: node.id, wait: wait)
            }
            guard let granted else { return Response(status: .noContent) }
            try await checkDelivery(granted, context)
            return try context.responseEncoder.encode(granted, from: request, context: context)
        }
        api.post("agent/leases/:id/heartbeat") { request, context -> HeartbeatResponse in
            let node = try context.requireNode()
            let runID = try leaseID(context)
            let input = try await request.decode(as: HeartbeatRequest.self, context: context)
            return try await services.leases.heartbeat(runID: runID, nodeID: node.id, token: input.token)
        }
        api.post("agent/leases/:id/log") { request, context -> LogAck in
            let node = try context.requireNode()
            let runID = try leaseID(context)
            guard let tokenText = request.headers[Self.leaseTokenHeader] ?? request.query("token"),
                let token = Int64(tokenText)
            else { throw AppError.unprocessable("token: send the lease's fencing token in X-Testfleet-Lease-Token") }
            guard let offsetText = request.query("offset"), let offset = Int64(offsetText) else {
                throw AppError.unprocessable("offset: the chunk's byte offset is required (?offset=N)")
            }
            let limit = services.config.logChunkMaxBytes
            let body: ByteBuffer
            do {
                body = try await request.body.collect(upTo: limit)
            } catch {
                throw AppError(.contentTooLarge, "log chunk larger than \(limit) bytes; send smaller chunks")
            }
            let end = try await services.logs.append(
                runID: runID,
                nodeID: node.id,
                token: token,
                offset: offset,
                bytes: body
            )
            return LogAck(offset: end)
        }
        api.post("agent/install-jobs/:id/progress") { request, context -> Response in
            let node = try context.requireNode()
            let input = try await request.decode(as: InstallProgress.self, context: context)
            try await services.installJobs.progress(jobID: try request.id(context), nodeID: node.id, token: input.token, log: input.log)
            return Self.emptyJSON
        }
        api.post("agent/install-jobs/:id/result") { request, context -> Response in
            let node = try context.requireNode()
            let result = try await request.decode(as: InstallResult.self, context: context)
            try await services.installJobs.finish(jobID: try request.id(context), nodeID: node.id, result: result)
            services.nodeCaches.forget(node: node.id)
            return Self.emptyJSON
        }
        api.post("agent/leases/:id/result") { request, context -> Response in
            let node = try context.requireNode()
            let runID = try leaseID(context)
            let result = try await request.decode(as: CaseResult.self, context: context)
            guard let next = result.next else {
                try await services.dispatcher.finish(runID: runID, node: node.id, result: result)
                return Self.emptyJSON
            }
            let wait = waitSeconds(next.waitS)
            // Only a wait runs in a task of its own that the agent hanging up cancels: the common answer, leased by
            // the statement that records the result, is checked for delivery like any other.
            let granted: Assignment?
            switch try await services.dispatcher.record(runID: runID, node: node.id, result: result) {
            case .assignment(let assignment): granted = assignment
            case .wait(let nextRunID):
                granted = try await untilHangup(context) {
                    try await services.dispatcher.awaitAfterResult(node: node.id, wait: wait, runID: nextRunID)
                }
            }
            if let granted { try await checkDelivery(granted, context) }
            return try context.responseEncoder.encode(ResultAnswer(next: granted), from: request, context: context)
        }
    }

    /// The wait a node asked for, within the controller's limit.
    private func waitSeconds(_ asked: Double?) -> Double {
        let maxWait = services.config.leaseWaitSeconds
        return min(max(asked ?? maxWait, 0), maxWait)
    }

    /// Runs `body` until it ends or the client hangs up, which stops a wait so that nothing is leased to a
    /// closed connection.
    private func untilHangup<T: Sendable>(
        _ context: AppRequestContext,
        _ body: @escaping @Sendable () async throws -> T
    ) async throws -> T {
        let work = Task { try await body() }
        context.channel?.closeFuture.whenComplete { _ in work.cancel() }
        return try await withTaskCancellationHandler {
            try await work.value
        } onCancel: {
            work.cancel()
        }
    }

    /// Takes back an assignment whose agent hung up before it could be delivered.
    private func checkDelivery(_ granted: Assignment, _ context: AppRequestContext) async throws {
        guard let channel = context.channel, !channel.isActive else { return }
        switch granted {
        case .run(let lease): try await services.leases.release(runID: lease.leaseId)
        case .install(let job): try await services.installJobs.release(jobID: job.jobId)
        }
        throw AppError(.serviceUnavailable, "the agent hung up before the lease was delivered")
    }

    static var emptyJSON: Response {
        Response(status: .ok, headers: [.contentType: "application/json"], body: .init(byteBuffer: ByteBuffer(string: "{}")))
    }

    private func leaseID(_ context: AppRequestContext) throws -> UUID {
        guard let text = context.parameters.get("id"), let id = UUID(uuidString: text) else {
            throw AppError.notFound("no lease \(context.parameters.get("id") ?? "")")
        }
        return id
    }
}
