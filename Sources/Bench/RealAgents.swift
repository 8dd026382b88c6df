import ArgumentParser
import ConfigFile
import ControllerClient
import Foundation
import WireProtocol

extension BenchCommand {
    /// What users get: real agent processes running real commands, beside the machine's own limit for starting
    /// the same processes.
    struct RealAgents: AsyncParsableCommand {
        static let configuration = CommandConfiguration(
            commandName: "real-agents",
            abstract: "Cases per second and per-case overhead of real agents running `true {case}`."
        )
        @OptionGroup var target: Target
        @Option(help: "The testfleet-agent binary.") var agent: String
        @Option(help: "SHA-256 of the controller's CA, for enrolling.") var caSha256: String
        @Option var agents = 2
        @Option var slots = 2
        @Option var cases = 2000
        @Option(help: "The controller's process id, for its CPU time.") var controllerPid: Int32?

        func run() async throws {
            try await target.run(nodes: 0, runCommand: "true {case}") { bench, setup in
                let product = try await bench.call(.GET, "/api/v1/products/\(setup.product)", String?.none, as: Product.self)
                let tool = try await bench.call(.GET, "/api/v1/tools/\(setup.tool)", String?.none, as: Tool.self)
                let directory = FileManager.default.temporaryDirectory.appendingPathComponent("testfleet-bench-agents-\(UUID().uuidString.prefix(8))")
                try FileManager.default.createDirectory(at: directory, withIntermediateDirectories: true)
                defer { try? FileManager.default.removeItem(at: directory) }
                var processes: [Process] = []
                defer {
                    for process in processes where process.isRunning { process.terminate() }
                    for process in processes { process.waitUntilExit() }
                }
                var logs: [URL] = []
                for index in 0..<agents {
                    let config = directory.appendingPathComponent("agent-\(index).toml")
                    let token = try await bench.call(
                        .POST,
                        "/api/v1/enrollment-tokens",
                        EnrollmentTokenInput(ttlS: 600, maxUses: 1),
                        as: EnrollmentToken.self
                    )
                    let enroll = try Self.launch(
                        agent,
                        [
                            "enroll", "--controller", target.server.controller, "--token", token.token!, "--ca-sha256", caSha256,
                            "--config", config.path, "--name", "bench-real-\(product.name)-\(index)", "--slots", String(slots),
                        ],
                        log: directory.appendingPathComponent("enroll-\(index).log")
                    )
                    enroll.waitUntilExit()
                    guard enroll.terminationStatus == 0 else { throw BenchError("enrolling agent \(index) failed") }
                    let inventory =
                        TOML.arrayTable("product", ["name": product.name, "version": product.version, "path": "/tmp"])
                        + TOML.arrayTable("product.tool", ["name": tool.name, "version": tool.version, "path": "/tmp"])
                    let handle = try FileHandle(forWritingTo: config)
                    try handle.seekToEnd()
                    try handle.write(contentsOf: Data(inventory.utf8))
                    try handle.close()
                    let log = directory.appendingPathComponent("agent-\(index).log")
                    logs.append(log)
                    processes.append(try Self.launch(agent, ["run", "--config", config.path], log: log))
                }
                // Ready once every agent has reported its inventory and sits in its long poll.
                let ready = ContinuousClock.now + .seconds(30)
                while !logs.allSatisfy({ ((try? String(contentsOf: $0, encoding: .utf8)) ?? "").contains("inventory reported") }) {
                    guard ContinuousClock.now < ready else { throw BenchError("the agents did not report their inventory") }
                    try await Task.sleep(for: .milliseconds(50))
                }
                try await Task.sleep(for: .seconds(1))
                let before = cpu(agents: processes)
                let taskID = try await bench.submit(setup, cases: (0..<cases).map { "c\($0)" }, name: "real-agents")
                var task: TaskProgress
                // The task's end time is the controller's; polled seldom, so that watching costs the run little.
                repeat {
                    try await Task.sleep(for: .milliseconds(500))
                    task = try await bench.call(.GET, "/api/v1/tasks/\(taskID)", String?.none, as: TaskProgress.self)
                } while !task.state.isTerminal
                guard let finished = task.finishedAt, task.counts.passed == cases else {
                    throw BenchError("the task ended \(task.state.rawValue) with \(task.counts.passed) of \(cases) cases passed")
                }
                let seconds = finished.timeIntervalSince(task.createdAt)
                let spent = cpu(agents: processes) - before
                // Per case, from each agent's log: its time from lease to the answer to its result, its process's,
                // and the result's (from posting it to the answer); what is left is the agent's own.
                var overhead: [Double] = []
                var process: [Double] = []
                var result: [Double] = []
                var own: [Double] = []
                for log in logs {
                    for line in (try String(contentsOf: log, encoding: .utf8)).split(separator: "\n") {
                        guard let timing = Self.timing(line) else { continue }
                        overhead.append(timing.total - timing.process)
                        process.append(timing.process)
                        if let posted = timing.result {
                            result.append(posted)
                            own.append(timing.total - timing.process - posted)
                        }
                    }
                }
                overhead.sort()
                process.sort()
                result.sort()
                own.sort()
                var figures: [String: Any] = [
                    "per_s": Double(cases) / seconds, "seconds": seconds, "cases": cases, "agents": agents, "slots": slots,
                    "overhead_ms_p50": percentile(overhead, 0.5), "overhead_ms_p90": percentile(overhead, 0.9),
                    "process_ms_p50": percentile(process, 0.5), "timed_cases": overhead.count,
                    "spawn_limit_per_s": try Self.spawnLimit(cases: cases, parallel: agents * slots),
                    // Where the cores went, per case: the agents, the cases' shells, the controller, PostgreSQL, and
                    // the rest (the kernel's own work, other processes); this process's polling is left out. Apart:
                    // the time a hypervisor gave to other machines (steal), which the guest partly counts above too.
                    "cpu_ms_per_case": [
                        "agents": spent.agents / Double(cases), "agents_system": spent.agentsSystem / Double(cases),
                        "shells": spent.shells / Double(cases),
                        "controller": spent.controller / Double(cases),
                        "postgres": spent.postgres / Double(cases), "steal": spent.steal / Double(cases),
                        "rest": (spent.machine - spent.agents - spent.shells - spent.controller - spent.postgres - spent.bench)
                            / Double(cases),
                        "machine": spent.machine / Double(cases),
                    ],
                    // How often their threads handed the cores over, per case: each is a wake-up of one thread by another.
                    "switches_per_case": [
                        "agents": spent.agentSwitches / Double(cases), "controller": spent.controllerSwitches / Double(cases),
                    ],
                ]
                // Agents that do not log the result's time leave these out.
                if !result.isEmpty {
                    figures["result_ms_p50"] = percentile(result, 0.5)
                    figures["agent_ms_p50"] = percentile(own, 0.5)
                }
                try emit(figures)
            }
        }

        /// CPU time so far, in milliseconds.
        struct Spent {
            var agents = 0.0, agentsSystem = 0.0, shells = 0.0, controller = 0.0, postgres = 0.0, bench = 0.0
            var machine = 0.0, steal = 0.0
            /// Thread switches, not time.
            var agentSwitches = 0.0, controllerSwitches = 0.0

            static func - (lhs: Spent, rhs: Spent) -> Spent {
                Spent(
                    agents: lhs.agents - rhs.agents,
                    agentsSystem: lhs.agentsSystem - rhs.agentsSystem,
                    shells: lhs.shells - rhs.shells,
                    controller: lhs.controller - rhs.controller,
                    postgres: lhs.postgres - rhs.postgres,
                    bench: lhs.bench - rhs.bench,
                    machine: lhs.machine - rhs.machine,
                    steal: lhs.steal - rhs.steal,
                    agentSwitches: lhs.agentSwitches - rhs.agentSwitches,
                    controllerSwitches: lhs.controllerSwitches - rhs.controllerSwitches
                )
            }
        }

        func cpu(agents: [Process]) -> Spent {
            let machine = CPUTime.machine()
            var spent = Spent(postgres: CPUTime.postgres(), machine: machine?.busy ?? 0, steal: machine?.steal ?? 0)
            for agent in agents {
                guard let time = CPUTime.process(agent.processIdentifier) else { continue }
                spent.agents += time.own
                spent.agentsSystem += time.system
                spent.shells += time.children
                spent.agentSwitches += CPUTime.switches(agent.processIdentifier) ?? 0
            }
            spent.controller = controllerPid.flatMap { CPUTime.process($0)?.own } ?? 0
            spent.controllerSwitches = controllerPid.flatMap { CPUTime.switches($0) } ?? 0
            spent.bench = CPUTime.process(getpid())?.own ?? 0
            return spent
        }

        /// `case NAME STATUS in X ms (process Y ms, result Z ms)` from an agent's log; older agents leave the result
        /// out.
        static func timing(_ line: Substring) -> (total: Double, process: Double, result: Double?)? {
            guard let inRange = line.range(of: " in ", options: .backwards),
                let processRange = line.range(of: " ms (process ", range: inRange.upperBound..<line.endIndex),
                let total = Double(line[inRange.upperBound..<processRange.lowerBound]),
                let process = Double(line[processRange.upperBound...].prefix { $0 != " " })
            else { return nil }
            let result = line.range(of: " ms, result ", range: processRange.upperBound..<line.endIndex).flatMap {
                Double(line[$0.upperBound...].prefix { $0 != " " })
            }
            return (total, process, result)
        }

        /// Processes per second this machine starts the same commands at, `parallel` at a time, without Testfleet:
        /// `seq N | xargs -P parallel -I{} sh -c 'true {}'`.
        static func spawnLimit(cases: Int, parallel: Int) throws -> Double {
            let start = ContinuousClock.now
            let shell = try launch("/bin/sh", ["-c", "seq \(cases) | xargs -P \(parallel) -I{} sh -c 'true {}'"], log: nil)
            shell.waitUntilExit()
            return Double(cases) / (milliseconds(ContinuousClock.now - start) / 1000)
        }

        static func launch(_ executable: String, _ arguments: [String], log: URL?) throws -> Process {
            let process = Process()
            process.executableURL = URL(fileURLWithPath: executable)
            process.arguments = arguments
            if let log {
                _ = FileManager.default.createFile(atPath: log.path, contents: nil)
                let handle = try FileHandle(forWritingTo: log)
                process.standardOutput = handle
                process.standardError = handle
            } else {
                process.standardOutput = FileHandle.nullDevice
                process.standardError = FileHandle.nullDevice
            }
            try process.run()
            return process
        }
    }
}
