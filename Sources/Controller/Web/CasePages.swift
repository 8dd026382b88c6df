import Foundation
import HTTPTypes
import Hummingbird
import WireProtocol

/// A case: its attempts and the log of one of them, followed live while it runs; cancelling it.
struct CasePages {
    let services: ControllerServices
    let renderer: WebRenderer

    /// The most of a log the page shows at once; the raw log link has all of it.
    static let tailBytes: Int64 = 256 << 10

    /// The case page's log panel.
    struct LogPanel {
        var text: String
        var truncated: Bool
        var tailSize: String
    }

    /// Where a live log stream stands.
    struct Follow: Sendable {
        var attempt: Int?
        var offset: Int64
        /// Show the latest attempt, switching when a new one starts; otherwise stay on `attempt`.
        var latest: Bool
        var regions = LiveRegions()
    }

    func addRoutes(to web: RouterGroup<AppRequestContext>) {
        web.get("cases/:id") { request, context -> Response in
            let user = try context.webUser(request)
            let id = try request.id(context)
            let attempt = try Self.attempt(request)
            let detail = try await services.tasks.caseDetail(id: id)
            let run = try CasePageView.run(detail, attempt: attempt)
            let view = CasePageView(detail, shown: run, viewer: user.caller)
            var panel = LogPanel(text: "", truncated: false, tailSize: WebFormat.bytes(Self.tailBytes))
            var offset: Int64 = 0
            if let run {
                let from = max(0, run.logBytes - Self.tailBytes)
                let (bytes, end) = try await services.logs.read(runID: run.id, from: from)
                let text = LogText.decode(bytes, end: end, complete: run.outcome != nil, startsMidLog: from > 0)
                panel.text = text.text
                panel.truncated = from > 0
                offset = text.next
            }
            let tests = try await testsView(detail, request)
            var frame = frame(view, user, log: panel, tests: tests)
            if !view.settled {
                var query = "offset=\(offset)"
                if let shown = view.shownAttempt { query += "&attempt=\(shown)" }
                if attempt == nil { query += "&follow=latest" }
                frame.events = "/events/cases/\(id)/log?" + query
            }
            return try renderer.page("case", frame)
        }
        web.get("cases/:id/tests/:n") { request, context -> Response in
            let user = try context.webUser(request)
            let id = try request.id(context)
            let test = try await TestRepository(database: services.database).test(caseID: id, n: Int(try request.id(context, "n")))
            let view = TestPageView(test, of: try await services.tasks.caseDetail(id: id))
            let page = renderer.frame(view.test.name, user, .tasks, view)
            return try renderer.page("test", page)
        }
        web.button("cases/:id/cancel") { user, id, context in
            try await services.tasks.cancelCase(id: id, by: user.caller, completion: services.completion)
            context.logger.info("case cancelled", metadata: ["testfleet.case.id": .stringConvertible(id)])
            return "/cases/\(id)"
        }
        web.get("events/cases/:id/log") { request, context -> Response in
            let user = try context.webUser(request)
            let id = try request.id(context)
            var follow = Follow(attempt: try Self.attempt(request), offset: 0, latest: request.query("follow") == "latest")
            if let text = request.query("offset") {
                guard let offset = Int64(text), offset >= 0 else { throw AppError.unprocessable("offset: expected a byte offset ≥ 0") }
                follow.offset = offset
            }
            // A reconnecting browser says where it got to: `attempt:offset`.
            if let last = request.headers[HTTPField.Name("Last-Event-ID")!], let colon = last.firstIndex(of: ":"),
                let attempt = Int(last[..<colon]), let offset = Int64(last[last.index(after: colon)...])
            {
                follow.attempt = attempt
                follow.offset = offset
            }
            _ = try await services.tasks.caseDetail(id: id)
            return EventStream.response(context: context, initial: follow) { follow in
                try await poll(caseID: id, user: user, &follow)
            }
        }
    }

    /// One step of a live case page: new log text, a switch to a new attempt, changed parts of the page.
    private func poll(caseID: Int64, user: WebUser, _ follow: inout Follow) async throws -> EventStream.Poll {
        let detail = try await services.tasks.caseDetail(id: caseID)
        var events: [EventStream.Event] = []
        let run = follow.latest ? detail.runs.last : detail.runs.first { $0.attempt == follow.attempt }
        var logDone = run == nil
        if let run {
            if run.attempt != follow.attempt {
                follow.attempt = run.attempt
                follow.offset = 0
                events.append(try .json("log-reset", ["attempt": String(run.attempt), "raw": "/api/v1/cases/\(caseID)/log?attempt=\(run.attempt)"]))
            }
            let (bytes, end) = try await services.logs.read(runID: run.id, from: follow.offset)
            let text = LogText.decode(bytes, end: end, complete: run.outcome != nil, startsMidLog: false)
            if !text.text.isEmpty {
                events.append(try .json("log", ["text": text.text], id: "\(run.attempt):\(text.next)"))
            }
            follow.offset = text.next
            logDone = run.outcome != nil && text.next >= end
        }
        let view = CasePageView(detail, shown: run, viewer: user.caller)
        let frame = frame(view, user, log: nil)
        events += try follow.regions.event(["case-live": try renderer.fragment("case-live", frame)])
        let done = view.settled && logDone && (!follow.latest || run?.attempt == detail.runs.last?.attempt)
        return EventStream.Poll(events: events + (done ? [.end] : []), done: done)
    }

    private func frame(_ view: CasePageView, _ user: WebUser, log: LogPanel?, tests: CaseTestsView? = nil) -> PageFrame {
        renderer.frame(view.case.name, user, .tasks, CasePage(view: view, log: log, tests: tests))
    }

    /// The case, its log panel and its tests, as the templates see them.
    struct CasePage {
        var view: CasePageView
        var log: LogPanel?
        var tests: CaseTestsView?
    }

    /// One page of the tests of the case's final attempt (`status`, `limit` and `cursor` in the query); `nil`
    /// when it reported none.
    private func testsView(_ detail: CaseDetail, _ request: Request) async throws -> CaseTestsView? {
        guard let counts = detail.case.tests else { return nil }
        let status = try request.query("status", as: TestStatus.self)
        let pagination = try Pagination(request)
        let tests = try await TestRepository(database: services.database).tests(caseID: detail.case.id, pagination, status: status)
        return CaseTestsView(caseID: detail.case.id, counts: counts, tests: tests, status: status, pagination: pagination)
    }

    private static func attempt(_ request: Request) throws -> Int? {
        guard let text = request.query("attempt") else { return nil }
        guard let attempt = Int(text), attempt >= 0 else { throw AppError.unprocessable("attempt: expected an attempt number") }
        return attempt
    }
}
