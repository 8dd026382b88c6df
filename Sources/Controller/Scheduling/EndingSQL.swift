/// How a run and its case end, in SQL, written once: the result's one-statement path (``DispatchStatement``), the
/// long way (``LeaseStore/endRun(_:how:transaction:)``) and the reaper's ending of a run that is no longer its
/// case's are built from these fragments. Each takes the SQL expressions of its values and of the statement's
/// scheduling-clock instant, `now`.
enum EndingSQL {
    /// How many runs of case `caseID` (an SQL expression) their agents handed back as they shut down.
    static func handBacks(of caseID: String) -> String {
        "(SELECT count(*) FROM case_runs h WHERE h.case_id = \(caseID) AND h.handed_back)::int"
    }

    /// The columns of case run `r` that its end sets.
    static func runEnded(outcome: String, exitCode: String, durationMs: String, message: String, now: String) -> String {
        "outcome = \(outcome), exit_code = \(exitCode), duration_ms = \(durationMs), message = \(message), ended_at = \(now)"
    }

    /// The columns of case `k` that its end sets; a case that never reported running started when it was leased.
    static func caseEnded(state: String, durationMs: String, exitCode: String, message: String, now: String) -> String {
        """
        state = \(state), current_run_id = NULL, duration_ms = \(durationMs), exit_code = \(exitCode), message = \(message),
            started_at = coalesce(k.started_at, k.leased_at), finished_at = \(now), updated_at = \(now)
        """
    }

    /// Learns how long cases take from `rows` (product name, tool name, case name, the duration in milliseconds as
    /// `float8` and as `bigint`, 1, and now): the expected duration that orders the queue moves 30 % of the way to
    /// each new one.
    static func learnDuration(_ rows: String) -> String {
        """
        INSERT INTO case_durations (product_name, tool_name, case_name, mean_ms, last_ms, samples, updated_at)
        \(rows)
        ON CONFLICT (product_name, tool_name, case_name) DO UPDATE SET
            mean_ms = case_durations.mean_ms * 0.7 + excluded.mean_ms * 0.3,
            last_ms = excluded.last_ms, samples = case_durations.samples + 1, updated_at = excluded.updated_at
        """
    }
}
