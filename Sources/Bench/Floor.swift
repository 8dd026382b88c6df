import ArgumentParser
import ControllerClient
import Foundation
import Spawning
import WireProtocol

extension BenchCommand {
    /// The floor under ``RealAgents``: slots that turn cases as agents do (start `true {case}` with `/bin/sh`, wait
    /// for it, post its result asking for the next case) against `testfleet-controller bench-floor`, which answers
    /// each result with the least a controller must do: decode it, one durable update, encode the next lease.
    /// The same figures as ``RealAgents``, on the same cores, so that the two stand side by side.
    struct Floor: AsyncParsableCommand {
        static let configuration = CommandConfiguration(
            abstract: "Cases per second and per-case overhead of slots turning `true {case}` against bench-floor."
        )
        /// bench-floor, standing for the controller.
        @OptionGroup var server: Server
        @Option(help: "Clients, as agents: each has its own connections.") var agents = 2
        @Option var slots = 2
        @Option var cases = 2000
        @Option(help: "The bench-floor server's process id, for its CPU time.") var serverPid: Int32?

        func run() async throws {
            try await server.withClients(agents, connections: slots) { connections in
                let clients = connections.map { AgentClient(client: $0, credential: "floor") }
                // A warm-up round first: connections opened, statements prepared.
                _ = try await turn(clients, cases: agents * slots * 20)
                let before = spent()
                let start = ContinuousClock.now
                let samples = try await turn(clients, cases: cases)
                let seconds = milliseconds(ContinuousClock.now - start) / 1000
                let used = spent() - before
                let overhead = samples.map { $0.total - $0.process }.sorted()
                let process = samples.map(\.process).sorted()
                let perCase = Double(cases)
                try emit([
                    "per_s": perCase / seconds, "seconds": seconds, "cases": cases, "agents": agents, "slots": slots,
                    "overhead_ms_p50": percentile(overhead, 0.5), "overhead_ms_p90": percentile(overhead, 0.9),
                    "process_ms_p50": percentile(process, 0.5),
                    "cpu_ms_per_case": [
                        "clients": used.agents / perCase, "shells": used.shells / perCase, "server": used.controller / perCase,
                        "postgres": used.postgres / perCase, "machine": used.machine / perCase,
                    ],
                ])
            }
        }

        /// `cases` cases turned by every slot of every client together; each slot's time per case (from the lease in
        /// hand to the answer to its result) and its process's.
        private func turn(_ clients: [AgentClient], cases: Int) async throws -> [(total: Double, process: Double)] {
            let numbers = Counter()
            return try await withThrowingTaskGroup(of: [(total: Double, process: Double)].self) { group in
                for (index, client) in clients.enumerated() {
                    for slot in 0..<slots {
                        let queue = DispatchQueue(label: "testfleet-bench.floor.\(index).\(slot)")
                        group.addTask {
                            // As an agent's slot starts: a lease request, which gives the slot its row.
                            guard var lease = try await client.lease(wait: 5) else {
                                throw BenchError("bench-floor answered a lease request without a case")
                            }
                            var samples: [(total: Double, process: Double)] = []
                            while true {
                                let number = numbers.add(1)
                                guard number <= cases else { break }
                                let begin = ContinuousClock.now
                                let process = try await Self.runProcess("true c\(number)", on: queue)
                                let result = CaseResult(
                                    token: lease.token,
                                    status: .passed,
                                    exitCode: 0,
                                    durationMs: Int64(process),
                                    message: nil,
                                    log: LogTail(offset: 0, data: Data()),
                                    next: NextRequest(waitS: 30)
                                )
                                guard case .run(let next) = try await client.result(lease, result) else {
                                    throw BenchError("bench-floor answered without a next case")
                                }
                                lease = next
                                samples.append((milliseconds(ContinuousClock.now - begin), process))
                            }
                            return samples
                        }
                    }
                }
                return try await group.reduce(into: []) { $0 += $1 }
            }
        }

        /// Starts `command` with `/bin/sh -c` and waits for it on `queue`'s thread, as an agent's slot waits on its
        /// own; its time from start to end, in milliseconds.
        private static func runProcess(_ command: String, on queue: DispatchQueue) async throws -> Double {
            try await withCheckedThrowingContinuation { continuation in
                queue.async {
                    let start = ContinuousClock.now
                    do {
                        _ = Spawn.wait(for: try Spawn.start("/bin/sh", ["-c", command], output: .appending("/dev/null")))
                        continuation.resume(returning: milliseconds(ContinuousClock.now - start))
                    } catch {
                        continuation.resume(throwing: error)
                    }
                }
            }
        }

        /// CPU time so far, as ``RealAgents`` counts it: this process stands for the agents, its children are the
        /// shells, the server for the controller.
        private func spent() -> RealAgents.Spent {
            let own = CPUTime.process(getpid())
            return RealAgents.Spent(
                agents: own?.own ?? 0,
                shells: own?.children ?? 0,
                controller: serverPid.flatMap { CPUTime.process($0)?.own } ?? 0,
                postgres: CPUTime.postgres(),
                machine: CPUTime.machine()?.busy ?? 0
            )
        }
    }
}
