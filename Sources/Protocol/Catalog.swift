import Foundation

/// A stored artifact (uploaded file) of a product or tool.
public struct Artifact: Codable, Sendable, Equatable {
    public var filename: String
    public var size: Int64
    public var sha256: String

    public init(filename: String, size: Int64, sha256: String) {
        self.filename = filename
        self.size = size
        self.sha256 = sha256
    }
}

/// Body of `PUT /api/v1/products/{id}/tools`.
public struct ProductToolsInput: Codable, Sendable {
    public var toolIds: [Int64]

    public init(toolIds: [Int64]) { self.toolIds = toolIds }
}

/// Body of `PUT /api/v1/products/{id}/test-result`.
public struct TestResultInput: Codable, Sendable {
    /// The case pass rate.
    public var passRate: Double
    public var reportUrl: String?
    public var source: String?
    /// Test counts, when the cases reported tests; the test pass rate follows from them.
    public var tests: TestCounts?

    public init(passRate: Double, reportUrl: String? = nil, source: String? = nil, tests: TestCounts? = nil) {
        self.passRate = passRate
        self.reportUrl = reportUrl
        self.source = source
        self.tests = tests
    }
}

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
