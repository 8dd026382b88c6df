import Foundation
import PostgresNIO
import Testing

@testable import testfleet_controller

@Suite("Scheduling order")
struct SchedulingOrderTests {
    private static let now = Date(timeIntervalSince1970: 1_800_000_000)
    private static let order = SchedulingOrder(agingSeconds: 60)

    private static func task(
        _ id: Int64,
        priority: Int = 0,
        waited seconds: Double = 0,
        user: Int = 0,
        running: Int = 0,
        age: Double? = nil
    ) -> TaskStanding {
        TaskStanding(
            id: id,
            priority: priority,
            createdAt: now.addingTimeInterval(-(age ?? seconds)),
            dispatchedAt: age == nil ? nil : now.addingTimeInterval(-seconds),
            userRunning: user,
            taskRunning: running
        )
    }

    @Test("aged priority first, then the fewest running cases of the user, then of the task, then the oldest task")
    func rules() {
        let tasks = [
            // Priority 0, waited 150 s since its last case: two steps of aging, level with priority 2.
            Self.task(1, priority: 0, waited: 150, user: 3, age: 3600),
            Self.task(2, priority: 2, waited: 10, user: 1),
            // Priority 3: first whatever its share.
            Self.task(3, priority: 3, user: 9, running: 9),
            // Level with 1 and 2 on aged priority and with 2 on the user's share: fewer running of its own.
            Self.task(4, priority: 2, waited: 5, user: 1, running: 0),
            Self.task(5, priority: 2, waited: 20, user: 1, running: 2),
            // Level with 4 on everything but age: the older goes first.
            Self.task(6, priority: 2, waited: 30, user: 1, running: 0),
            // Waited a million intervals: aging stops at its cap.
            Self.task(7, priority: -999, waited: 60_000_000, user: 0),
        ]
        #expect(Self.order.agedPriority(tasks[0], now: Self.now) == 2)
        #expect(Self.order.agedPriority(tasks[6], now: Self.now) == 1)
        #expect(Self.order.sorted(tasks, now: Self.now).map(\.id) == [3, 6, 2, 4, 5, 1, 7])
    }

    @Test("leasing's statement orders tasks as the decision does", arguments: [1, 2, 3])
    func sameInTheDatabase(seed: UInt64) async throws {
        // Repeatable: the seed picks the sequence, so that a failure can be run again.
        var state = seed
        func next(_ range: ClosedRange<Int>) -> Int {
            state = state &* 6_364_136_223_846_793_005 &+ 1_442_695_040_888_963_407
            return range.lowerBound + Int((state >> 33) % UInt64(range.count))
        }
        let users = (0..<5).map { _ in next(0...3) }
        // Runs of some tasks end in the same statement: they no longer count for their task and user.
        var ending: [(task: Int64, user: Int)] = []
        var tasks: [(standing: TaskStanding, user: Int)] = []
        for id in Int64(1_000_001)...1_000_200 {
            let user = next(0...users.count - 1)
            // Half a millisecond off whole milliseconds: no wait is a whole number of aging intervals, where the
            // rounding of a timestamp could tip it.
            let created = Self.now.addingTimeInterval(-Double(next(1...900_000)) / 1000 + 0.0005)
            let dispatched: Date? =
                next(0...1) == 1 ? created.addingTimeInterval(Double(next(0...300_000)) / 1000) : nil
            let running = next(0...3)
            if running > 0, users[user] > 0, next(0...7) == 0 { ending.append((id, user)) }
            let standing = TaskStanding(
                id: id,
                priority: next(0...2),
                createdAt: created,
                dispatchedAt: dispatched,
                userRunning: users[user],
                taskRunning: running
            )
            tasks.append((standing, user))
        }
        let expected = Self.order.sorted(
            tasks.map { task, user in
                var standing = task
                standing.userRunning -= ending.count { $0.user == user }
                standing.taskRunning -= ending.count { $0.task == task.id }
                return standing
            },
            now: Self.now
        )

        try await withController { controller in
            func timestamp(_ date: Date?) -> String {
                guard let date else { return "NULL::timestamptz" }
                // Microseconds: what PostgreSQL keeps.
                let micros = (date.timeIntervalSince1970 * 1_000_000).rounded()
                return "to_timestamp(\(Int64(micros))::float8 / 1000000)"
            }
            func userID(_ user: Int) -> Int64 { 2_000_000 + Int64(user) }
            // The running counts as leasing keeps them: split over shards.
            var counts: [String] = []
            for (user, running) in users.enumerated() where running > 0 {
                counts.append("('user', \(userID(user)), 0, 1)")
                if running > 1 { counts.append("('user', \(userID(user)), 5, \(running - 1))") }
            }
            for (task, _) in tasks where task.taskRunning > 0 {
                counts.append("('task', \(task.id), 3, \(task.taskRunning))")
            }
            _ = try await controller.services.database.query(
                PostgresQuery(unsafeSQL: "INSERT INTO running_counts (scope, owner_id, shard, running) VALUES \(counts.joined(separator: ", "))")
            )
            let rows = tasks.map { task, user in
                "(\(task.id)::bigint, \(task.priority), \(timestamp(task.createdAt)), \(timestamp(task.dispatchedAt)), \(userID(user)))"
            }
            let endingRows = ending.map { "(\($0.task)::bigint, \(userID($0.user))::bigint)" }
            let sql = """
                WITH t (id, priority, created_at, dispatched_at, submitted_by) AS (VALUES \(rows.joined(separator: ", "))),
                ending (task_id, submitted_by) AS (VALUES \(endingRows.joined(separator: ", ")))
                SELECT t.id FROM t
                ORDER BY \(SchedulingSQL.taskOrder(aging: "60::float8", ending: "ending", now: timestamp(Self.now)))
                """
            let ordered = try await controller.services.database.query(PostgresQuery(unsafeSQL: sql)).collect(Int64.self)
            #expect(!ending.isEmpty)
            #expect(ordered == expected.map(\.id))
        }
    }
}
