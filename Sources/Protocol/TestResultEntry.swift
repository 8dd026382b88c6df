import Foundation

public struct TestResultEntry: Codable, Sendable, Equatable {
    /// passed / (passed + failed + error + timed_out) over cases.
    public var passRate: Double
    public var reportUrl: String?
    public var source: String?
    public var taskId: Int64?
    public var updatedAt: Date
    public var tests: TestCounts?
    /// passed / (passed + failed + error) over tests; absent without tests.
    public var testPassRate: Double?

    public init(
        passRate: Double,
        reportUrl: String?,
        source: String?,
        taskId: Int64?,
        updatedAt: Date,
        tests: TestCounts? = nil,
        testPassRate: Double? = nil
    ) {
        self.passRate = passRate
        self.reportUrl = reportUrl
        self.source = source
        self.taskId = taskId
        self.updatedAt = updatedAt
        self.tests = tests
        self.testPassRate = testPassRate
    }
}
