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
            _ = try await controller.submit(fixture.submission(["retried"], retries: 1))
            let first = try #require(try await node.lease())
            try await node.finish(first, .error, message: "disk full")
            clock.advance(by: .seconds(59))
            try await controller.sweep()
            #expect(try await node.lease() == nil)
            // The reaper lifts the avoidance and tells waiting agents.
            clock.advance(by: .seconds(2))
            try await controller.sweep()
            let second = try #require(try await node.lease(wait: 10), "the avoidance did not end with the clock")
            #expect(second.caseId == first.caseId && second.attempt == 2)
        }
    }
}
