import ControllerClient
import Foundation
import Testing
import WireProtocol

@testable import testfleet_controller

/// Live updates over server-sent events, and a task page that stays one page of cases however large the
/// task.
@Suite("Web live updates")
struct WebLiveTests {
    @Test("a task's stream sends changed regions until the task settles, then ends")
    func taskStream() async throws {
        try await withWebFixture { fixture in
            let task = try await fixture.submit(["one", "two"])
            let progress = StreamProgress()
            async let stream = fixture.web.events("/events/tasks/\(task.id)", timeout: .seconds(30), progress: progress) {
                $0.contains("event: end")
            }
            try await waitUntil("the stream's first regions") { progress.received.contains("0 of 2 finished") }
            for _ in 0..<2 { try await fixture.finish(try await fixture.lease(), .passed) }
            let (text, _) = try await stream
            #expect(text.hasPrefix("retry: 2000\n\n"))
            #expect(text.contains("event: regions\ndata: {\"case-table\":"))
            #expect(text.contains("0 of 2 finished") && text.contains("2 of 2 finished: 2 passed"))
            #expect(text.contains("event: end"))
            // A settled task's page needs no stream.
            #expect(!(try await fixture.web.get("/tasks/\(task.id)").body.contains("data-events")))
        }
    }

    @Test("a case's stream follows its log as it grows, whole characters only, and ends with the run")
    func logStream() async throws {
        try await withWebFixture { fixture in
            let task = try await fixture.submit(["logged"])
            let cases = try await fixture.controller.cases(task.id)
            let page = try await fixture.web.get("/cases/\(cases[0].id)")
            #expect(page.body.contains("has not run yet") && page.body.contains("follow=latest"))
            let progress = StreamProgress()
            async let stream = fixture.web.events(
                "/events/cases/\(cases[0].id)/log?offset=0&follow=latest",
                timeout: .seconds(30),
                progress: progress
            ) { $0.contains("event: end") }
            try await waitUntil("the stream starts") { progress.received.hasPrefix("retry: ") }
            let lease = try await fixture.lease()
            let bytes = Array("hello wörld\n".utf8)
            try await fixture.log(lease, bytes: bytes[0..<8], at: 0)
            // Half of "ö" is held back until the rest of it arrives.
            try await waitUntil("the first whole characters arrive", timeout: 15) { progress.received.contains("\"text\":\"hello w\"") }
            try await fixture.log(lease, bytes: bytes[8...], at: 8)
            try await fixture.finish(lease, .passed)
            let (text, _) = try await stream
            #expect(text.contains("event: log-reset"))
            #expect(text.contains("\"text\":\"hello w\"") && text.contains("\"text\":\"örld\\n\""))
            #expect(text.contains("id: 1:7") && text.contains("id: 1:\(bytes.count)"))
            #expect(text.contains("event: end"))
            let done = try await fixture.web.get("/cases/\(cases[0].id)")
            #expect(done.body.contains("hello wörld") && !done.body.contains("data-events"))
        }
    }

    @Test("a reader that follows a growing log from each answer's end gets every byte once, however the writes fall")
    func followWhileWriting() async throws {
        try await withWebFixture { fixture in
            _ = try await fixture.submit(["chatty"])
            let lease = try await fixture.lease()
            let lines = (0..<400).map { "line \($0)\n" }
            let expected = lines.joined()
            async let written: Void = {
                var offset: Int64 = 0
                for line in lines {
                    try await fixture.log(lease, line, at: offset)
                    offset += Int64(line.utf8.count)
                }
            }()
            // Each read starts where the answer before it said the log ended, as the live page and the CLI do.
            var followed = ""
            var offset: Int64 = 0
            var reads = 0
            while followed.utf8.count < expected.utf8.count && reads < 20_000 {
                let (text, end) = try await fixture.controller.services.logs.read(runID: lease.leaseId, from: offset)
                followed += String(buffer: text)
                #expect(end >= offset)
                offset = end
                reads += 1
            }
            try await written
            #expect(followed == expected, "after \(reads) reads")
        }
    }

    @Test("streams end on graceful shutdown, so a restart is not held up and browsers reconnect")
    func shutdown() async throws {
        try await withWebFixture { fixture in
            let web = try WebClient(fixture.controller)
            try await web.logIn()
            let progress = StreamProgress()
            async let stream = web.events("/events/dashboard", timeout: .seconds(60), progress: progress) { _ in false }
            try await waitUntil("the dashboard's first regions") { progress.received.contains("event: regions") }
            await fixture.stop()
            let (text, ended) = try await stream
            #expect(ended)
            #expect(text.contains("retry: 2000") && text.contains("event: regions"))
        }
    }

    @Test("a task of 100,000 cases: counts from aggregates, one page of cases, links to the pages around it")
    func largeTask() async throws {
        try await withWebFixture { fixture in
            let names = (1...100_000).map { "suite/case-\($0)" }
            let submission = TaskSubmission(
                name: "large",
                product: ItemReference(id: fixture.product.id),
                tool: ItemReference(id: fixture.tool.id),
                cases: names
            )
            let id = try await fixture.controller.services.tasks.submit(submission, userID: 1)
            let page = try await fixture.web.get("/tasks/\(id)")
            #expect(page.status == 200)
            #expect(page.body.contains("0 of 100000 finished: 100000 queued"))
            #expect(page.body.matches(of: /<a href="\/cases\/\d+"><code>/).count == 100)
            #expect(page.body.contains("suite/case-100<") && !page.body.contains("suite/case-101<"))
            #expect(page.body.contains(#"href="/tasks/\#(id)?cursor=100""#))
            let last = try await fixture.web.get("/tasks/\(id)?cursor=99900")
            #expect(last.body.contains("suite/case-100000<") && last.body.contains("cursor=99800") && !last.body.contains("rel=\"next\""))
            let queued = try await fixture.web.get("/tasks/\(id)?state=queued&cursor=500&limit=50")
            #expect(queued.body.contains("suite/case-550<") && queued.body.contains("state=queued&amp;limit=50&amp;cursor=550"))
            #expect(queued.body.contains(#"data-events="/events/tasks/\#(id)?state=queued&amp;limit=50&amp;cursor=500""#))
            let (text, _) = try await fixture.web.events("/events/tasks/\(id)", timeout: .seconds(20)) { $0.contains("case-table") }
            #expect(text.contains("100000 queued"))
        }
    }
}
