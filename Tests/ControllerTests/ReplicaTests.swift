import ControllerClient
import Foundation
import PostgresNIO
import Synchronization
import Testing
import WireProtocol

@testable import testfleet_controller

/// Two controllers on one database, as replicas behind a load balancer: nodes split between them.
@Suite("Replicas", .serialized)
struct ReplicaTests {
    /// Advisory locks granted on the reaper's key in this database: the backends holding it.
    static func reaperLockHolders(_ controller: TestController) async throws -> [Int32] {
        let key = Reaper.lockKey
        return try await controller.services.database.query(
            """
            SELECT pid FROM pg_locks
            WHERE locktype = 'advisory' AND granted AND database = (SELECT oid FROM pg_database WHERE datname = current_database())
              AND classid::bigint = \(key >> 32) AND objid::bigint = \(key & 0xFFFF_FFFF) AND objsubid = 1
            """
        ).collect(Int32.self)
    }

    /// Polls `condition` every 100 ms for up to `seconds`.
    static func eventually(within seconds: Double, _ condition: () async throws -> Bool) async throws -> Bool {
        do {
            try await waitUntil("a condition", timeout: seconds, every: .milliseconds(100), condition)
            return true
        } catch is TestFailure {
            return try await condition()
        }
    }

    static func leasesGranted(_ controller: TestController) async throws -> Int {
        try await counter("testfleet_leases_granted_total", of: controller)
    }

    /// A counter of the controller's Prometheus metrics.
    static func counter(_ name: String, of controller: TestController) async throws -> Int {
        let metrics = try await controller.client(bearer: nil).request(.GET, "/metrics").text
        let line = metrics.split(separator: "\n").first { $0.hasPrefix(name + " ") }
        return line.flatMap { Int($0.split(separator: " ").last ?? "") } ?? 0
    }

    /// Waits until `listener` hears a notification sent through `sender`'s database connection: from then on it is
    /// listening, and a wake-up it misses is a defect rather than a replica still starting.
    static func waitUntilListening(_ listener: TestController, hearing sender: TestController) async throws {
        let before = try await counter("testfleet_work_notifications_total", of: listener)
        try await waitUntil("port \(listener.port) to hear notifications", timeout: 30, every: .milliseconds(100)) {
            _ = try await sender.services.database.query("SELECT 1 FROM pg_notify(\(Notifications.channel), 'probe')").collect(Int.self)
            return try await counter("testfleet_work_notifications_total", of: listener) > before
        }
    }

    /// What the simulated nodes saw: cases held right now, and how often each case was leased.
    final class Ledger: Sendable {
        private let state = Mutex<(held: Set<Int64>, leases: [Int64: Int], clashes: [Int64])>(([], [:], []))
        private let stopped = Mutex(false)

        /// Tells the workers to stop once nothing more comes.
        func stop() { stopped.withLock { $0 = true } }
        var isStopped: Bool { stopped.withLock { $0 } }

        func leased(_ caseID: Int64) {
            state.withLock {
                if !$0.held.insert(caseID).inserted { $0.clashes.append(caseID) }
                $0.leases[caseID, default: 0] += 1
            }
        }

        func finished(_ caseID: Int64) { _ = state.withLock { $0.held.remove(caseID) } }
        var leases: [Int64: Int] { state.withLock { $0.leases } }
        var clashes: [Int64] { state.withLock { $0.clashes } }
    }

    @Test("thousands of cases across two replicas: each ends exactly once, never held twice; wake-ups cross replicas; one reaper, and it moves")
    func sharedDatabase() async throws {
        try await withController { first in
            // The first replica's reaper takes the lock before the second one exists.
            #expect(try await Self.eventually(within: 10) { try await Self.reaperLockHolders(first).count == 1 })
            let leader = try #require(try await Self.reaperLockHolders(first).first)
            try await withController(databaseURL: first.databaseURL) { second in
                let replicas = [first, second]
                #expect(first.dataDirectory != second.dataDirectory && first.port != second.port)

                // A long-poll on one replica is woken by a case submitted through the other, both ways.
                for (waitOn, submitTo) in [(first, second), (second, first)] {
                    let quiet = try await Fixture.make(waitOn, script: "true")
                    let waiter = try await SimulatedNode.enroll(waitOn, name: "waiter-\(waitOn.port)", products: [quiet.simulatedInventory])
                    try await Self.waitUntilListening(waitOn, hearing: submitTo)
                    let waiting = Task { try await waiter.lease(wait: 20) }
                    try await waitUntil("the long-poll waits") { waitOn.services.waiters.suspended == 1 }
                    let submitted = ContinuousClock.now
                    _ = try await submitTo.submit(quiet.submission(["wake-across"]))
                    let lease = try await waiting.value
                    let latency = ContinuousClock.now - submitted
                    #expect(lease?.caseName == "wake-across")
                    // Not woken, the long poll would end empty after its 20 s; a loaded machine takes seconds to answer.
                    #expect(latency < .seconds(10), "woken on port \(waitOn.port) by port \(submitTo.port) after \(latency)")
                    if let lease { try await waiter.finish(lease, .passed) }
                }
                let grantedBefore = [try await Self.leasesGranted(first), try await Self.leasesGranted(second)]

                // Three nodes on each replica, two slots each, working while tasks arrive through both replicas.
                let fixture = try await Fixture.make(first, script: "true")
                var nodes: [SimulatedNode] = []
                for index in 0..<6 {
                    nodes.append(
                        try await SimulatedNode.enroll(
                            replicas[index % 2],
                            name: "replica-node-\(index)",
                            slots: 2,
                            products: [fixture.simulatedInventory]
                        )
                    )
                }
                let ledger = Ledger()
                defer { ledger.stop() }
                let workers = nodes.flatMap { node in
                    (0..<2).map { _ in
                        Task {
                            var count = 0
                            while !ledger.isStopped {
                                guard let lease = try await node.lease(wait: 1) else { continue }
                                ledger.leased(lease.caseId)
                                let answer = try await node.finish(lease, lease.caseName.hasSuffix("7") ? .failed : .passed)
                                ledger.finished(lease.caseId)
                                guard answer.status == 200 else { throw TestFailure("result refused: \(answer.status) \(answer.text)") }
                                count += 1
                            }
                            return count
                        }
                    }
                }
                let sizes = [1500, 1000, 500]
                var tasks: [TaskInfo] = []
                for (index, size) in sizes.enumerated() {
                    let through = replicas[index % 2]
                    tasks.append(try await through.submit(fixture.submission((0..<size).map { "t\(index)-case-\($0)" }, name: "replicated-\(index)")))
                }
                let ids = tasks.map(\.id)
                var doubleOpen: [Int64] = []
                var lockCounts: Set<Int> = []
                let settled = try await Self.eventually(within: 240) {
                    // While the work runs: no case has two open runs, and one reaper holds its lock.
                    doubleOpen += try await first.services.database.query(
                        "SELECT case_id FROM case_runs WHERE outcome IS NULL GROUP BY case_id HAVING count(*) > 1"
                    ).collect(Int64.self)
                    lockCounts.insert(try await Self.reaperLockHolders(first).count)
                    let states = try await first.services.database.query(
                        "SELECT state FROM tasks WHERE id = ANY(\(ids))"
                    ).collect(String.self)
                    return states.count == ids.count && states.allSatisfy { $0 == TaskState.completed.rawValue }
                }
                ledger.stop()
                var perWorker: [Int] = []
                for worker in workers { perWorker.append(try await worker.value) }
                #expect(settled, "the tasks did not complete")
                let total = sizes.reduce(0, +)
                #expect(perWorker.reduce(0, +) == total)
                #expect(doubleOpen.isEmpty, "cases with two open runs at once: \(Set(doubleOpen).sorted().prefix(20))")
                #expect(ledger.clashes.isEmpty, "cases held by two workers at once: \(ledger.clashes.prefix(20))")
                #expect(ledger.leases.count == total && ledger.leases.values.allSatisfy { $0 == 1 }, "every case leased exactly once")
                #expect(lockCounts == [1], "reaper lock holders seen: \(lockCounts)")

                // In the database: every case ended once, with one run that agrees with it; counts and reports add up.
                let row = try #require(
                    try await first.services.database.query(
                        """
                        SELECT count(*)::int,
                               count(*) FILTER (WHERE k.state IN ('passed', 'failed'))::int,
                               count(*) FILTER (WHERE k.attempts = 1 AND k.current_run_id IS NULL AND k.finished_at IS NOT NULL)::int,
                               (SELECT count(*)::int FROM case_runs r JOIN cases c ON c.id = r.case_id WHERE c.task_id = ANY(\(ids))),
                               (SELECT count(*)::int FROM case_runs r JOIN cases c ON c.id = r.case_id
                                WHERE c.task_id = ANY(\(ids)) AND r.outcome = c.state AND r.attempt = 1),
                               (SELECT count(*)::int FROM reports WHERE task_id = ANY(\(ids)))
                        FROM cases k WHERE k.task_id = ANY(\(ids))
                        """
                    ).first()
                )
                let (cases, terminal, once, runs, agreeing, reports) = try row.decode((Int, Int, Int, Int, Int, Int).self)
                #expect(cases == total && terminal == total && once == total, "cases \(cases), terminal \(terminal), ended once \(once)")
                #expect(runs == total && agreeing == total, "runs \(runs), agreeing with their case \(agreeing)")
                #expect(reports == ids.count)
                for (task, size) in zip(tasks, sizes) {
                    let seen = try await second.admin.request(.GET, "/api/v1/tasks/\(task.id)").decode(TaskInfo.self)
                    let failing = (0..<size).filter { String($0).hasSuffix("7") }.count
                    #expect(seen.counts.total == size && seen.counts.failed == failing && seen.counts.passed == size - failing)
                }
                // Both replicas handed out work, and together exactly one lease per case.
                let granted = [try await Self.leasesGranted(first) - grantedBefore[0], try await Self.leasesGranted(second) - grantedBefore[1]]
                #expect(granted.allSatisfy { $0 > 0 } && granted.reduce(0, +) == total, "leases granted per replica: \(granted)")

                // The first replica goes away: the second one's reaper takes over the lock and hands back an expired lease.
                await first.stop()
                #expect(
                    try await Self.eventually(within: 20) {
                        let holders = try await Self.reaperLockHolders(second)
                        return holders.count == 1 && holders != [leader]
                    },
                    "the second replica's reaper did not take the lock"
                )
                let orphan = try await second.submit(fixture.submission(["orphan"]))
                let lease = try #require(try await nodes[1].lease(wait: 5))
                #expect(lease.taskId == orphan.id)
                try await second.services.database.query(
                    "UPDATE case_runs SET lease_expires_at = now() - interval '1 second' WHERE id = \(lease.leaseId)"
                )
                let requeued = try await Self.eventually(within: 10) {
                    try await second.admin.request(.GET, "/api/v1/cases/\(lease.caseId)").decode(CaseDetail.self).runs.first?.outcome == .lost
                }
                #expect(requeued, "the expired lease was not reaped")
                // The retry avoids the node that lost it; another node of the second replica takes it.
                let retry = try #require(try await nodes[3].lease(wait: 5))
                #expect(retry.caseId == lease.caseId && retry.attempt == 2)
                #expect(try await nodes[3].finish(retry, .passed).status == 200)
                #expect(try await nodes[1].finish(lease, .passed).status == 409, "the lost lease's late result is refused")
            }
        }
    }

    @Test("what one replica changes, the other forgets at once: a revoked token, a renamed product, a deleted tool")
    func cachesFollowChangesOnOtherReplicas() async throws {
        try await withController { first in
            try await withController(databaseURL: first.databaseURL) { second in

                // A token in use on the second replica, revoked through the first.
                let created = try await first.admin.request(.POST, "/api/v1/tokens", json: TokenInput(name: "cached"))
                    .decode(CreatedToken.self)
                let user = try second.client(bearer: created.token)
                #expect(try await user.request(.GET, "/api/v1/tasks").status == 200)
                #expect(try await user.request(.GET, "/api/v1/tasks").status == 200)
                #expect(try await first.admin.request(.DELETE, "/api/v1/tokens/\(created.id)").status == 204)
                #expect(
                    try await Self.eventually(within: 2) { try await user.request(.GET, "/api/v1/tasks").status == 401 },
                    "the second replica still accepts a token revoked through the first"
                )

                // A product and tool resolved by name on the second replica, then renamed and deleted through the first.
                let fixture = try await Fixture.make(first, script: "true")
                let byName = TaskSubmission(
                    product: ItemReference(name: fixture.product.name, version: fixture.product.version),
                    tool: ItemReference(name: fixture.tool.name, version: fixture.tool.version),
                    cases: ["by-name"]
                )
                let submitted = try await second.submit(byName)
                #expect(submitted.product.id == fixture.product.id && submitted.counts.queued == 1)
                let renamed = try await first.admin.request(
                    .PUT,
                    "/api/v1/products/\(fixture.product.id)",
                    json: ProductInput(name: fixture.product.name + "-renamed", version: "1.0")
                )
                #expect(renamed.status == 200)
                #expect(
                    try await Self.eventually(within: 2) {
                        try await second.admin.request(.POST, "/api/v1/tasks", json: byName).status == 422
                    },
                    "the second replica still resolves a product by the name it had before the first renamed it"
                )
                let spare = try await first.admin.request(.POST, "/api/v1/tools", json: ToolInput(name: "spare", version: "1", runCommand: "true"))
                    .decode(Tool.self)
                let bySpare = TaskSubmission(product: ItemReference(id: fixture.product.id), tool: ItemReference(id: spare.id), cases: ["x"])
                // Not linked: refused, but the tool is now known to the second replica.
                #expect(try await second.admin.request(.POST, "/api/v1/tasks", json: bySpare).status == 422)
                #expect(try await first.admin.request(.DELETE, "/api/v1/tools/\(spare.id)").status == 204)
                #expect(
                    try await Self.eventually(within: 2) {
                        let answer = try await second.admin.request(.POST, "/api/v1/tasks", json: bySpare)
                        return answer.status == 422 && answer.text.contains("no tool \(spare.id)")
                    },
                    "the second replica still knows a tool the first deleted"
                )
            }
        }
    }

    @Test("a user disabled or deleted through one replica is refused at once by the other: sessions, tokens and roles")
    func userChangesReachOtherReplicas() async throws {
        try await withController { first in
            try await withController(databaseURL: first.databaseURL) { second in
                let ana = try await first.makeUser("ana")
                let onSecond = try second.client(bearer: ana.token)
                let anonymous = try second.client(bearer: nil)
                let session = try await second.logIn("ana", ana.password)
                let me = { try await anonymous.request(.GET, "/api/v1/auth/me", headers: [("Cookie", session.cookie)]).status }
                #expect(try await onSecond.request(.GET, "/api/v1/tasks").status == 200)
                #expect(try await onSecond.request(.GET, "/api/v1/tasks").status == 200, "now cached on the second replica")
                #expect(try await me() == 200)

                #expect(try await first.admin.request(.PATCH, "/api/v1/users/\(ana.id)", json: UserPatch(disabled: true)).status == 200)
                // Sessions are read from the database on every request: refused on the very next one.
                #expect(try await me() == 401)
                // Cached tokens are forgotten when the replica hears the change (a notification, within milliseconds).
                let disabledAt = ContinuousClock.now
                #expect(
                    try await Self.eventually(within: 1) { try await onSecond.request(.GET, "/api/v1/tasks").status == 401 },
                    "the second replica still accepts the token of a user disabled through the first"
                )
                #expect(ContinuousClock.now - disabledAt < .seconds(1))

                #expect(
                    try await first.admin.request(.PATCH, "/api/v1/users/\(ana.id)", json: UserPatch(disabled: false, role: .admin)).status == 200
                )
                #expect(try await Self.eventually(within: 1) { try await onSecond.request(.GET, "/api/v1/tasks").status == 200 })
                let product = ProductInput(name: "by-ana", version: "1")
                #expect(try await onSecond.request(.POST, "/api/v1/products", json: product).status == 201)
                #expect(try await first.admin.request(.PATCH, "/api/v1/users/\(ana.id)", json: UserPatch(role: .member)).status == 200)
                #expect(
                    try await Self.eventually(within: 1) {
                        try await onSecond.request(.POST, "/api/v1/products", json: ProductInput(name: "by-ana", version: "2")).status == 403
                    },
                    "the second replica still treats a demoted user as an admin"
                )

                let again = try await second.logIn("ana", ana.password)
                #expect(try await first.admin.request(.DELETE, "/api/v1/users/\(ana.id)").status == 204)
                #expect(try await anonymous.request(.GET, "/api/v1/auth/me", headers: [("Cookie", again.cookie)]).status == 401)
                #expect(
                    try await Self.eventually(within: 1) { try await onSecond.request(.GET, "/api/v1/tasks").status == 401 },
                    "the second replica still accepts the token of a user deleted through the first"
                )
            }
        }
    }
}
