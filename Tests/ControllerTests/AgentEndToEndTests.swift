import ControllerClient
import Foundation
import Testing
import WireProtocol

@testable import testfleet_controller

/// Real agent processes running real shell commands against a real controller.
@Suite("Agents end to end", .serialized)
struct AgentEndToEndTests {
    static let outcomesScript = #"""
        case "$1" in
          pass) echo "passing"; exit 0 ;;
          fail) echo "failing" >&2; exit 3 ;;
          result-skip) echo '{"status": "skipped", "message": "not here"}' > "$TESTFLEET_RESULT_FILE"; exit 1 ;;
          result-fail) echo '{"status": "failed", "message": "checked by the tool"}' > "$2"; exit 0 ;;
          sleepy) echo "sleeping"; sleep 30; echo "woke" ;;
          missing) this-command-does-not-exist-anywhere ;;
          interleave) i=0; while [ $i -lt 200 ]; do echo "out $i"; echo "err $i" >&2; i=$((i+1)); done ;;
          *) echo "case: $1"; echo "env: $TESTFLEET_CASE"; exit 0 ;;
        esac
        """#

    /// Whether a process exists and is not a zombie waiting to be reaped.
    static func isRunning(_ pid: pid_t) -> Bool {
        guard let stat = try? String(contentsOfFile: "/proc/\(pid)/stat", encoding: .utf8),
            let close = stat.lastIndex(of: ")")
        else { return false }
        return stat[stat.index(close, offsetBy: 2)] != "Z"
    }

    @Test("cases go only to nodes with the right product version and tool")
    func matching() async throws {
        try await withController { controller in
            let one = try await Fixture.make(controller, product: "match", version: "1.0", script: "echo ran $1")
            let twoProduct = try await controller.admin.request(.POST, "/api/v1/products", json: ProductInput(name: "match", version: "2.0"))
                .decode(Product.self)
            _ = try await controller.admin.request(.PUT, "/api/v1/products/\(twoProduct.id)/tools", json: ProductToolsInput(toolIds: [one.tool.id]))
            var two = one.inventory
            two.version = "2.0"
            var wrongTool = one.inventory
            wrongTool.tools = [("other-tool", "1", one.toolDirectory.path)]
            try await withAgent(controller, name: "has-1.0", products: [one.inventory]) { _ in
                try await withAgent(controller, name: "has-2.0", products: [two]) { _ in
                    try await withAgent(controller, name: "wrong-tool", products: [wrongTool]) { _ in
                        let first = try await controller.submit(one.submission((1...6).map { "v1-case-\($0)" }))
                        var second = one.submission((1...4).map { "v2-case-\($0)" })
                        second.product = ItemReference(name: "match", version: "2.0")
                        let secondTask = try await controller.submit(second)
                        try await controller.waitForTask(first.id)
                        try await controller.waitForTask(secondTask.id)
                        let firstCases = try await controller.cases(first.id)
                        let secondCases = try await controller.cases(secondTask.id)
                        #expect(firstCases.allSatisfy { $0.state == .passed && $0.node?.name == "has-1.0" })
                        #expect(secondCases.allSatisfy { $0.state == .passed && $0.node?.name == "has-2.0" })
                        #expect(try await controller.log(firstCases[0].id).contains("ran v1-case-1"))
                    }
                }
            }
        }
    }

    @Test("outcomes from exit code, result file, timeout and a command that cannot start; logs complete and in order")
    func outcomes() async throws {
        try await withController { controller in
            let fixture = try await Fixture.make(
                controller,
                script: Self.outcomesScript,
                runCommand: "{tool_dir}/run.sh {case} {result_file}"
            )
            try await withAgent(controller, name: "runner", products: [fixture.inventory], slots: 3, extra: "kill_grace_s = 1") { agent in
                // A case named like placeholders reaches the tool as typed: the command is rendered once.
                let placeholders = "{work_dir} {result_file} {case}"
                let names = [
                    "pass", "fail", "result-skip", "result-fail", "sleepy", "missing", "interleave", "ünïcødé ✓ 'quoted' $HOME", placeholders,
                ]
                let task = try await controller.submit(fixture.submission(names, timeout: 2, retries: 0))
                let ended = try await controller.waitForTask(task.id, timeout: 90)
                #expect(ended.state == .completed)
                let cases = Dictionary(uniqueKeysWithValues: try await controller.cases(task.id).map { ($0.name, $0) })
                #expect(cases["pass"]?.state == .passed && cases["pass"]?.exitCode == 0)
                // The agent's line for a case says where its time went: the process, and the result's round trip.
                try await waitUntil("the agent's line for case pass", timeout: 10, every: .milliseconds(20)) {
                    agent.log.contains(/case pass passed in [0-9.]+ ms \(process [0-9.]+ ms, result [0-9.]+ ms\)/)
                }
                #expect(cases["fail"]?.state == .failed && cases["fail"]?.exitCode == 3)
                #expect(cases["result-skip"]?.state == .skipped && cases["result-skip"]?.message == "not here")
                #expect(cases["result-fail"]?.state == .failed && cases["result-fail"]?.message == "checked by the tool")
                #expect(cases["sleepy"]?.state == .timedOut)
                #expect(cases["missing"]?.state == .error && cases["missing"]?.exitCode == 127)
                let odd = try #require(cases["ünïcødé ✓ 'quoted' $HOME"])
                #expect(odd.state == .passed)
                let oddLog = try await controller.log(odd.id)
                #expect(oddLog.contains("case: ünïcødé ✓ 'quoted' $HOME") && oddLog.contains("env: ünïcødé ✓ 'quoted' $HOME"))
                let literal = try #require(cases[placeholders])
                let literalLog = try await controller.log(literal.id)
                #expect(literal.state == .passed && literalLog.contains("case: \(placeholders)\n") && literalLog.contains("env: \(placeholders)\n"))
                let sleepyLog = try await controller.log(cases["sleepy"]!.id)
                #expect(sleepyLog.contains("sleeping") && !sleepyLog.contains("woke"))
                let interleaved = try await controller.log(cases["interleave"]!.id)
                let lines = interleaved.split(separator: "\n").map(String.init)
                #expect(lines.filter { $0.hasPrefix("out ") } == (0..<200).map { "out \($0)" })
                #expect(lines.filter { $0.hasPrefix("err ") } == (0..<200).map { "err \($0)" })
                // Tailing from an offset returns the rest.
                let tail = try await controller.admin.request(.GET, "/api/v1/cases/\(cases["interleave"]!.id)/log?offset=10")
                #expect(tail.text == String(interleaved.utf8.dropFirst(10))!)
                #expect(tail.header("X-Testfleet-Log-Offset") == String(interleaved.utf8.count))
            }
        }
    }

    @Test("cancelling a task kills its running case and ends queued ones at once")
    func cancel() async throws {
        try await withController(.set { $0.heartbeatIntervalSeconds = 1 }) { controller in
            let marker = FileManager.default.temporaryDirectory.appendingPathComponent("tf-cancel-\(UUID().uuidString)")
            let fixture = try await Fixture.make(controller, script: "echo $$ > \(marker.path); sleep 60; echo finished")
            try await withAgent(controller, name: "cancel", products: [fixture.inventory], extra: "kill_grace_s = 2") { agent in
                let task = try await controller.submit(fixture.submission(["long", "queued-1", "queued-2"]))
                let first = try await controller.cases(task.id)[0]
                _ = try await controller.waitForCase(first.id) { $0.case.state == .running }
                try await waitUntil("the case's process to write its pid", timeout: 5) { FileManager.default.fileExists(atPath: marker.path) }
                let pid = pid_t(try String(contentsOf: marker, encoding: .utf8).trimmingCharacters(in: .whitespacesAndNewlines))!
                #expect(Self.isRunning(pid))
                let cancelled = try await controller.admin.request(.POST, "/api/v1/tasks/\(task.id)/cancel").decode(TaskInfo.self)
                #expect(cancelled.state == .cancelled)
                #expect(cancelled.counts.cancelled == 2)
                let detail = try await controller.waitForCase(first.id, timeout: 20) { $0.case.state == .cancelled }
                #expect(detail.runs.last?.outcome == .cancelled)
                #expect(!Self.isRunning(pid), "the case's process still runs")
                #expect(try await controller.log(first.id).contains("finished") == false)
            }
        }
    }

    @Test("kill -9 of an agent mid-case: the case is requeued and passes on another node; the late result is refused")
    func lostAgent() async throws {
        let clock = SchedulingClock.manual()
        try await withController(
            .set {
                $0.leaseTTLSeconds = 3
                $0.heartbeatIntervalSeconds = 1
                $0.retryAvoidSeconds = 30
            },
            clock: clock
        ) { controller in
            let fixture = try await Fixture.make(controller, script: "echo start on $(hostname); sleep 4; echo done")
            try await withAgent(controller, name: "doomed", products: [fixture.inventory]) { doomed in
                let task = try await controller.submit(fixture.submission(["survivor"]))
                let caseID = try await controller.cases(task.id)[0].id
                let running = try await controller.waitForCase(caseID) { $0.case.state == .running }
                let lostRun = try #require(running.runs.last)
                doomed.kill9()
                doomed.killLeftoverCases()
                // Past the lease's end; a heartbeat the agent sent as it died may renew it once more, so again until it is lost.
                try await waitUntil("the dead agent's lease is reaped") {
                    clock.advance(by: .seconds(4))
                    try await controller.sweep()
                    return try await controller.admin.request(.GET, "/api/v1/cases/\(caseID)").decode(CaseDetail.self).runs.first?.outcome == .lost
                }
                try await withAgent(controller, name: "rescuer", products: [fixture.inventory]) { rescuer in
                    let ended = try await controller.waitForTask(task.id, timeout: 60)
                    #expect(ended.state == .completed)
                    let detail = try await controller.admin.request(.GET, "/api/v1/cases/\(caseID)").decode(CaseDetail.self)
                    #expect(detail.case.state == .passed)
                    #expect(detail.case.node?.name == "rescuer")
                    #expect(detail.runs.map(\.outcome) == [.lost, .passed])
                    #expect(detail.runs.map(\.node.name) == ["doomed", "rescuer"])
                    #expect(detail.case.attempts == 2)

                    // The dead agent's result comes late: refused, nothing changes.
                    let credential = try String(contentsOf: doomed.directory.appendingPathComponent("agent.credential"), encoding: .utf8)
                        .trimmingCharacters(in: .whitespacesAndNewlines)
                    let ghost = try controller.client(bearer: credential)
                    let lease = try WireJSON.decoder().decode(
                        Lease.self,
                        from: Data(
                            contentsOf: doomed.directory.appendingPathComponent("agent-data/spool/\(lostRun.id.uuidString.lowercased())/lease.json")
                        )
                    )
                    let late = try await ghost.request(
                        .POST,
                        "/api/v1/agent/leases/\(lostRun.id.uuidString.lowercased())/result",
                        json: CaseResult(token: lease.token, status: .failed, exitCode: 1, durationMs: 10, message: "late")
                    )
                    #expect(late.status == 409)
                    let after = try await controller.admin.request(.GET, "/api/v1/cases/\(caseID)").decode(CaseDetail.self)
                    #expect(after.case.state == .passed && after.runs.map(\.outcome) == [.lost, .passed])
                }
            }
        }
    }

    @Test("enrollment refuses a wrong fingerprint and expired, used-up or revoked tokens with a clear message")
    func enrollmentFailures() async throws {
        try await withController { controller in
            let directory = FileManager.default.temporaryDirectory.appendingPathComponent("tf-enroll-\(UUID().uuidString)")
            try FileManager.default.createDirectory(at: directory, withIntermediateDirectories: true)
            func enroll(_ token: String, fingerprint: String? = nil) async throws -> ProcessRunner.Result {
                try await ProcessRunner.run(
                    TestAgent.binary.path,
                    [
                        "enroll", "--controller", controller.url, "--token", token, "--ca-sha256", fingerprint ?? controller.fingerprint,
                        "--config", directory.appendingPathComponent("agent.toml").path, "--name", "enrollee",
                    ]
                )
            }
            func newToken(maxUses: Int = 1) async throws -> EnrollmentToken {
                try await controller.admin.request(.POST, "/api/v1/enrollment-tokens", json: EnrollmentTokenInput(ttlS: 600, maxUses: maxUses))
                    .decode(EnrollmentToken.self)
            }
            let created = try await newToken()
            #expect(created.command?.contains("testfleet-agent enroll --controller") == true)
            #expect(created.command?.contains("--ca-sha256 \(controller.fingerprint)") == true)

            let wrong = try await enroll(created.token!, fingerprint: String(repeating: "ab", count: 32))
            #expect(wrong.status != 0 && wrong.output.contains("do not match"))

            let ok = try await enroll(created.token!)
            #expect(ok.status == 0, "\(ok.output)")
            let usedUp = try await enroll(created.token!)
            #expect(usedUp.status != 0 && usedUp.output.contains("used up"))

            let expiring = try await newToken()
            try await controller.services.database.query(
                "UPDATE enrollment_tokens SET expires_at = now() - interval '1 minute' WHERE id = \(expiring.id)"
            )
            let expired = try await enroll(expiring.token!)
            #expect(expired.status != 0 && expired.output.contains("expired"))

            let revoking = try await newToken()
            #expect(try await controller.admin.request(.DELETE, "/api/v1/enrollment-tokens/\(revoking.id)").status == 204)
            let revoked = try await enroll(revoking.token!)
            #expect(revoked.status != 0 && revoked.output.contains("revoked"))

            let unknown = try await enroll("tfe_nope")
            #expect(unknown.status != 0 && unknown.output.contains("unknown enrollment token"))
            let listed = try await controller.admin.request(.GET, "/api/v1/enrollment-tokens").decode(Page<EnrollmentToken>.self)
            #expect(listed.items.count == 3 && listed.items.allSatisfy { $0.token == nil })
        }
    }
}
