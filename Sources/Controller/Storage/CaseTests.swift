import Foundation
import PostgresNIO
import WireProtocol

/// The tests a result brings (``CaseResult/tests``): checked before anything is stored, then stored with the
/// result, in its transaction. A result without tests costs nothing here.
enum CaseTests {
    /// What a test's output may hold beyond ``TestLimits/outputBytes``: the note where its middle was left out.
    static let outputSlack = 256

    /// Refuses tests the agent could not have read within ``TestLimits``. (Text the database cannot hold is refused
    /// with every request body, by ``TextInputCheck``.)
    static func validate(_ tests: [TestRecord]?, limits: TestLimits = TestLimits()) throws {
        guard let tests else { return }
        guard tests.count <= limits.tests else { throw StoreError.invalid("tests: at most \(limits.tests) per result") }
        var output = 0
        var text = 0
        for (index, test) in tests.enumerated() {
            let field = "tests[\(index)]"
            for (name, value) in [("classname", test.classname), ("name", test.name)] where value.utf8.count > limits.nameBytes {
                throw StoreError.invalid("\(field).\(name): at most \(limits.nameBytes) bytes")
            }
            if let message = test.message, message.utf8.count > limits.messageBytes {
                throw StoreError.invalid("\(field).message: at most \(limits.messageBytes) bytes")
            }
            if let bytes = test.output?.utf8.count, bytes > limits.outputBytes + outputSlack {
                throw StoreError.invalid("\(field).output: at most \(limits.outputBytes) bytes")
            }
            if let duration = test.durationMs, duration < 0 {
                throw StoreError.invalid("\(field).duration_ms: must not be negative")
            }
            output += test.output?.utf8.count ?? 0
            text += test.classname.utf8.count + test.name.utf8.count + (test.message?.utf8.count ?? 0)
        }
        guard output <= limits.totalOutputBytes + outputSlack * tests.count, text <= limits.totalTextBytes else {
            throw StoreError.invalid("tests: more text than a result may hold")
        }
    }

    /// Stores the tests of a run; when `final` (no retry follows), its case reports them. Nothing happens for a
    /// result without tests.
    static func store(_ tests: [TestRecord]?, of run: OpenRun, final: Bool, transaction: Transaction) async throws {
        guard let tests, !tests.isEmpty else { return }
        let statement = CaseTestsStatement(runID: run.runID, tests: tests, final: final)
        for try await _ in try await transaction.execute(statement) {}
    }
}
