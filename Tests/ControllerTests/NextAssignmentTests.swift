import ControllerClient
import Foundation
import Testing
import WireProtocol

@testable import testfleet_controller

/// One round trip per case: a result that asks for the node's next case gets it in its answer.
@Suite("Next case with the result")
struct NextAssignmentTests {
    @Test("a result that asks for more carries the node's next case; the same result again after a lost answer gets the same lease")
    func nextWithResult() async throws {
        try await withController { controller in
            let fixture = try await Fixture.make(controller, script: "true")
            let node = try await SimulatedNode.enroll(controller, name: "busy", products: [fixture.simulatedInventory])
            let task = try await controller.submit(fixture.submission(["a", "b", "c"]))
            let first = try #require(try await node.lease())
            #expect(first.caseName == "a")
            let second = try #require(try await node.finishAndNext(first, .passed))
            #expect(second.caseName == "b" && second.attempt == 1 && second.taskId == task.id)
            #expect(second.commandTemplate == first.commandTemplate)
            #expect(second.product.path == fixture.productDirectory.path && second.tool.path == fixture.toolDirectory.path)

            // The answer was lost: the same result again brings the same lease, not a second one.
            let again = try #require(try await node.finishAndNext(first, .passed))
            #expect(again.leaseId == second.leaseId && again.token == second.token && again.caseName == "b")
            // Once the node has claimed it, a repeat brings nothing: its only slot is busy.
            #expect(try await node.heartbeat(second).status == 200)
            #expect(try await node.finishAndNext(first, .passed) == nil)

            let third = try #require(try await node.finishAndNext(second, .failed))
            #expect(third.caseName == "c")
            // The task's last case ends it; nothing is left for the node.
            #expect(try await node.finishAndNext(third, .passed) == nil)
            let ended = try await controller.waitForTask(task.id, timeout: 10)
            #expect(ended.state == .completed && ended.counts.passed == 2 && ended.counts.failed == 1)
            let detail = try await controller.admin.request(.GET, "/api/v1/cases/\(second.caseId)").decode(CaseDetail.self)
            #expect(detail.runs.map(\.outcome) == [.failed] && detail.case.node?.name == "busy")
            try await RunningCounts.expectExact(database: controller.services.database)
        }
    }

    @Test("a result with tests is stored with its case's end and brings the next case; refused or repeated, it stores nothing")
    func testsWithResult() async throws {
        try await withController { controller in
            let fixture = try await Fixture.make(controller, script: "true")
            let node = try await SimulatedNode.enroll(controller, name: "junit", products: [fixture.simulatedInventory])
            let task = try await controller.submit(fixture.submission(["a", "b", "c"]))
            let a = try #require(try await node.lease())
            let tests = [
                TestRecord(classname: "suite", name: "t1", status: .passed),
                TestRecord(classname: "suite", name: "t2", status: .failed, message: "boom"),
            ]
            var stale = a
            stale.token += 1
            #expect(try await node.finish(stale, .failed, tests: tests).status == 409)
            let b = try #require(try await node.finishAndNext(a, .failed, tests: tests))
            #expect(b.caseName == "b")
            // The same result again, its answer lost: the same lease, and the tests are not stored twice.
            let again = try #require(try await node.finishAndNext(a, .failed, tests: tests))
            #expect(again.leaseId == b.leaseId)
            // Recorded with its tests by the statement that leases the next case, not the long way.
            let finished = try await controller.services.leases.finish(
                runID: b.leaseId,
                nodeID: node.id,
                result: CaseResult(
                    token: b.token,
                    status: .passed,
                    exitCode: 0,
                    durationMs: 5,
                    message: nil,
                    tests: [TestRecord(classname: "suite", name: "t3", status: .passed)]
                ),
                next: .init()
            )
            guard case .dispatched(let next?) = finished else { throw TestFailure("recorded as \(finished)") }
            let c = next
            #expect(c.caseName == "c")
            // The task's last case takes the long way, which stores its tests as well.
            #expect(try await node.finishAndNext(c, .passed, tests: [TestRecord(classname: "suite", name: "t4", status: .skipped)]) == nil)
            let ended = try await controller.waitForTask(task.id, timeout: 10)
            #expect(ended.counts.failed == 1 && ended.counts.passed == 2)
            #expect(ended.tests == TestCounts(total: 4, passed: 2, failed: 1, error: 0, skipped: 1))
            let listed = try await controller.admin.request(.GET, "/api/v1/cases/\(a.caseId)/tests").decode(Page<CaseTest>.self)
            #expect(listed.items.map(\.name) == ["t1", "t2"] && listed.items[1].message == "boom")
            let detail = try await controller.admin.request(.GET, "/api/v1/cases/\(a.caseId)").decode(CaseDetail.self)
            #expect(detail.runs.map { $0.tests?.total } == [2])
            try await RunningCounts.expectExact(database: controller.services.database)
        }
    }

    @Test("a node at its slot limit never gets more through a result")
    func slotLimit() async throws {
        try await withController { controller in
            let fixture = try await Fixture.make(controller, script: "true")
            let node = try await SimulatedNode.enroll(controller, name: "two", slots: 2, products: [fixture.simulatedInventory])
            _ = try await controller.submit(fixture.submission((1...5).map { "s\($0)" }))
            let a = try #require(try await node.lease())
            let b = try #require(try await node.lease())
            #expect(try await node.lease() == nil)
            // One slot taken away while two cases run: ending one of them leaves the node at its limit.
            let patched = try await controller.admin.request(.PATCH, "/api/v1/nodes/\(node.id)", json: NodePatch(slots: 1))
            #expect(patched.status == 200)
            #expect(try await node.finishAndNext(a, .passed) == nil)
            let c = try #require(try await node.finishAndNext(b, .passed))
            #expect(c.caseName == "s3")
            #expect(try await node.lease() == nil)
            try await RunningCounts.expectExact(database: controller.services.database)
        }
    }

    @Test("a lease whose answer is lost for good expires and returns to the queue")
    func lostAnswer() async throws {
        let clock = SchedulingClock.manual()
        try await withController(.set { $0.leaseTTLSeconds = 2 }, clock: clock) { controller in
            let fixture = try await Fixture.make(controller, script: "true")
            let node = try await SimulatedNode.enroll(controller, name: "forgetful", products: [fixture.simulatedInventory])
            let other = try await SimulatedNode.enroll(controller, name: "other", products: [fixture.simulatedInventory])
            let task = try await controller.submit(fixture.submission(["x", "y"]))
            let x = try #require(try await node.lease())
            let y = try #require(try await node.finishAndNext(x, .passed))
            // The node never sees `y`: it expires, and another node gets it.
            clock.advance(by: .seconds(3))
            try await controller.sweep()
            let again = try #require(try await other.lease())
            #expect(again.caseId == y.caseId && again.attempt == 2)
            #expect(try await other.finish(again, .passed).status == 200)
            let ended = try await controller.waitForTask(task.id, timeout: 10)
            #expect(ended.counts.passed == 2)
            let detail = try await controller.admin.request(.GET, "/api/v1/cases/\(y.caseId)").decode(CaseDetail.self)
            #expect(detail.runs.map(\.outcome) == [.lost, .passed])
            try await RunningCounts.expectExact(database: controller.services.database)
        }
    }

    @Test("a node that hangs up while its result waits for more is not leased a case: it goes to the next request at once")
    func hangUp() async throws {
        try await withController { controller in
            let fixture = try await Fixture.make(controller, script: "true")
            let node = try await SimulatedNode.enroll(controller, name: "gone", products: [fixture.simulatedInventory])
            _ = try await controller.submit(fixture.submission(["only"]))
            let only = try #require(try await node.lease())
            let abandoned = Task { try await node.finishAndNext(only, .passed, wait: 30) }
            try await waitUntil("the result is recorded", timeout: 60) {
                try await controller.admin.request(.GET, "/api/v1/cases/\(only.caseId)").decode(CaseDetail.self).case.state == .passed
            }
            abandoned.cancel()
            _ = try? await abandoned.value
            try await waitUntil("the controller stops the wait", timeout: 60) { controller.services.waiters.count == 0 }
            _ = try await controller.submit(fixture.submission(["after-hang-up"]))
            let lease = try await node.lease(wait: 5)
            #expect(lease?.caseName == "after-hang-up" && lease?.attempt == 1)
            try await RunningCounts.expectExact(database: controller.services.database)
        }
    }

    @Test("a result off the common path still brings the next case: an infrastructure error is retried elsewhere")
    func errorResult() async throws {
        try await withController { controller in
            let fixture = try await Fixture.make(controller, script: "true")
            let a = try await SimulatedNode.enroll(controller, name: "a", products: [fixture.simulatedInventory])
            let b = try await SimulatedNode.enroll(controller, name: "b", products: [fixture.simulatedInventory])
            _ = try await controller.submit(fixture.submission(["e1", "e2"], retries: 2))
            let e1 = try #require(try await a.lease())
            let next = try #require(try await a.finishAndNext(e1, .error, message: "disk full"))
            #expect(next.caseName == "e2")
            let retried = try #require(try await b.lease())
            #expect(retried.caseId == e1.caseId && retried.attempt == 2)
            try await RunningCounts.expectExact(database: controller.services.database)
        }
    }

    @Test(
        "the end of the log travels with the result: stored after the chunks, once; a tail that does not follow the log is refused with the controller's offset"
    )
    func logTail() async throws {
        try await withController { controller in
            let fixture = try await Fixture.make(controller, script: "true")
            let node = try await SimulatedNode.enroll(controller, name: "talker", products: [fixture.simulatedInventory])
            _ = try await controller.submit(fixture.submission(["t1", "t2", "t3"]))
            let t1 = try #require(try await node.lease())
            #expect(try await node.log(t1, offset: 0, "head\n").decode(LogAck.self).offset == 5)
            let tail = LogTail(offset: 5, data: Data("tail\n".utf8))
            let answer = try await node.finish(t1, .passed, log: tail, next: NextRequest(waitS: 0))
            #expect(answer.status == 200)
            let t2 = try #require(try answer.decode(ResultAnswer.self).next.flatMap { if case .run(let l) = $0 { l } else { nil } })
            #expect(try await node.finish(t1, .passed, log: tail).status == 200)
            #expect(try await controller.log(t1.caseId) == "head\ntail\n")

            let gap = try await node.finish(t2, .passed, log: LogTail(offset: 7, data: Data("lost".utf8)))
            #expect(gap.status == 409)
            #expect(try WireJSON.decoder().decode(ErrorBody.self, from: gap.body).error.offset == 0)
            #expect(try await node.finish(t2, .passed, log: LogTail(offset: 0, data: Data("all of it\n".utf8))).status == 200)
            #expect(try await controller.log(t2.caseId) == "all of it\n")
        }
    }
}
