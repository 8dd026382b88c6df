import ControllerClient
import Foundation
import Testing
import WireProtocol

@testable import testfleet_controller

/// The scheduling clock decides: leases, aging and retry avoidance follow the clock a test moves, not the time
/// that passes.
@Suite("Scheduling clock")
struct SchedulingClockTests {
    /// Whether two instants agree to the millisecond the wire carries.
    static func same(_ a: Date, _ b: Date) -> Bool { abs(a.timeIntervalSince(b)) < 0.002 }

    @Test("the database's clock binds no instant, so PostgreSQL's now() decides; a manual one stands still until moved")
    func clocks() {
        #expect(SchedulingClock.database.now.instant == nil)
        #expect(SchedulingSQL.now("$20") == "coalesce($20::timestamptz, now())")
        let start = Date(timeIntervalSince1970: 1_000_000)
        let clock = SchedulingClock.manual(at: start)
        #expect(clock.now.instant == start && clock.date == start)
        clock.advance(by: .milliseconds(1500))
        #expect(clock.now.instant == start.addingTimeInterval(1.5))
    }

    @Test("a lease of 30 s is kept at +29 s and requeued at +31 s by one reaper pass; renewals count from the clock")
    func leaseExpiry() async throws {
        let start = Date().addingTimeInterval(-3600)
        let clock = SchedulingClock.manual(at: start)
        try await withController(.set { $0.leaseTTLSeconds = 30 }, clock: clock) { controller in
            let fixture = try await Fixture.make(controller, script: "true")
            let node = try await SimulatedNode.enroll(controller, name: "silent", products: [fixture.simulatedInventory])
            let other = try await SimulatedNode.enroll(controller, name: "other", products: [fixture.simulatedInventory])
            _ = try await controller.submit(fixture.submission(["only"], retries: 1))
            let lease = try #require(try await node.lease())
            #expect(Self.same(lease.expiresAt, start.addingTimeInterval(30)), "expires at \(lease.expiresAt)")
            func run() async throws -> CaseRun? {
                try await controller.admin.request(.GET, "/api/v1/cases/\(lease.caseId)").decode(CaseDetail.self).runs.first
            }

            clock.advance(by: .seconds(29))
            try await controller.sweep()
            #expect(try await run()?.outcome == nil, "reaped before its lease ran out")
            #expect(try await other.lease() == nil)

            clock.advance(by: .seconds(2))
            try await controller.sweep()
            #expect(try await run()?.outcome == .lost)
            // The other node found nothing before: it hears of the requeued case as a waiting agent would.
            let again = try #require(try await other.lease(wait: 10), "the expired lease was not requeued")
            #expect(again.caseId == lease.caseId && again.attempt == 2)
            #expect(Self.same(again.expiresAt, start.addingTimeInterval(61)))

            // A heartbeat renews from the clock's time, and the renewed lease outlives the old end.
            clock.advance(by: .seconds(20))
            let renewed = try await other.heartbeat(again).decode(HeartbeatResponse.self)
            #expect(Self.same(renewed.expiresAt, start.addingTimeInterval(81)))
            clock.advance(by: .seconds(15))
            try await controller.sweep()
            #expect(try await other.finish(again, .passed).status == 200)
        }
    }

    @Test("aged priority: an older low-priority task overtakes a newer high-priority one only once the clock passes the aging interval")
    func aging() async throws {
        let clock = SchedulingClock.manual()
        try await withController(.set { $0.agingIntervalSeconds = 60 }, clock: clock) { controller in
            let fixture = try await Fixture.make(controller, script: "true")
            let node = try await SimulatedNode.enroll(controller, name: "single", products: [fixture.simulatedInventory])
            let low = try await controller.submit(fixture.submission((1...5).map { "low-\($0)" }, name: "low", priority: 0))
            clock.advance(by: .seconds(10))
            let high = try await controller.submit(fixture.submission((1...5).map { "high-\($0)" }, name: "high", priority: 1))
            func next() async throws -> Int64 {
                let lease = try #require(try await node.lease())
                try await node.finish(lease, .passed)
                return lease.taskId
            }
            #expect(try await next() == high.id)
            // +59 s: the low task has not yet waited an aging interval.
            clock.advance(by: .seconds(49))
            #expect(try await next() == high.id)
            // +61 s: one step of aging makes its priority the high task's (handed a case 2 s ago), and it is older.
            clock.advance(by: .seconds(2))
            #expect(try await next() == low.id)
        }
    }

    @Test("a case retried after an infrastructure error avoids its node until the clock passes the avoidance")
    func avoidance() async throws {
        let clock = SchedulingClock.manual()
        try await withController(.set { $0.retryAvoidSeconds = 60 }, clock: clock) { controller in
            let fixture = try await Fixture.make(controller, script: "true")
            let node = try await SimulatedNode.enroll(controller, name: "unlucky", products: [fixture.simulatedInventory])
            let task = try await controller.submit(fixture.submission(["retried"], retries: 1))
            let first = try #require(try await node.lease())
            try await node.finish(first, .error, message: "disk full")
            // The idle node's wait is explained, by the clock's time.
            func reason() async throws -> String? {
                try await controller.admin.request(.GET, "/api/v1/tasks/\(task.id)").decode(TaskInfo.self).pendingReason
            }
            let avoiding = "queued cases retried after an infrastructure failure avoid the node they failed on for"
            let other =
                "and no other node with product \(fixture.product.name) \(fixture.product.version) with tool "
                + "\(fixture.tool.name) \(fixture.tool.version) has a free slot"
            #expect(try await reason() == "\(avoiding) 60 s more, \(other)")
            clock.advance(by: .seconds(59))
            try await controller.sweep()
            #expect(try await node.lease() == nil)
            #expect(try await reason() == "\(avoiding) 1 s more, \(other)")
            // The reaper lifts the avoidance and tells waiting agents.
            clock.advance(by: .seconds(2))
            try await controller.sweep()
            let second = try #require(try await node.lease(wait: 10), "the avoidance did not end with the clock")
            #expect(second.caseId == first.caseId && second.attempt == 2)
            #expect(try await reason() == nil)
        }
    }

    @Test("a long poll ends when the clock passes its wait, not before, with no time passing")
    func longPoll() async throws {
        let clock = SchedulingClock.manual()
        try await withController(clock: clock) { controller in
            let fixture = try await Fixture.make(controller, script: "true")
            let node = try await SimulatedNode.enroll(controller, name: "patient", products: [fixture.simulatedInventory])
            let started = ContinuousClock.now
            let polling = Task { try await node.lease(wait: 30) }
            try await waitUntil("the long poll waits") { controller.services.waiters.suspended == 1 }
            clock.advance(by: .seconds(29))
            // Whatever the advance woke has run: the reaper's pass, the presence writer.
            try await controller.sweep()
            #expect(controller.services.waiters.suspended == 1, "the long poll ended before its wait")
            clock.advance(by: .seconds(1))
            #expect(try await polling.value == nil)
            #expect(ContinuousClock.now - started < .seconds(20), "the wait took real time")
        }
    }

    @Test("the reaper's next pass and the presence writer's next batch come when the clock passes their intervals")
    func intervals() async throws {
        let start = Date().addingTimeInterval(-3600)
        let clock = SchedulingClock.manual(at: start)
        try await withController(
            .set {
                $0.leaseTTLSeconds = 30
                $0.reaperIntervalSeconds = 60
                $0.retentionDays = 0
                $0.logRetentionDays = 0
            },
            clock: clock
        ) { controller in
            let fixture = try await Fixture.make(controller, script: "true")
            let node = try await SimulatedNode.enroll(controller, name: "silent", products: [fixture.simulatedInventory])
            let other = try await SimulatedNode.enroll(controller, name: "other", products: [fixture.simulatedInventory])
            _ = try await controller.submit(fixture.submission(["only"], retries: 1))
            let lease = try #require(try await node.lease())
            try await waitUntil("the reaper and the presence writer wait for their intervals") { clock.waiting == 2 }
            func seen() async throws -> Date? {
                try await controller.admin.request(.GET, "/api/v1/nodes/\(other.id)").decode(NodeInfo.self).lastSeenAt
            }
            // Seen at the start and again 5 s later: the second visit waits for the writer's next batch.
            #expect(try await other.lease() == nil)
            let first = try #require(try await seen())
            clock.advance(by: .seconds(5))
            #expect(try await other.lease() == nil)
            #expect(try await seen() == first)

            // +35 s: the lease has run out, but the reaper's interval has not passed; at +60 s it has.
            clock.advance(by: .seconds(30))
            #expect(try await other.lease() == nil, "reaped before the reaper's interval passed")
            clock.advance(by: .seconds(25))
            let again = try await waitFor("the reaper's pass requeues the case") { try await other.lease() }
            #expect(again.caseId == lease.caseId && again.attempt == 2)
            // The writer's interval (10 s) passed meanwhile: the visit at +5 s was written at the clock's time.
            try await waitUntil("the batched visit is written") { try await seen().map { $0 > first } ?? false }
            let written = try #require(try await seen())
            #expect(written > start.addingTimeInterval(4) && written <= start.addingTimeInterval(61))
        }
    }
}
