import Foundation
import Testing
import WireProtocol

@testable import testfleet_controller

/// The pure decisions behind labels, the baseline and retention.
@Suite("Lifecycle decisions")
struct LifecycleDecisionTests {
    @Test("versions in natural order: numbers as numbers, a pre-release before its release")
    func versionOrder() {
        let ordered = ["1.2", "1.9", "1.10", "1.10.1", "2.0-alpha", "2.0-beta.2", "2.0-beta.10", "2.0-rc1", "2.0", "2.0.1", "10.0"]
        for (index, lower) in ordered.enumerated() {
            for higher in ordered[(index + 1)...] {
                #expect(VersionOrder.precedes(lower, higher), "\(lower) < \(higher)")
                #expect(!VersionOrder.precedes(higher, lower), "not \(higher) < \(lower)")
            }
        }
        #expect(ordered.shuffled().sorted(by: VersionOrder.precedes) == ordered)
        // Equal apart from leading zeros, separators, case and build metadata.
        for (a, b) in [("1.01", "1.1"), ("2.0-RC1", "2.0-rc1"), ("2_0", "2.0"), ("1.0+build.7", "1.0")] {
            #expect(!VersionOrder.precedes(a, b) && !VersionOrder.precedes(b, a), "\(a) = \(b)")
        }
        #expect(VersionOrder.precedes("99999999999999999999999", "100000000000000000000000"))
        #expect(VersionOrder.precedes("", "0.1"))
    }

    @Test("the baseline version is the closest lower one")
    func closestLower() {
        let finished = ["1.9", "2.0", "1.10", "2.0-rc1", "0.9", "3.0-beta"]
        #expect(VersionOrder.closestLower(than: "1.10", in: finished) == "1.9")
        #expect(VersionOrder.closestLower(than: "2.0-rc1", in: finished) == "1.10")
        #expect(VersionOrder.closestLower(than: "2.0", in: finished) == "2.0-rc1")
        #expect(VersionOrder.closestLower(than: "2.0.1", in: finished) == "2.0")
        #expect(VersionOrder.closestLower(than: "3.0", in: finished) == "3.0-beta")
        #expect(VersionOrder.closestLower(than: "0.9", in: finished) == nil)
        #expect(VersionOrder.closestLower(than: "1.0", in: []) == nil)
    }

    @Test("labels: checked with the field named, normalized, parsed from a form")
    func labels() {
        #expect(NodeLabels.problem(["gpu", "kind:physical", "lab-b", "os:linux", "größe=L"], field: "labels") == nil)
        #expect(NodeLabels.problem([""], field: "labels") == "labels[0]: a label is 1 to 100 characters")
        #expect(NodeLabels.problem(["ok", "two words"], field: "labels")?.hasPrefix("labels[1]: a label may not hold") == true)
        #expect(NodeLabels.problem(["a\u{0}b"], field: "labels")?.contains("U+0000") == true)
        #expect(NodeLabels.problem(["a,b"], field: "labels")?.contains("a comma") == true)
        #expect(NodeLabels.problem([String(repeating: "x", count: 101)], field: "labels") != nil)
        #expect(NodeLabels.problem((0...64).map { "l\($0)" }, field: "labels") == "labels: at most 64 labels")
        #expect(NodeLabels.normalized(["b", "a", "b"]) == ["a", "b"])
        #expect(NodeLabels.parse(" kind:physical, gpu\tlab-b,,") == ["kind:physical", "gpu", "lab-b"])
    }

    @Test("why pending: no node with the labels; labelled nodes unavailable; free nodes avoided by retried cases")
    func pendingForLabels() {
        var task = TaskInfo.sample(labels: ["kind:physical"])
        let waiting = SchedulingInsight.Progress(queued: 2)
        #expect(
            SchedulingInsight.pendingReason(task: task, progress: waiting, fleet: .init(lackingLabels: 2))
                == "no node with product p 1 with tool t 2 has the label kind:physical"
        )
        #expect(
            SchedulingInsight.pendingReason(task: task, progress: waiting, fleet: .init())
                == "no node has product p 1 with tool t 2 installed"
        )
        task.labels = ["gpu", "kind:physical"]
        #expect(
            SchedulingInsight.pendingReason(task: task, progress: waiting, fleet: .init(matching: 1, lackingLabels: 3, offline: 1))
                == "the 1 node with product p 1 with tool t 2 and the labels gpu, kind:physical is unavailable: 1 offline"
        )
        #expect(
            SchedulingInsight.pendingReason(
                task: task,
                progress: waiting,
                fleet: .init(matching: 1, lackingLabels: 3, online: 1, onlineSlots: 1)
            ) == nil
        )
        #expect(
            SchedulingInsight.pendingReason(
                task: task,
                progress: waiting,
                fleet: .init(matching: 2, online: 2, onlineSlots: 2, busySlots: 1, avoidedSeconds: 42)
            ) == "queued cases retried after an infrastructure failure avoid the node they failed on for 42 s more, "
                + "and no other node with product p 1 with tool t 2 and the labels gpu, kind:physical has a free slot"
        )
    }

    @Test("retention: 0 keeps everything; logs go on their own only when kept for less time than tasks")
    func retentionPeriods() throws {
        typealias Periods = RetentionSweep.Periods
        #expect(!Periods(tasks: 0, logs: 0).sweepsTasks && !Periods(tasks: 0, logs: 0).sweepsLogs)
        #expect(Periods(tasks: 90, logs: 30).sweepsTasks && Periods(tasks: 90, logs: 30).sweepsLogs)
        #expect(Periods(tasks: 0, logs: 30).sweepsLogs && !Periods(tasks: 0, logs: 30).sweepsTasks)
        #expect(Periods(tasks: 10, logs: 30).sweepsTasks && !Periods(tasks: 10, logs: 30).sweepsLogs)
        let defaults = ControllerConfiguration()
        #expect(defaults.retentionDays == 90 && defaults.logRetentionDays == 30)
        let config = try ControllerConfiguration.load(
            file: nil,
            environment: ["TESTFLEET_RETENTION_DAYS": "0", "TESTFLEET_LOG_RETENTION_DAYS": "0.5"]
        )
        #expect(config.retentionDays == 0 && config.logRetentionDays == 0.5)
        #expect(throws: ConfigurationError.self) {
            try ControllerConfiguration.load(file: nil, environment: ["TESTFLEET_RETENTION_DAYS": "-1"])
        }
        #expect(throws: ConfigurationError.self) {
            try ControllerConfiguration.load(file: nil, environment: ["TESTFLEET_LOG_RETENTION_DAYS": "a month"])
        }
    }
}
