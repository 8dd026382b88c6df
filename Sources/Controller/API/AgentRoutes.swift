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
            try await services.nodes.touch(nodeID: node.id)
            return AgentSelf(node: try await services.nodes.get(id: node.id))
        }
        api.post("agent/inventory") { request, context -> InventoryResponse in
            let node = try context.requireNode()
            let inventory = try await request.decode(as: Inventory.self, context: context)
            try await services.nodes.touch(nodeID: node.id)
            let unknown = try await services.nodes.replaceInventory(nodeID: node.id, inventory: inventory)
            services.capabilities.forget(node: node.id)
            services.activity.forget(node: node.id)
            return InventoryResponse(unknown: unknown)
        }
        api.post("agent/lease") { request, context -> Response in
            let node = try context.requireNode()
            let input = try await AuthRoutes.optionalBody(LeaseRequest.self, request, context) ?? LeaseRequest()
            let maxWait = services.config.leaseWaitSeconds
            let wait = min(max(input.waitS ?? maxWait, 0), maxWait)
            try await services.nodes.touch(nodeID: node.id)
            // A client that hangs up stops its wait, so no case is leased to a closed connection.
            let polling = Task { try await awaitLease(node: node.id, wait: wait) }
            context.channel?.closeFuture.whenComplete { _ in polling.cancel() }
            let granted = try await withTaskCancellationHandler {
                try await polling.value
            } onCancel: {
                polling.cancel()
            }
            guard let granted else { return Response(status: .noContent) }
            if let channel = context.channel, !channel.isActive {
                switch granted {
                case .run(let lease): try await services.leases.release(runID: lease.leaseId)
                case .install(let job): try await services.installJobs.release(jobID: job.jobId)
                }
                throw AppError(.serviceUnavailable, "the agent hung up before the lease was delivered")
            }
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
            services.activity.forget(node: node.id)
            services.capabilities.forget(node: node.id)
            return Self.emptyJSON
        }
        api.post("agent/leases/:id/result") { request, context -> Response in
            let node = try context.requireNode()
            let runID = try leaseID(context)
            let result = try await request.decode(as: CaseResult.self, context: context)
            try await services.leases.finish(runID: runID, nodeID: node.id, result: result)
            services.activity.slotFreed(node.id)
            return Response(status: .ok, headers: [.contentType: "application/json"], body: .init(byteBuffer: ByteBuffer(string: "{}")))
        }
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

    /// Leases now, or waits for work this node can run until `wait` seconds have passed.
    private func awaitLease(node: Int64, wait: Double) async throws -> Assignment? {
        let waiters = services.waiters
        let deadline = ContinuousClock.now + .milliseconds(Int64(wait * 1000))
        var ticket: LeaseWaiters.Ticket?
        defer { if let ticket { waiters.remove(ticket) } }
        while true {
            // Registered before the query: work arriving meanwhile wakes this request.
            let capabilities = try await services.capabilities.capabilities(of: node)
            let fresh = waiters.register(node: node, capabilities: capabilities)
            if let ticket { waiters.remove(ticket) }
            ticket = fresh
            // Marks made from a query's answer are void if something relevant happened while it ran.
            let generation = services.activity.generation
            // Environment work goes before cases; most nodes are known to have none.
            if services.activity.mayHaveInstallJobs(node) {
                if let job = try await services.installJobs.lease(nodeID: node) { return .install(job) }
                services.activity.noInstallJobs(node, asOf: generation)
            }
            // A node that found nothing, with no new work for it since, need not ask the database again.
            if !services.activity.isIdle(node) {
                if let lease = try await services.leases.lease(nodeID: node) {
                    services.metrics.leasesGranted.increment()
                    return .run(lease)
                }
                services.activity.markIdle(node, keys: capabilities, asOf: generation)
            }
            guard ContinuousClock.now < deadline else { return nil }
            let outcome = await cancelWhenGracefulShutdown { await waiters.wait(fresh, until: deadline) }
            switch outcome {
            case .handed(let lease):
                return .run(lease)
            case .woken:
                services.metrics.wakeups.increment()
                continue
            case .timedOut:
                return nil
            case .cancelled:
                var error = AppError(.serviceUnavailable, "the controller is shutting down; lease again")
                error.headers[.retryAfter] = "1"
                throw error
            }
        }
    }
}
