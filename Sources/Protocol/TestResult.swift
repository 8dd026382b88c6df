import Foundation

/// The product's current test result with its history, newest first.
public struct TestResult: Codable, Sendable {
    public var productId: Int64
    public var passRate: Double?
    public var reportUrl: String?
    public var source: String?
    public var updatedAt: Date?
    public var tests: TestCounts?
    public var testPassRate: Double?
    public var history: [TestResultEntry]

    public init(productId: Int64, history: [TestResultEntry]) {
        self.productId = productId
        self.passRate = history.first?.passRate
        self.reportUrl = history.first?.reportUrl
        self.source = history.first?.source
        self.updatedAt = history.first?.updatedAt
        self.tests = history.first?.tests
        self.testPassRate = history.first?.testPassRate
        self.history = history
    }
}
