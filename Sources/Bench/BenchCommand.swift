import ArgumentParser
import ControllerClient
import Foundation
import WireProtocol

/// `testfleet-bench`: load scenarios against a running controller with simulated agents over real HTTPS.
/// Each prints one JSON object; `Benchmarks/run` starts everything and tabulates the figures.
@main
struct BenchCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "testfleet-bench",
        abstract: "Measure a running Testfleet controller with simulated agents.",
        subcommands: [
            Dispatch.self, Wakeup.self, Idle.self, Logs.self, Submit.self, StartDelay.self, Makespan.self, RealAgents.self, Floor.self, Tests.self,
        ]
    )
}

func emit(_ object: [String: Any]) throws {
    let data = try JSONSerialization.data(withJSONObject: object, options: [.sortedKeys])
    print(String(decoding: data, as: UTF8.self))
}

extension BenchCommand {
    struct Dispatch: AsyncParsableCommand {
        static let configuration = CommandConfiguration(abstract: "Lease + result round trips per second.")
        @OptionGroup var target: Target
        @Option var agents = 100
        @Option var seconds = 20.0
        @Option var cases = 100_000

        func run() async throws {
            try await target.run(nodes: agents, connections: agents + 8) { bench, setup in
                _ = try await bench.submit(setup, cases: (0..<cases).map { "c\($0)" })
                let done = Counter()
                let warmup = ContinuousClock.now + .seconds(2)
                let deadline = warmup + .milliseconds(Int64(seconds * 1000))
                try await withThrowingTaskGroup(of: Void.self) { group in
                    for node in setup.nodes {
                        group.addTask {
                            // As agents do: each result asks for the next case, which comes back in its answer.
                            var next: Lease?
                            while ContinuousClock.now < deadline {
                                if next == nil { next = try await node.lease(wait: 5) }
                                guard let lease = next else { continue }
                                next = try await node.finish(lease, wait: 5)
                                if ContinuousClock.now > warmup && ContinuousClock.now < deadline { done.add(1) }
                            }
                            if let lease = next { _ = try await node.finish(lease, wait: nil) }
                        }
                    }
                    try await group.waitForAll()
                }
                try emit(["per_s": Double(done.value) / seconds, "round_trips": done.value, "agents": agents, "seconds": seconds])
            }
        }
    }

    struct Wakeup: AsyncParsableCommand {
        static let configuration = CommandConfiguration(
            abstract: "Case submitted → lease delivered to an idle long-polling agent."
        )
        @OptionGroup var target: Target
        @Option var rounds = 200

        func run() async throws {
            try await target.run(nodes: 1) { bench, setup in
                let node = setup.nodes[0]
                var samples: [Double] = []
                var submits: [Double] = []
                for round in 0..<rounds {
                    // The lease's arrival is timed where it arrives: it often comes before the submission's answer.
                    let waiting = Task { (try await node.lease(wait: 30), ContinuousClock.now) }
                    // Let the request reach the controller and start waiting.
                    try await Task.sleep(for: .milliseconds(30))
                    let start = ContinuousClock.now
                    _ = try await bench.submit(setup, cases: ["wake-\(round)"])
                    submits.append(milliseconds(ContinuousClock.now - start))
                    let (leased, arrived) = try await waiting.value
                    guard let lease = leased else { throw BenchError("no lease in round \(round)") }
                    samples.append(milliseconds(arrived - start))
                    try await node.result(lease, .init(token: lease.token, status: .passed, exitCode: 0, durationMs: 1, message: nil))
                }
                samples.sort()
                try emit([
                    "p50": percentile(samples, 0.5), "p99": percentile(samples, 0.99), "max": samples.last ?? 0, "rounds": rounds,
                    // The submission's own answer, for comparison: the lease is often delivered before it.
                    "submit_p50": percentile(submits.sorted(), 0.5),
                ])
            }
        }
    }

    struct Idle: AsyncParsableCommand {
        static let configuration = CommandConfiguration(
            abstract: "Database statements per second and controller memory with idle long-polling agents."
        )
        @OptionGroup var target: Target
        @Option var agents = 1000
        @Option var seconds = 10.0
        @Option(help: "The controller's process id, for its memory.") var controllerPid: Int32?

        func run() async throws {
            try await target.run(nodes: agents, connections: agents + 8) { bench, setup in
                let stop = Flag()
                let polling = Task {
                    try await withThrowingTaskGroup(of: Void.self) { group in
                        for node in setup.nodes {
                            group.addTask {
                                while !stop.isSet { _ = try await node.lease(wait: 30) }
                            }
                        }
                        try await group.waitForAll()
                    }
                }
                // Let every agent get its first request in and the controller settle.
                try await Task.sleep(for: .seconds(5))
                let before = try await bench.statements()
                try await Task.sleep(for: .milliseconds(Int64(seconds * 1000)))
                let after = try await bench.statements()
                let rss = controllerPid.flatMap(residentMegabytes)
                try emit([
                    "db_queries_per_s": (after - before) / seconds, "controller_rss_mb": rss ?? 0, "agents": agents,
                    "seconds": seconds,
                ])
                stop.set()
                polling.cancel()
            }
        }
    }

    struct Logs: AsyncParsableCommand {
        static let configuration = CommandConfiguration(abstract: "Log ingest in MB/s with 64 KiB chunks.")
        @OptionGroup var target: Target
        @Option var streams = 4
        @Option var seconds = 5.0

        func run() async throws {
            try await target.run(nodes: streams) { bench, setup in
                _ = try await bench.submit(setup, cases: (0..<streams).map { "log-\($0)" })
                let chunk = Data(repeating: 0x61, count: 65536)
                let bytes = Counter()
                let deadline = ContinuousClock.now + .milliseconds(Int64(seconds * 1000))
                try await withThrowingTaskGroup(of: Void.self) { group in
                    for node in setup.nodes {
                        group.addTask {
                            guard let lease = try await node.lease(wait: 5) else { return }
                            var offset: Int64 = 0
                            while ContinuousClock.now < deadline {
                                offset = try await node.appendLog(lease, offset: offset, bytes: chunk)
                                bytes.add(chunk.count)
                            }
                            try await node.result(lease, .init(token: lease.token, status: .passed, exitCode: 0, durationMs: 1, message: nil))
                        }
                    }
                    try await group.waitForAll()
                }
                try emit(["mb_per_s": Double(bytes.value) / 1_048_576 / seconds, "streams": streams])
            }
        }
    }

    struct Submit: AsyncParsableCommand {
        static let configuration = CommandConfiguration(abstract: "Seconds to accept a task of many cases.")
        @OptionGroup var target: Target
        @Option var cases = 100_000

        func run() async throws {
            try await target.run(nodes: 0) { bench, setup in
                let names = (0..<cases).map { "suite/module-\($0 / 100)/test_case_number_\($0)" }
                let start = ContinuousClock.now
                _ = try await bench.submit(setup, cases: names)
                try emit(["seconds": milliseconds(ContinuousClock.now - start) / 1000, "cases": cases])
            }
        }
    }

    struct StartDelay: AsyncParsableCommand {
        static let configuration = CommandConfiguration(
            abstract: "Start delay of a small task submitted behind a big one on busy nodes."
        )
        @OptionGroup var target: Target
        @Option var nodes = 10
        @Option var bigCases = 10_000
        @Option(help: "How long each case takes, in milliseconds.") var caseMs = 500

        func run() async throws {
            try await target.run(nodes: nodes, connections: nodes * 2 + 8) { bench, setup in
                _ = try await bench.submit(setup, cases: (0..<bigCases).map { "big-\($0)" }, name: "big")
                let small = Box<Int64>()
                let submitted = Box<ContinuousClock.Instant>()
                let firstSmall = Box<ContinuousClock.Instant>()
                let stop = Flag()
                let caseMs = self.caseMs
                try await withThrowingTaskGroup(of: Void.self) { group in
                    for node in setup.nodes {
                        group.addTask {
                            var next: Lease?
                            while !stop.isSet {
                                if next == nil { next = try await node.lease(wait: 2) }
                                guard let lease = next else { continue }
                                if let id = small.value, lease.taskId == id {
                                    firstSmall.setOnce(.now)
                                    stop.set()
                                }
                                try await Task.sleep(for: .milliseconds(caseMs))
                                next = try await node.finish(lease, durationMs: Int64(caseMs), wait: stop.isSet ? nil : 2)
                            }
                            if let lease = next { _ = try await node.finish(lease, durationMs: Int64(caseMs), wait: nil) }
                        }
                    }
                    group.addTask {
                        try await Task.sleep(for: .seconds(3))
                        submitted.setOnce(.now)
                        small.setOnce(try await bench.submit(setup, cases: (0..<10).map { "small-\($0)" }, name: "small"))
                    }
                    try await group.waitForAll()
                }
                guard let start = submitted.value, let end = firstSmall.value else { throw BenchError("the small task never started") }
                try emit(["seconds": milliseconds(end - start) / 1000, "case_ms": caseMs, "nodes": nodes])
            }
        }
    }

    struct Makespan: AsyncParsableCommand {
        static let configuration = CommandConfiguration(
            abstract: "Makespan of cases with known durations against the lower bound max(Σd / slots, max d)."
        )
        @OptionGroup var target: Target
        @Option var nodes = 8
        @Option var cases = 500
        @Option(help: "Scale of the durations: the longest case takes this many milliseconds.") var longestMs = 2000

        func run() async throws {
            try await target.run(nodes: nodes, connections: nodes * 2 + 8) { bench, setup in
                // Durations with a long tail, seeded in the history by a first run that reports them at once.
                var generator = SeededGenerator(seed: 42)
                let durations: [String: Int] = Dictionary(
                    uniqueKeysWithValues: (0..<cases).map { index in
                        let draw = Double.random(in: 0..<1, using: &generator)
                        return ("case-\(index)", max(5, Int(Double(longestMs) * pow(draw, 3))))
                    }
                )
                let names = durations.keys.sorted()
                _ = try await bench.submit(setup, cases: names, name: "history")
                try await bench.drain(setup) { durations[$0]! }
                _ = try await bench.submit(setup, cases: names, name: "timed")
                let start = ContinuousClock.now
                try await withThrowingTaskGroup(of: Void.self) { group in
                    for node in setup.nodes {
                        group.addTask {
                            var next = try await node.lease(wait: 0)
                            while let lease = next {
                                let duration = durations[lease.caseName]!
                                try await Task.sleep(for: .milliseconds(duration))
                                next = try await node.finish(lease, durationMs: Int64(duration), wait: 0)
                                // A controller that does not hand out the next case with a result is asked for it.
                                if next == nil { next = try await node.lease(wait: 0) }
                            }
                        }
                    }
                    try await group.waitForAll()
                }
                let makespan = milliseconds(ContinuousClock.now - start)
                let total = Double(durations.values.reduce(0, +))
                let bound = max(total / Double(nodes), Double(durations.values.max() ?? 0))
                try emit(["makespan_ms": makespan, "lower_bound_ms": bound, "ratio": makespan / bound, "cases": cases, "nodes": nodes])
            }
        }
    }
}
