import Foundation
import Hummingbird
import NIOCore
import WireProtocol

/// A finished task's report as JSON, HTML and JUnit XML.
struct ReportRoutes {
    let services: ControllerServices

    func addRoutes(to api: RouterGroup<AppRequestContext>) {
        api.get("tasks/:id/report") { request, context -> Response in
            _ = try context.requireUser()
            let body = try await reportBody(try request.id(context))
            return Response(
                status: .ok,
                headers: [.contentType: "application/json; charset=utf-8"],
                body: .init(byteBuffer: ByteBuffer(string: body))
            )
        }
        api.get("tasks/:id/report.html") { request, context -> Response in
            _ = try context.requireUser()
            let report = try await report(try request.id(context))
            return Response(
                status: .ok,
                headers: [.contentType: "text/html; charset=utf-8"],
                body: .init(byteBuffer: ByteBuffer(string: HTMLReportRenderer.render(report)))
            )
        }
        api.get("tasks/:id/report.xml") { request, context -> Response in
            _ = try context.requireUser()
            let id = try request.id(context)
            let report = try await report(id)
            let cases = try await junitCases(taskID: id, withPassingTails: report.counts.total <= 5000)
            return Response(
                status: .ok,
                headers: [.contentType: "application/xml; charset=utf-8"],
                body: .init(byteBuffer: ByteBuffer(string: JUnitRenderer.render(report: report, cases: cases)))
            )
        }
    }

    private func reportBody(_ taskID: Int64) async throws -> String {
        guard
            let body = try await services.database.query(
                "SELECT body::text FROM reports WHERE task_id = \(taskID)"
            ).collect(String.self).first
        else {
            _ = try await services.tasks.get(id: taskID)
            throw AppError.notFound("task \(taskID) has no report yet: it is written when the task ends")
        }
        return body
    }

    func report(_ taskID: Int64) async throws -> TaskReport {
        try WireJSON.decoder().decode(TaskReport.self, from: Data(try await reportBody(taskID).utf8))
    }

    /// How much of the end of a case's log its JUnit entry carries.
    static let junitTailBytes = 2048

    /// The cases with the tail of their last run's log (failing cases always; passing ones when asked).
    private func junitCases(taskID: Int64, withPassingTails: Bool) async throws -> [JUnitRenderer.Case] {
        var cases: [JUnitRenderer.Case] = []
        var tests = try await TestRepository(database: services.database).exportedTests(taskID: taskID)
        for try await row in try await services.database.query(
            """
            SELECT \(unescaped: CaseEntryColumns.sql), k.ordinal,
                   (SELECT substring(t.text FROM greatest(length(t.text) - \(Self.junitTailBytes - 1)::int, 1))
                    FROM (SELECT string_agg(l.data, ''::bytea ORDER BY l.byte_offset) AS text FROM case_logs l
                          WHERE l.run_id = last.run_id AND l.byte_offset + length(l.data) > last.size - \(Self.junitTailBytes)) t)
            FROM cases k LEFT JOIN nodes n ON n.id = k.node_id
            -- The last run that logged anything, and its log's size: the tail may span several chunks.
            LEFT JOIN LATERAL (
                SELECT r.id AS run_id, max(l.byte_offset + length(l.data)) AS size
                FROM case_runs r JOIN case_logs l ON l.run_id = r.id
                WHERE r.case_id = k.id AND (k.state <> 'passed' OR \(withPassingTails))
                GROUP BY r.id, r.attempt ORDER BY r.attempt DESC LIMIT 1
            ) last ON true
            WHERE k.task_id = \(taskID) ORDER BY k.ordinal
            """
        ) {
            let columns = row.makeRandomAccess()
            let ordinal = try columns[CaseEntryColumns.count].decode(Int.self)
            cases.append(
                .init(
                    entry: try CaseEntryColumns.entry(columns),
                    logTail: try columns[CaseEntryColumns.count + 1].decode(ByteBuffer?.self).map { String(buffer: $0) },
                    tests: tests.removeValue(forKey: ordinal) ?? []
                )
            )
        }
        return cases
    }
}
