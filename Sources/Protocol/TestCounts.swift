import Foundation

/// Tests per status: of a case, or summed over the final attempt of each case of a task.
public struct TestCounts: Codable, Sendable, Equatable {
    public var total = 0
    public var passed = 0
    public var failed = 0
    public var error = 0
    public var skipped = 0

    public init() {}

    public init(total: Int, passed: Int, failed: Int, error: Int, skipped: Int) {
        self.total = total
        self.passed = passed
        self.failed = failed
        self.error = error
        self.skipped = skipped
    }

    public init(_ statuses: some Sequence<TestStatus>) {
        for status in statuses { self[status] += 1 }
    }

    public subscript(status: TestStatus) -> Int {
        get {
            switch status {
            case .passed: passed
            case .failed: failed
            case .error: error
            case .skipped: skipped
            }
        }
        set {
            total += newValue - self[status]
            switch status {
            case .passed: passed = newValue
            case .failed: failed = newValue
            case .error: error = newValue
            case .skipped: skipped = newValue
            }
        }
    }

    /// Sums two counts.
    public static func + (lhs: TestCounts, rhs: TestCounts) -> TestCounts {
        TestCounts(
            total: lhs.total + rhs.total,
            passed: lhs.passed + rhs.passed,
            failed: lhs.failed + rhs.failed,
            error: lhs.error + rhs.error,
            skipped: lhs.skipped + rhs.skipped
        )
    }

    /// `120 tests: 115 passed, 3 failed, 1 error, 1 skipped`, leaving out zeros.
    public var summary: String {
        let parts = TestStatus.allCases.compactMap { self[$0] > 0 ? "\(self[$0]) \($0.rawValue)" : nil }
        return "\(total) tests" + (parts.isEmpty ? "" : ": " + parts.joined(separator: ", "))
    }

    /// passed / (passed + failed + error), as the case pass rate leaves out skipped cases; `nil` when none ran.
    public var passRate: Double? {
        let ran = passed + failed + error
        return ran == 0 ? nil : Double(passed) / Double(ran)
    }
}
