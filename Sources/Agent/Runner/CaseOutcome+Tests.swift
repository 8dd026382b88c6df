import WireProtocol

extension CaseOutcome {
    /// How many failing tests a case's message names.
    static let failingTestsNamed = 3

    /// The verdict of a case whose result file is JUnit XML, from its tests and `exit`, the verdict of its exit
    /// code: `failed` when a test failed or erred or the exit code is not 0 (the message says which);
    /// `skipped` when the exit code is 0 and every test was skipped, or there were none; otherwise `passed`.
    /// A command that could not run (exit 126 or 127) stays an `error`.
    static func fromTests(_ tests: [TestRecord], exit: Verdict) -> Verdict {
        var verdict = exit
        verdict.tests = tests
        let failing = tests.filter(\.status.isFailing)
        let errors = failing.count(where: { $0.status == .error })
        var summary: String?
        if !failing.isEmpty {
            let names = failing.prefix(failingTestsNamed).map(\.qualifiedName).joined(separator: ", ")
            summary =
                "\(failing.count) of \(tests.count) tests failed" + (errors > 0 ? " (\(errors) with an error)" : "")
                + ": " + names + (failing.count > failingTestsNamed ? ", …" : "")
        }
        switch (exit.status, summary) {
        case (.error, _):
            verdict.message = summary.map { noted(exit.message, $0) } ?? exit.message
        case (.passed, let summary?):
            verdict.status = .failed
            verdict.message = summary
        case (.passed, nil):
            let skipped = tests.allSatisfy { $0.status == .skipped }
            verdict.status = skipped ? .skipped : .passed
            verdict.message =
                !skipped ? nil : tests.isEmpty ? "the result file holds no tests" : "all \(tests.count) tests skipped"
        case (_, let summary?):
            verdict.status = .failed
            verdict.message = noted(summary, exit.message ?? "")
        case (_, nil):
            verdict.status = .failed
            verdict.message = "\(exit.message ?? "failed") though no test failed (\(tests.count) tests)"
        }
        return verdict
    }
}
