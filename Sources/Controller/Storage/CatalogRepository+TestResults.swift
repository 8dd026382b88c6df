import Foundation
import PostgresNIO
import WireProtocol

/// A product's test results: recorded by a finished task's report or by other services, read with their history.
extension CatalogRepository {
    func setTestResult(
        productID: Int64,
        _ input: TestResultInput,
        source defaultSource: String,
        by caller: Caller
    ) async throws
        -> TestResult
    {
        guard input.passRate.isFinite, (0...1).contains(input.passRate) else {
            throw StoreError.invalid("pass_rate: expected a number from 0 to 1, got \(input.passRate)")
        }
        if let url = input.reportUrl, url.count > 2000 { throw StoreError.invalid("report_url: at most 2000 characters") }
        if let tests = input.tests {
            let parts = [tests.passed, tests.failed, tests.error, tests.skipped]
            guard parts.allSatisfy({ $0 >= 0 }), parts.reduce(0, +) == tests.total else {
                throw StoreError.invalid("tests: counts must not be negative and must add up to total")
            }
        }
        _ = try await item(Product.self, id: productID)
        try await database.transaction { transaction in
            try await transaction.query(
                Self.insertTestResult(productID: productID, input, source: input.source ?? defaultSource, taskID: nil)
            )
            try await transaction.audit(caller, .productTestResult, .catalog(.product, productID), "pass rate \(input.passRate)")
        }
        return try await testResult(productID: productID)
    }

    /// The statement that records a product's test result; the test pass rate follows from the test counts.
    static func insertTestResult(productID: Int64, _ input: TestResultInput, source: String, taskID: Int64?) -> PostgresQuery {
        let tests = input.tests
        return """
            INSERT INTO product_test_results (product_id, pass_rate, report_url, source, task_id, tests_total, tests_passed,
                tests_failed, tests_error, tests_skipped, test_pass_rate)
            VALUES (\(productID), \(input.passRate), \(input.reportUrl), \(source), \(taskID), \(tests?.total),
                \(tests?.passed), \(tests?.failed), \(tests?.error), \(tests?.skipped), \(tests?.passRate))
            """
    }

    func testResult(productID: Int64, historyLimit: Int = 100) async throws -> TestResult {
        _ = try await item(Product.self, id: productID)
        let history = try await database.query(
            """
            SELECT pass_rate, report_url, source, task_id, created_at, tests_total, tests_passed, tests_failed,
                   tests_error, tests_skipped, test_pass_rate
            FROM product_test_results
            WHERE product_id = \(productID) ORDER BY created_at DESC, id DESC LIMIT \(historyLimit)
            """
        ).all().map { row in
            let (rate, url, source, task, created, total, passed, failed, error, skipped, testRate) = try row.decode(
                (Double, String?, String?, Int64?, Date, Int?, Int?, Int?, Int?, Int?, Double?).self
            )
            return TestResultEntry(
                passRate: rate,
                reportUrl: url,
                source: source,
                taskId: task,
                updatedAt: created,
                tests: TestRepository.counts(total, passed, failed, error, skipped),
                testPassRate: testRate
            )
        }
        return TestResult(productId: productID, history: history)
    }
}
