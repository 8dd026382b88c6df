import Foundation
import HTTPTypes
import Hummingbird
import NIOCore
import WireProtocol

/// Tasks, their cases and case logs.
struct TaskRoutes {
    let services: ControllerServices

    func addRoutes(to api: RouterGroup<AppRequestContext>) {
        let tasks = services.tasks
        api.post("tasks") { request, context -> EditedResponse<TaskInfo> in
            let caller = try context.caller()
            let submission = try await submission(request, context)
            let stored = try await services.submit(submission, by: caller)
            context.logger.info("task submitted", metadata: ["testfleet.task.id": .stringConvertible(stored.id)])
            // The task as stored, without reading it back; only its outlook is asked of the database.
            let task = try await services.withOutlook(stored.info(submittedBy: caller.name))
            return EditedResponse(status: .created, response: task)
        }
        api.get("tasks") { request, context -> Page<TaskInfo> in
            _ = try context.requireUser()
            return try await tasks.list(Pagination(request), filter: try TaskRepository.ListFilter(request))
        }
        api.get("tasks/:id") { request, context -> TaskInfo in
            _ = try context.requireUser()
            return try await services.taskDetail(id: try request.id(context))
        }
        api.post("tasks/:id/cancel") { request, context -> TaskInfo in
            let caller = try context.caller()
            let id = try request.id(context)
            try await tasks.cancel(id: id, by: caller, completion: services.completion)
            return try await services.taskDetail(id: id)
        }
        api.post("tasks/:id/rerun") { request, context -> EditedResponse<TaskInfo> in
            let caller = try context.caller()
            let id = try request.id(context)
            var request = request
            let body = try await request.collectBody(upTo: 1 << 20)
            let rerun =
                body.readableBytes == 0 ? RerunRequest() : try WireRequestDecoder.decode(RerunRequest.self, from: Data(buffer: body))
            let stored = try await services.rerun(taskID: id, rerun, by: caller)
            context.logger.info(
                "task rerun",
                metadata: ["testfleet.task.id": .stringConvertible(stored.id), "testfleet.task.rerun_of": .stringConvertible(id)]
            )
            return EditedResponse(status: .created, response: try await services.withOutlook(stored.info(submittedBy: caller.name)))
        }
        api.delete("tasks/:id") { request, context -> Response in
            let caller = try context.caller()
            let id = try request.id(context)
            try await tasks.delete(id: id, by: caller)
            context.logger.info("task deleted", metadata: ["testfleet.task.id": .stringConvertible(id)])
            return Response(status: .noContent)
        }
        api.post("cases/:id/cancel") { request, context -> CaseDetail in
            let caller = try context.caller()
            let id = try request.id(context)
            try await tasks.cancelCase(id: id, by: caller, completion: services.completion)
            return try await tasks.caseDetail(id: id)
        }
        api.get("tasks/:id/cases") { request, context -> Page<CaseInfo> in
            _ = try context.requireUser()
            let state = try request.query("state", as: CaseState.self)
            return try await tasks.cases(taskID: try request.id(context), Pagination(request), state: state)
        }
        api.get("cases/:id") { request, context -> CaseDetail in
            _ = try context.requireUser()
            return try await tasks.caseDetail(id: try request.id(context))
        }
        api.get("cases/:id/log") { request, context -> Response in
            _ = try context.requireUser()
            let detail = try await tasks.caseDetail(id: try request.id(context))
            var offset: Int64 = 0
            if let text = request.query("offset") {
                guard let value = Int64(text), value >= 0 else {
                    throw AppError.unprocessable("offset: expected a byte offset ≥ 0")
                }
                offset = value
            }
            var run = detail.runs.last
            if let attempt = request.query("attempt") {
                guard let number = Int(attempt), let chosen = detail.runs.first(where: { $0.attempt == number }) else {
                    throw AppError.notFound("case \(detail.case.id) has no attempt \(attempt)")
                }
                run = chosen
            }
            guard let run else {
                return Self.logResponse(ByteBuffer(), end: 0, complete: detail.case.state.isTerminal)
            }
            let (text, end) = try await services.logs.read(runID: run.id, from: offset)
            return Self.logResponse(text, end: end, complete: run.outcome != nil)
        }
    }

    static let logEndHeader = HTTPField.Name("X-Testfleet-Log-Offset")!
    static let logCompleteHeader = HTTPField.Name("X-Testfleet-Log-Complete")!

    private static func logResponse(_ text: ByteBuffer, end: Int64, complete: Bool) -> Response {
        Response(
            status: .ok,
            headers: [
                .contentType: "text/plain; charset=utf-8", logEndHeader: String(end),
                logCompleteHeader: complete ? "true" : "false", .cacheControl: "no-store",
            ],
            body: .init(byteBuffer: text)
        )
    }

    /// A task from JSON, or from a plain-text case list (body or query) with the rest in the query string.
    private func submission(_ request: Request, _ context: AppRequestContext) async throws -> TaskSubmission {
        let contentType = request.headers[.contentType]?.lowercased() ?? "application/json"
        if contentType.contains("json") {
            return try await request.decode(as: TaskSubmission.self, context: context)
        }
        var request = request
        let text: String
        if contentType.hasPrefix("multipart/form-data") {
            let form = try await FormReader.read(request, maxBytes: context.maxUploadSize)
            return try Self.submission(fields: form)
        } else if contentType.hasPrefix("text/plain") || contentType.hasPrefix("application/octet-stream") {
            let body = try await request.collectBody(upTo: context.maxUploadSize)
            text = String(buffer: body)
            try TextInputCheck.check(fields: [(name: "cases", value: text)])
        } else {
            throw AppError(.unsupportedMediaType, "send JSON, text/plain (one case per line) or multipart/form-data")
        }
        var fields: [String: String] = [:]
        for (key, value) in request.uri.queryParameters { fields[String(key)] = String(value) }
        fields["cases"] = text
        return try Self.submission(fields: fields)
    }

    /// A submission from form or query fields: `product` / `tool` as `NAME@VERSION` (or `product_id`,
    /// `tool_id`), `cases` as text with one case per line, `labels` separated by commas or spaces.
    static func submission(fields: [String: String]) throws -> TaskSubmission {
        func reference(_ name: String) throws -> ItemReference {
            if let id = fields["\(name)_id"], !id.isEmpty {
                guard let value = Int64(id) else { throw AppError.unprocessable("\(name)_id: expected a number") }
                return ItemReference(id: value)
            }
            guard let text = fields[name], let reference = ItemReference(nameAtVersion: text) else {
                throw AppError.unprocessable("\(name): give \(name)=NAME@VERSION or \(name)_id=ID")
            }
            return reference
        }
        func integer(_ name: String) throws -> Int? {
            guard let text = fields[name], !text.isEmpty else { return nil }
            guard let value = Int(text) else { throw AppError.unprocessable("\(name): expected a whole number") }
            return value
        }
        return TaskSubmission(
            name: fields["name"],
            product: try reference("product"),
            tool: try reference("tool"),
            cases: CaseList.parse(fields["cases"] ?? ""),
            priority: try integer("priority"),
            caseTimeoutS: try integer("case_timeout_s"),
            maxInfraRetries: try integer("max_infra_retries"),
            labels: fields["labels"].map(NodeLabels.parse).flatMap { $0.isEmpty ? nil : $0 }
        )
    }
}

extension TaskRepository.ListFilter {
    /// The filter of a task list request: `state`, `product_id` and `user`.
    init(_ request: Request) throws {
        self.init(state: try request.query("state", as: TaskState.self), user: request.query("user"))
        if let product = request.query("product_id") {
            guard let id = Int64(product) else { throw AppError.unprocessable("product_id: expected a number") }
            productID = id
        }
    }
}

extension ControllerServices {
    /// Stores a task for `caller` (see ``submit(_:userID:)``); a member may not ask for more than
    /// `member_max_priority` (403).
    func submit(_ submission: TaskSubmission, by caller: Caller) async throws -> TaskRepository.Stored {
        try caller.requireMayUse(priority: submission.priority ?? 0, memberMax: config.memberMaxPriority)
        guard let userID = caller.userID else { throw AppError.forbidden("tasks are submitted by users") }
        return try await submit(submission, userID: userID)
    }

    /// Runs cases of a finished task again as a new task of the caller's (``TaskRepository/rerun(id:_:by:memberMaxPriority:)``).
    /// Like a submission, the new task is known at once to nodes of this controller that just found nothing.
    func rerun(taskID: Int64, _ request: RerunRequest, by caller: Caller) async throws -> TaskRepository.Stored {
        let stored = try await tasks.rerun(id: taskID, request, by: caller, memberMaxPriority: config.memberMaxPriority)
        activity.workAppeared(WorkKey(productID: stored.task.product.id, toolID: stored.task.tool.id))
        return stored
    }

    /// A task with its counts and, while it runs, its ETA and why cases wait.
    func taskDetail(id: Int64) async throws -> TaskInfo {
        try await withOutlook(tasks.get(id: id, countingUnfinished: false))
    }

    /// The task with its expected end and the reason its cases wait, while it is not over, and its counts as
    /// the same read found them.
    func withOutlook(_ task: TaskInfo) async throws -> TaskInfo {
        var task = task
        if !task.state.isTerminal {
            let insight = try await scheduling.insight(for: task)
            task.counts = insight.counts
            task.etaS = insight.etaSeconds
            task.pendingReason = insight.pendingReason
        }
        return task
    }
}
