import Foundation

/// How one test of a case ended, as its JUnit XML says: `<failure>` is `failed`, `<error>` is `error`,
/// `<skipped>` is `skipped`, none of them `passed`.
public enum TestStatus: String, Codable, Sendable, CaseIterable {
    case passed, failed, error, skipped

    /// Counts against the case and the test pass rate.
    public var isFailing: Bool { self == .failed || self == .error }
}

/// Anything that names a test within its case.
public protocol NamedTest {
    var classname: String { get }
    var name: String { get }
}

extension NamedTest {
    /// `classname.name`, or the name alone when there is no class name: how people read a test's name.
    public var qualifiedName: String { classname.isEmpty ? name : "\(classname).\(name)" }
}

/// One test of a case as the agent reports it with the result (`CaseResult.tests`).
public struct TestRecord: Codable, Sendable, Equatable, NamedTest {
    public var classname: String
    public var name: String
    public var status: TestStatus
    public var durationMs: Int64?
    /// The failure's, error's or skip's `message` attribute, else the first line of its text.
    public var message: String?
    /// The failure or error text, then `system-out` and `system-err`: at most 64 KiB, head and tail.
    public var output: String?
    /// Passed after failing in the same run (a rerun inside the tool: `flakyFailure`, `rerunFailure`, …).
    public var flaky: Bool?

    public init(
        classname: String,
        name: String,
        status: TestStatus,
        durationMs: Int64? = nil,
        message: String? = nil,
        output: String? = nil,
        flaky: Bool? = nil
    ) {
        self.classname = classname
        self.name = name
        self.status = status
        self.durationMs = durationMs
        self.message = message
        self.output = output
        self.flaky = flaky
    }
}

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

/// One test of a case: `GET /api/v1/cases/{id}/tests` lists them, `GET /api/v1/cases/{id}/tests/{n}` adds
/// the output.
public struct CaseTest: Codable, Sendable, Equatable, NamedTest {
    /// The test's place in its result file, from 1: its address under the case.
    public var n: Int
    public var classname: String
    public var name: String
    public var status: TestStatus
    public var durationMs: Int64?
    public var message: String?
    public var flaky: Bool?
    /// Only in the single-test answer.
    public var output: String?

    public init(
        n: Int,
        classname: String,
        name: String,
        status: TestStatus,
        durationMs: Int64?,
        message: String?,
        flaky: Bool? = nil,
        output: String? = nil
    ) {
        self.n = n
        self.classname = classname
        self.name = name
        self.status = status
        self.durationMs = durationMs
        self.message = message
        self.flaky = flaky
        self.output = output
    }
}
