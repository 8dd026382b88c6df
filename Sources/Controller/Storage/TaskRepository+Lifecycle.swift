import Foundation
import PostgresNIO
import WireProtocol

/// What a task's submitter or an admin does to it after submitting: cancel it or one of its cases, run some of
/// its cases again, delete it. Each is decided with the task's row locked and audited in the same transaction.
extension TaskRepository {
    /// The task as a change to it needs it.
    struct Owned: Sendable {
        var state: TaskState
        var name: String
        var productID: Int64
        var toolID: Int64
        var priority: Int
        var caseTimeoutS: Int
        var maxInfraRetries: Int
        var labels: [String]
    }

    /// Task `id` with its row locked (`FOR UPDATE`, or `FOR SHARE` to only read it), when `caller` may change it
    /// (``Caller/requireMayChange(task:submittedBy:ownerName:)``); 403 otherwise, 404 or 410 when it is not there.
    func owned(_ id: Int64, by caller: Caller, share: Bool = false, transaction: Transaction) async throws -> Owned {
        let lock = share ? "FOR SHARE OF t" : "FOR UPDATE OF t"
        guard
            let row = try await transaction.query(
                """
                SELECT t.state, t.submitted_by, \(unescaped: Self.submitter), t.name, t.product_id, t.tool_id, t.priority,
                    t.case_timeout_s, t.max_infra_retries, t.labels
                FROM tasks t LEFT JOIN users u ON u.id = t.submitted_by WHERE t.id = \(id) \(unescaped: lock)
                """
            ).first()
        else { throw try await absence(of: id) }
        let (state, owner, ownerName, name, product, tool, priority, timeout, retries, labels) = try row.decode(
            (String, Int64?, String, String, Int64, Int64, Int, Int, Int, [String]).self
        )
        try caller.requireMayChange(task: id, submittedBy: owner, ownerName: ownerName)
        return Owned(
            state: TaskState(rawValue: state) ?? .queued,
            name: name,
            productID: product,
            toolID: tool,
            priority: priority,
            caseTimeoutS: timeout,
            maxInfraRetries: retries,
            labels: labels
        )
    }

    /// Cancels a task (its submitter or an admin): queued cases end `cancelled` now; running ones are told
    /// through their heartbeat.
    func cancel(id: Int64, by caller: Caller, completion: TaskCompletion) async throws {
        try await database.transaction { transaction in
            let task = try await owned(id, by: caller, transaction: transaction)
            if task.state == .completed { throw StoreError.conflict("task \(id) has already completed") }
            if task.state == .cancelled { return }
            let now = clock.now
            try await transaction.query(
                """
                UPDATE tasks SET state = 'cancelled', finished_at = \(now), updated_at = \(now) WHERE id = \(id)
                """
            )
            let queued =
                try await transaction.query(
                    """
                    WITH cancelled AS (
                        UPDATE cases SET state = 'cancelled', message = 'cancelled before it ran', finished_at = \(now),
                            updated_at = \(now)
                        WHERE task_id = \(id) AND state = 'queued' RETURNING 1
                    )
                    SELECT count(*)::int FROM cancelled
                    """
                ).collect(Int.self).first ?? 0
            try await transaction.audit(caller, .taskCancel, .task(id), "\(task.name); \(queued) queued cases cancelled")
            try await completion.completeIfDone(taskID: id, transaction: transaction)
        }
    }

    /// Cancels one case, its task going on: a queued case ends `cancelled` now; a leased or running one is
    /// stopped by its agent, told by its next heartbeat, and ends `cancelled` with its result (or, lost, by the
    /// reaper). 409 for a case that has ended.
    ///
    /// Locks are taken in the orders of what else changes these rows: for a queued case the task's row, then the
    /// case's, as cancelling the task does; for a case under way its run's row, then the task's, as ending a run
    /// does. A case that changes state meanwhile is looked at again, in a new transaction.
    func cancelCase(id: Int64, by caller: Caller, completion: TaskCompletion) async throws {
        for _ in 0..<5 {
            let done = try await database.transaction { transaction -> Bool in
                guard
                    let row = try await transaction.query(
                        "SELECT k.state, k.current_run_id, k.task_id, k.name FROM cases k WHERE k.id = \(id)"
                    ).first()
                else { throw StoreError.notFound("no case \(id)") }
                let (stateName, runID, taskID, name) = try row.decode((String, UUID?, Int64, String).self)
                let state = CaseState(rawValue: stateName) ?? .error
                let task: Owned
                switch (state, runID) {
                case (.queued, _):
                    task = try await owned(taskID, by: caller, transaction: transaction)
                    let now = clock.now
                    let cancelled = try await transaction.query(
                        """
                        UPDATE cases SET state = 'cancelled', message = 'cancelled before it ran', finished_at = \(now),
                            updated_at = \(now)
                        WHERE id = \(id) AND state = 'queued' RETURNING id
                        """
                    ).first()
                    guard cancelled != nil else { return false }
                    try await completion.completeIfDone(taskID: taskID, transaction: transaction)
                case (.leased, let runID?), (.running, let runID?):
                    let asked = try await transaction.query(
                        """
                        UPDATE case_runs SET cancel_requested_at = coalesce(cancel_requested_at, now())
                        WHERE id = \(runID) AND outcome IS NULL RETURNING id
                        """
                    ).first()
                    guard asked != nil else { return false }
                    task = try await owned(taskID, by: caller, transaction: transaction)
                default:
                    _ = try await owned(taskID, by: caller, share: true, transaction: transaction)
                    throw StoreError.conflict("case \(id) has already ended as \(state.rawValue)")
                }
                let how = state == .queued ? "before it ran" : "while \(state.rawValue): its agent stops it"
                try await transaction.audit(caller, .caseCancel, .case(id), "\(name) of task \(taskID) (\(task.name)), \(how)")
                return true
            }
            if done { return }
        }
        throw StoreError.conflict("case \(id) keeps changing state; try again")
    }

    /// Runs cases of a finished task again as a new task of the caller's, with the original's product, tool,
    /// priority, timeout, retries and labels, and `rerun_of` naming it. 409 while the original runs or when
    /// nothing is selected.
    func rerun(id: Int64, _ request: RerunRequest, by caller: Caller, memberMaxPriority: Int) async throws -> Stored {
        guard let userID = caller.userID else { throw StoreError.notPermitted("tasks are submitted by users") }
        return try await database.transaction { transaction in
            let original = try await owned(id, by: caller, share: true, transaction: transaction)
            guard original.state.isTerminal else {
                throw StoreError.conflict("task \(id) is still \(original.state.rawValue): rerun it once it has finished")
            }
            let selection = request.cases ?? .failed
            let names = try await caseNames(taskID: id, selection, transaction: transaction)
            guard !names.isEmpty else {
                throw StoreError.conflict(
                    selection == .failed
                        ? "task \(id) has no failed, error, timed-out or cancelled case to rerun"
                        : "no case of task \(id) is selected to rerun"
                )
            }
            try caller.requireMayUse(priority: original.priority, memberMax: memberMaxPriority)
            var task = try await validate(
                TaskSubmission(
                    name: request.name ?? String("rerun of \(original.name)".prefix(500)),
                    product: ItemReference(id: original.productID),
                    tool: ItemReference(id: original.toolID),
                    cases: names,
                    priority: original.priority,
                    caseTimeoutS: original.caseTimeoutS,
                    maxInfraRetries: original.maxInfraRetries,
                    labels: original.labels
                )
            )
            task.rerunOf = id
            let stored = try await store(task, userID: userID, in: transaction)
            try await transaction.audit(caller, .taskRerun, .task(id), "\(names.count) cases as task \(stored.id)")
            return stored
        }
    }

    /// The names of task `taskID`'s cases that `selection` picks, in submission order (a list: in its own order);
    /// 422 for a name the task does not have.
    private func caseNames(taskID: Int64, _ selection: RerunSelection, transaction: Transaction) async throws -> [String] {
        switch selection {
        case .failed, .all:
            return try await transaction.query(
                """
                SELECT name FROM cases WHERE task_id = \(taskID)
                  AND (\(selection == .all) OR state IN ('failed', 'error', 'timed_out', 'cancelled'))
                ORDER BY ordinal
                """
            ).collect(String.self)
        case .names(let names):
            let known = Set(
                try await transaction.query(
                    "SELECT name FROM cases WHERE task_id = \(taskID) AND name = ANY(\(names))"
                ).collect(String.self)
            )
            if let index = names.firstIndex(where: { !known.contains($0) }) {
                throw StoreError.invalid("cases[\(index)]: task \(taskID) has no case named \(names[index])")
            }
            return names
        }
    }

    /// Deletes a finished task with its cases, runs, logs and report (``TaskDeletion``); 409 while it or one of
    /// its cases still runs.
    func delete(id: Int64, by caller: Caller) async throws {
        try await database.transaction { transaction in
            let task = try await owned(id, by: caller, transaction: transaction)
            guard task.state.isTerminal else {
                throw StoreError.conflict("task \(id) is still \(task.state.rawValue): cancel it or let it finish first")
            }
            let running =
                try await transaction.query(
                    "SELECT count(*)::int FROM cases WHERE task_id = \(id) AND state IN ('leased', 'running')"
                ).collect(Int.self).first ?? 0
            guard running == 0 else {
                throw StoreError.conflict("task \(id) still has \(running) running cases: they end once their agents stop them")
            }
            try await TaskDeletion.deleteRow(taskID: id, transaction: transaction)
            try await transaction.audit(caller, .taskDelete, .task(id), task.name)
        }
    }
}
