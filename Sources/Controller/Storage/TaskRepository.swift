import Foundation
import Logging
import PostgresNIO
import WireProtocol

/// Tasks and their cases: submission, reading, cancelling.
struct TaskRepository: Sendable {
    let database: Database
    let catalog: CatalogRepository
    /// When tasks are stored and cancelled: their age decides their priority (``SchedulingSQL``).
    let clock: SchedulingClock

    /// A submission with its product and tool resolved and its cases checked.
    struct Validated: Sendable {
        var name: String
        var product: ItemSummary
        var tool: ItemSummary
        /// The tool's run command, for cases handed out as the task is stored.
        var runCommand: String
        var cases: [String]
        var priority: Int
        var caseTimeoutS: Int
        var maxInfraRetries: Int
        /// Labels a node must all have to lease the task's cases, sorted.
        var labels: [String] = []
        /// The task whose cases this one runs again.
        var rerunOf: Int64?
    }

    static let maxCases = 1_000_000

    /// Checks a submission; that its tool is linked to its product is checked where it is stored.
    func validate(_ submission: TaskSubmission) async throws -> Validated {
        // Side by side: a submission waits for one round trip, not two.
        async let resolvedProduct = catalog.resolve(Product.self, submission.product)
        async let resolvedTool = catalog.resolve(Tool.self, submission.tool)
        let (product, tool) = try await (resolvedProduct, resolvedTool)
        guard !submission.cases.isEmpty else { throw StoreError.invalid("cases: the list of cases is empty") }
        guard submission.cases.count <= Self.maxCases else {
            throw StoreError.invalid("cases: at most \(Self.maxCases) cases per task")
        }
        var seen = Set<String>(minimumCapacity: submission.cases.count)
        for (index, name) in submission.cases.enumerated() {
            if name.trimmingCharacters(in: .whitespaces).isEmpty {
                throw StoreError.invalid("cases[\(index)]: a case name must not be empty")
            }
            if name.count > 1000 { throw StoreError.invalid("cases[\(index)]: at most 1000 characters") }
            if name.contains(where: \.isNewline) {
                throw StoreError.invalid("cases[\(index)]: a case name must be on one line")
            }
            if !seen.insert(name).inserted {
                throw StoreError.invalid("cases[\(index)]: \(name) appears more than once in the task")
            }
        }
        let priority = submission.priority ?? 0
        guard (-1000...1000).contains(priority) else {
            throw StoreError.invalid("priority: expected -1000 to 1000, got \(priority)")
        }
        let timeout = submission.caseTimeoutS ?? tool.defaultTimeoutS
        guard (1...(7 * 86400)).contains(timeout) else {
            throw StoreError.invalid("case_timeout_s: expected 1 to 604800, got \(timeout)")
        }
        let retries = submission.maxInfraRetries ?? 2
        guard (0...100).contains(retries) else {
            throw StoreError.invalid("max_infra_retries: expected 0 to 100, got \(retries)")
        }
        let name =
            (submission.name?.trimmingCharacters(in: .whitespacesAndNewlines)).flatMap { $0.isEmpty ? nil : $0 }
            ?? "\(product.name) \(product.version) with \(tool.name) \(tool.version)"
        guard name.count <= 500 else { throw StoreError.invalid("name: at most 500 characters") }
        let labels = submission.labels ?? []
        if let problem = NodeLabels.problem(labels, field: "labels") { throw StoreError.invalid(problem) }
        return Validated(
            name: name,
            product: ItemSummary(id: product.id, name: product.name, version: product.version),
            tool: ItemSummary(id: tool.id, name: tool.name, version: tool.version),
            runCommand: tool.runCommand,
            cases: submission.cases,
            priority: priority,
            caseTimeoutS: timeout,
            maxInfraRetries: retries,
            labels: NodeLabels.normalized(labels)
        )
    }

    /// Waiting nodes a submission may lease cases to in the statement that stores the task, each with the id and
    /// fencing token of the run it would start.
    struct Handoff: Sendable {
        var nodes: [Int64] = []
        var runIDs: [UUID] = []
        var tokens: [Int64] = []
        var ttlSeconds: Double = 0

        init() {}

        init(nodes: [Int64], ttlSeconds: Double) {
            self.nodes = nodes
            runIDs = nodes.map { _ in UUID() }
            tokens = nodes.map { _ in Int64.random(in: 1...Int64.max) }
            self.ttlSeconds = ttlSeconds
        }
    }

    /// A case leased as its task was stored.
    struct Handed: Sendable, Equatable {
        var node: Int64
        var runID: UUID
        var token: Int64
        var caseID: Int64
        var caseName: String
        var expiresAt: Date
        var productPath: String
        var toolPath: String
    }

    /// A task as its submission stored it: every case queued but those handed to waiting nodes.
    struct Stored: Sendable {
        var id: Int64
        var createdAt: Date
        var task: Validated
        var handed: [Handed] = []

        func info(submittedBy username: String) -> TaskInfo {
            var counts = CaseCounts()
            counts.total = task.cases.count
            counts.queued = task.cases.count - handed.count
            counts.leased = handed.count
            return TaskInfo(
                id: id,
                name: task.name,
                state: handed.isEmpty ? .queued : .running,
                product: task.product,
                tool: task.tool,
                submittedBy: username,
                priority: task.priority,
                caseTimeoutS: task.caseTimeoutS,
                maxInfraRetries: task.maxInfraRetries,
                counts: counts,
                createdAt: createdAt,
                startedAt: handed.isEmpty ? nil : createdAt,
                finishedAt: nil,
                labels: task.labels,
                rerunOf: task.rerunOf
            )
        }
    }

    /// Validates and stores a task with all its cases (see ``SubmitStatement``); returns its id.
    func submit(_ submission: TaskSubmission, userID: Int64) async throws -> Int64 {
        try await store(try await validate(submission), userID: userID).id
    }

    /// Stores a validated task; the cases the lease statement would pick first go at once to `handoff`'s nodes
    /// (see ``SubmitStatement``). The others are notified of what is left.
    /// In `transaction` when one is given, so that what goes with the submission commits with it.
    func store(
        _ task: Validated,
        userID: Int64,
        handoff: Handoff = Handoff(),
        in transaction: Transaction? = nil
    ) async throws -> Stored {
        let statement = SubmitStatement(task: task, userID: userID, handoff: handoff, now: clock.now)
        var rows: [SubmitStatement.Row] = []
        do {
            if task.cases.count <= SubmitStatement.preparedCaseLimit {
                let sequence =
                    if let transaction { try await transaction.execute(statement) } else { try await database.execute(statement) }
                for try await row in sequence { rows.append(row) }
            } else {
                // Planned for its size: a plan made once for a few cases would join a long list slowly.
                let query = PostgresQuery(unsafeSQL: SubmitStatement.sql, binds: try statement.makeBindings())
                let sequence = if let transaction { try await transaction.query(query) } else { try await database.query(query) }
                for try await row in sequence { rows.append(try statement.decodeRow(row)) }
            }
        } catch {
            throw Database.translate(error)
        }
        guard let first = rows.first else {
            throw StoreError.invalid(
                "tool \(task.tool.name) \(task.tool.version) is not linked to product \(task.product.name) \(task.product.version)"
            )
        }
        var handed: [Handed] = []
        for (_, _, node, runID, token, caseID, caseName, expiresAt, productPath, toolPath) in rows {
            guard let node, let runID, let token, let caseID, let caseName, let expiresAt, let productPath, let toolPath
            else { continue }
            handed.append(
                Handed(
                    node: node,
                    runID: runID,
                    token: token,
                    caseID: caseID,
                    caseName: caseName,
                    expiresAt: expiresAt,
                    productPath: productPath,
                    toolPath: toolPath
                )
            )
        }
        return Stored(id: first.0, createdAt: first.1, task: task, handed: handed)
    }

    /// Who submitted a task: the user, or the name kept when their account was deleted.
    static let submitter = "coalesce(u.username, t.submitted_by_name)"

    static let taskColumns = """
        t.id, t.name, t.state, t.priority, t.case_timeout_s, t.max_infra_retries, t.created_at, t.started_at,
        t.finished_at, p.id, p.name, p.version, tl.id, tl.name, tl.version, \(submitter), t.case_count, r.report_url,
        t.labels, t.rerun_of
        """

    static let taskJoins = """
        FROM tasks t JOIN products p ON p.id = t.product_id JOIN tools tl ON tl.id = t.tool_id
        LEFT JOIN users u ON u.id = t.submitted_by LEFT JOIN reports r ON r.task_id = t.id
        """

    static func task(_ row: PostgresRow) throws -> TaskInfo {
        let (
            id, name, state, priority, timeout, retries, created, started, finished, productID, productName,
            productVersion, toolID, toolName, toolVersion, user, caseCount, reportURL, labels, rerunOf
        ) = try row.decode(
            (
                Int64, String, String, Int, Int, Int, Date, Date?, Date?, Int64, String, String, Int64, String,
                String, String, Int, String?, [String], Int64?
            ).self
        )
        var counts = CaseCounts()
        counts.total = caseCount
        return TaskInfo(
            id: id,
            name: name,
            state: TaskState(rawValue: state) ?? .queued,
            product: ItemSummary(id: productID, name: productName, version: productVersion),
            tool: ItemSummary(id: toolID, name: toolName, version: toolVersion),
            submittedBy: user,
            priority: priority,
            caseTimeoutS: timeout,
            maxInfraRetries: retries,
            counts: counts,
            createdAt: created,
            startedAt: started,
            finishedAt: finished,
            reportUrl: reportURL,
            labels: labels,
            rerunOf: rerunOf
        )
    }

    struct ListFilter: Sendable {
        var state: TaskState?
        var productID: Int64?
        var user: String?
    }

    /// Tasks, newest first, with their case counts.
    func list(_ pagination: Pagination, filter: ListFilter) async throws -> Page<TaskInfo> {
        let rows = try await database.query(
            """
            SELECT \(unescaped: Self.taskColumns) \(unescaped: Self.taskJoins)
            WHERE t.id < \(pagination.after ?? Int64.max)
              AND (\(filter.state?.rawValue)::text IS NULL OR t.state = \(filter.state?.rawValue))
              AND (\(filter.productID)::bigint IS NULL OR t.product_id = \(filter.productID))
              AND (\(filter.user)::text IS NULL OR t.submitted_by IN (
                  SELECT id FROM users WHERE username = \(filter.user)
                  UNION SELECT submitted_by FROM tasks WHERE submitted_by_name = \(filter.user)))
            ORDER BY t.id DESC LIMIT \(pagination.limit + 1)
            """
        ).all()
        var tasks = try rows.map(Self.task)
        let counts = try await counts(taskIDs: tasks.map(\.id))
        let tests = try await TestRepository(database: database).counts(taskIDs: tasks.map(\.id))
        for index in tasks.indices {
            tasks[index].counts = counts[tasks[index].id] ?? tasks[index].counts
            tasks[index].tests = tests[tasks[index].id]
        }
        return pagination.page(tasks, id: \.id)
    }

    /// The task with its counts; `countingUnfinished: false` leaves the counting of a task that is not over to
    /// the caller, which counts them with more (``SchedulingInsight``).
    func get(id: Int64, countingUnfinished: Bool = true) async throws -> TaskInfo {
        guard
            let row = try await database.query(
                "SELECT \(unescaped: Self.taskColumns) \(unescaped: Self.taskJoins) WHERE t.id = \(id)"
            ).first()
        else { throw try await absence(of: id) }
        var task = try Self.task(row)
        if countingUnfinished || task.state.isTerminal {
            task.counts = try await counts(taskIDs: [id])[id] ?? task.counts
        }
        task.tests = try await TestRepository(database: database).counts(taskIDs: [id])[id]
        return task
    }

    /// Why task `id` is not there: 410 when it was deleted (the product's test-result history still names it),
    /// else 404.
    func absence(of id: Int64) async throws -> StoreError {
        let deleted =
            try await database.query(
                "SELECT EXISTS (SELECT 1 FROM product_test_results WHERE task_id = \(id))"
            ).collect(Bool.self).first ?? false
        return deleted ? StoreError.gone("task \(id) was deleted with its cases, logs and report") : .notFound("no task \(id)")
    }

    /// Case counts per state for each task, from one aggregate.
    func counts(taskIDs: [Int64]) async throws -> [Int64: CaseCounts] {
        guard !taskIDs.isEmpty else { return [:] }
        var out: [Int64: CaseCounts] = [:]
        for try await (taskID, state, count) in try await database.query(
            """
            SELECT task_id, state, count(*)::int FROM cases WHERE task_id = ANY(\(taskIDs)) GROUP BY task_id, state
            """
        ).decode((Int64, String, Int).self) {
            var counts = out[taskID] ?? CaseCounts()
            if let state = CaseState(rawValue: state) { counts[state] = count }
            counts.total += count
            out[taskID] = counts
        }
        return out
    }

    /// Cases waiting for a node, across every task.
    func queuedCaseCount() async throws -> Int {
        try await database.query("SELECT count(*)::int FROM cases WHERE state = 'queued'").collect(Int.self).first ?? 0
    }
}
