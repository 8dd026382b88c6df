import Foundation
import NIOCore
import Testing
import WireProtocol

@testable import testfleet_controller

/// The web UI's decisions without a server: form parsing, log decoding, progress, paging, chart layout,
/// node actions, redirects and live-region changes.
@Suite("Web views")
struct WebViewTests {
    @Test("URL-encoded forms: plus is a space, escapes are UTF-8, names repeat, malformed escapes stay")
    func formParsing() throws {
        let form = WebForm.parse(urlEncoded: "a=1&b=x+y&b=%C3%A9t%C3%A9&c&=lost&d=%ZZ&e=a%3Db%26c")
        #expect(form["a"] == "1")
        #expect(form.values("b") == ["x y", "été"])
        #expect(form["c"] == "" && form.text("c") == nil)
        #expect(form["d"] == "%ZZ")
        #expect(form["e"] == "a=b&c")
        #expect(form.fields.count == 6)
        #expect(try form.integer("a", label: "a") == 1)
        #expect(try form.integer("missing", label: "m") == nil)
        #expect(throws: AppError.self) { try form.integer("b", label: "b") }
    }

    @Test("log text holds back a character split between reads and drops a partial one at a cut start")
    func logText() {
        let bytes = Array("wörld".utf8)  // ö is two bytes
        let split = LogText.decode(ByteBuffer(bytes: bytes[0..<2]), end: 2, complete: false, startsMidLog: false)
        #expect(split == LogText(text: "w", next: 1))
        let rest = LogText.decode(ByteBuffer(bytes: bytes[1...]), end: Int64(bytes.count), complete: false, startsMidLog: false)
        #expect(rest == LogText(text: "örld", next: Int64(bytes.count)))
        let finished = LogText.decode(ByteBuffer(bytes: bytes[0..<2]), end: 2, complete: true, startsMidLog: false)
        #expect(finished.next == 2 && finished.text.hasPrefix("w"))
        let midway = LogText.decode(ByteBuffer(bytes: bytes[2...]), end: Int64(bytes.count), complete: true, startsMidLog: true)
        #expect(midway.text == "rld")
        let euro = Array("€".utf8)
        #expect(LogText.decode(ByteBuffer(bytes: euro.prefix(2)), end: 2, complete: false, startsMidLog: false) == LogText(text: "", next: 0))
        #expect(LogText.decode(ByteBuffer(), end: 7, complete: false, startsMidLog: false) == LogText(text: "", next: 7))
    }

    @Test("progress: segments in a fixed order with widths, and the same figures in words")
    func progress() {
        var counts = CaseCounts()
        counts.passed = 2
        counts.failed = 1
        counts.running = 1
        counts.queued = 4
        counts.total = 8
        let view = ProgressView(counts)
        #expect(view.segments.map(\.state) == ["passed", "failed", "running"])
        #expect(view.segments.map(\.width) == ["25.000%", "12.500%", "12.500%"])
        #expect(view.percent == 37 && view.finished == 3)
        #expect(view.summary == "3 of 8 finished: 4 queued, 2 passed, 1 failed, 1 running")
        #expect(ProgressView(CaseCounts()).segments.isEmpty)
    }

    @Test("page links: first, previous for dense ordinals, next from the cursor, filters kept")
    func pageLinks() {
        let start = PageLinks.make(base: "/tasks/1", query: [], pagination: Pagination(limit: 100), nextCursor: "100", dense: true)
        #expect(start.first == nil && start.previous == nil && start.next == "/tasks/1?cursor=100")
        let middle = PageLinks.make(
            base: "/tasks/1",
            query: [("state", "timed_out")],
            pagination: Pagination(limit: 100, after: 250),
            nextCursor: nil,
            dense: true
        )
        #expect(middle.first == "/tasks/1?state=timed_out" && middle.previous == "/tasks/1?state=timed_out&cursor=150")
        #expect(middle.next == nil)
        let sparse = PageLinks.make(
            base: "/tasks",
            query: [("user", "a b")],
            pagination: Pagination(limit: 10, after: 50),
            nextCursor: "40",
            dense: false
        )
        #expect(sparse.previous == nil && sparse.next == "/tasks?user=a%20b&limit=10&cursor=40")
    }

    @Test("the pass-rate chart puts versions in version order along the axis and rates upwards")
    func chart() throws {
        #expect(PassRateChart([]) == nil)
        let one = try #require(PassRateChart([.init(version: "1.0", passRate: 1, href: nil)]))
        #expect(one.points[0].x == "334.0" && one.points[0].y == "16.0")
        let versions = ["1.10", "1.2", "1.9"].sorted(by: PassRateChart.versionOrder)
        #expect(versions == ["1.2", "1.9", "1.10"])
        let three = try #require(PassRateChart(versions.enumerated().map { .init(version: $1, passRate: Double($0) / 2, href: nil) }))
        #expect(three.points.map(\.y) == ["196.0", "106.0", "16.0"])
        #expect(three.line == "72.0,196.0 334.0,106.0 596.0,16.0")
        #expect(three.summary == "Pass rate by version: 1.2 0.0 %, 1.9 50.0 %, 1.10 100.0 %")
    }

    @Test("node actions follow the node's state; a revoked node has none")
    func nodeActions() {
        #expect(NodeRow.actions(state: .online, revoked: false).map(\.state) == ["draining", "disabled"])
        #expect(NodeRow.actions(state: .draining, revoked: false).map(\.state) == ["online", "disabled"])
        #expect(NodeRow.actions(state: .disabled, revoked: false).map(\.state) == ["online"])
        #expect(NodeRow.actions(state: .offline, revoked: false).map(\.state) == ["disabled"])
        #expect(NodeRow.actions(state: .disabled, revoked: true).isEmpty)
    }

    @Test("redirects stay on this site")
    func safeTargets() {
        #expect(WebRedirect.safeTarget("/tasks?state=running") == "/tasks?state=running")
        for unsafe in [nil, "", "//evil.example", "/\\evil.example", "https://evil.example/", "javascript:alert(1)", "/a\nb"] {
            #expect(WebRedirect.safeTarget(unsafe) == "/", "\(String(describing: unsafe))")
        }
        #expect(WebRedirect.queryEscape("/tasks?state=a&b") == "%2Ftasks%3Fstate%3Da%26b")
    }

    @Test("live regions are sent again only when their HTML changed; events are one line of data each")
    func liveRegions() throws {
        var regions = LiveRegions()
        #expect(regions.changes(["a": "1", "b": "2"]) == ["a": "1", "b": "2"])
        #expect(regions.changes(["a": "1", "b": "2"]).isEmpty)
        #expect(regions.changes(["a": "1", "b": "3"]) == ["b": "3"])
        let event = try EventStream.Event.json("regions", ["b": "<p>\n</p>"], id: "1:5")
        #expect(event.encoded == "event: regions\nid: 1:5\ndata: {\"b\":\"<p>\\n</p>\"}\n\n")
    }

    @Test("times, sizes and token states in words")
    func wording() {
        let now = Date(timeIntervalSince1970: 1_000_000)
        #expect(WebFormat.ago(now.addingTimeInterval(-5), now: now) == "5 s ago")
        #expect(WebFormat.ago(now.addingTimeInterval(-7200), now: now) == "2 h ago")
        #expect(WebFormat.ago(nil, now: now) == "never")
        #expect(WebFormat.bytes(512) == "512 B" && WebFormat.bytes(1536) == "1.5 KiB" && WebFormat.bytes(3 << 20) == "3.0 MiB")
        #expect(WebFormat.time(Date(timeIntervalSince1970: 0)) == "1970-01-01 00:00:00 UTC")
        let token = EnrollmentToken(id: 1, note: "", expiresAt: now.addingTimeInterval(60), maxUses: 2, uses: 2, revoked: false, createdAt: now)
        #expect(AdminView.status(token, now: now) == "used up")
        #expect(AdminView.status(token, now: now.addingTimeInterval(120)) == "expired")
    }
}
