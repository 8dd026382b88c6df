import Foundation

/// How one test of a case ended, as its JUnit XML says: `<failure>` is `failed`, `<error>` is `error`,
/// `<skipped>` is `skipped`, none of them `passed`.
public enum TestStatus: String, Codable, Sendable, CaseIterable {
    case passed, failed, error, skipped

    /// Counts against the case and the test pass rate.
    public var isFailing: Bool { self == .failed || self == .error }
}
