import Foundation

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
