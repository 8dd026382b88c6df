import AsyncSupport
import Foundation
import Testing
import WireProtocol

@testable import testfleet_agent

@Suite("Case outcomes per the tool contract")
struct CaseOutcomeTests {
    let timeout = Duration.seconds(5)

    @Test("exit codes: 0 passes, others fail, 126/127 cannot run, signals fail")
    func exitCodes() {
        #expect(CaseOutcome.classify(.exited(0), resultFile: nil, timeout: timeout).status == .passed)
        let failed = CaseOutcome.classify(.exited(2), resultFile: nil, timeout: timeout)
        #expect(failed == .init(status: .failed, exitCode: 2, message: "exit code 2"))
        #expect(CaseOutcome.classify(.exited(127), resultFile: nil, timeout: timeout).status == .error)
        #expect(CaseOutcome.classify(.exited(126), resultFile: nil, timeout: timeout).status == .error)
        #expect(CaseOutcome.classify(.signaled(11), resultFile: nil, timeout: timeout).message == "killed by signal 11")
        #expect(CaseOutcome.classify(.timedOut, resultFile: nil, timeout: timeout).status == .timedOut)
        #expect(CaseOutcome.classify(.stopped(.cancelled), resultFile: nil, timeout: timeout).status == .cancelled)
        #expect(CaseOutcome.classify(.stopped(.shutdown), resultFile: nil, timeout: timeout).status == .error)
        #expect(CaseOutcome.classify(.failedToStart("no sh"), resultFile: nil, timeout: timeout).status == .error)
    }

    @Test("the result file wins over the exit code; an unreadable one does not")
    func resultFile() {
        let skipped = Data(#"{"status": "skipped", "message": "no GPU"}"#.utf8)
        #expect(CaseOutcome.classify(.exited(1), resultFile: skipped, timeout: timeout) == .init(status: .skipped, exitCode: 1, message: "no GPU"))
        let failed = Data(#"{"status": "failed"}"#.utf8)
        #expect(CaseOutcome.classify(.exited(0), resultFile: failed, timeout: timeout).status == .failed)
        let garbage = Data("not json".utf8)
        let verdict = CaseOutcome.classify(.exited(0), resultFile: garbage, timeout: timeout)
        #expect(verdict.status == .passed && verdict.message?.contains("result file ignored") == true)
        let wrongStatus = Data(#"{"status": "timed_out"}"#.utf8)
        #expect(CaseOutcome.classify(.exited(3), resultFile: wrongStatus, timeout: timeout).status == .failed)
        // A timeout is decided by the agent, whatever the file says.
        #expect(CaseOutcome.classify(.timedOut, resultFile: skipped, timeout: timeout).status == .timedOut)
    }
}

@Suite("Case process: process groups, timeouts, output")
struct CaseProcessTests {
    func process(_ command: String, timeout: Duration = .seconds(10), grace: Duration = .seconds(1)) throws -> (CaseProcess, URL) {
        let directory = FileManager.default.temporaryDirectory.appendingPathComponent("tf-process-\(UUID().uuidString)")
        try FileManager.default.createDirectory(at: directory, withIntermediateDirectories: true)
        let output = directory.appendingPathComponent("output.log")
        return (
            CaseProcess(
                command: command,
                environment: ["TESTFLEET_CASE": "env case"],
                workDirectory: directory,
                outputFile: output,
                timeout: timeout,
                killGrace: grace,
                outputGrace: .milliseconds(500)
            ),
            output
        )
    }

    @Test("stdout and stderr land in one file in order, with the environment and the work directory")
    func output() async throws {
        let (process, output) = try process(#"echo "out $TESTFLEET_CASE"; echo err >&2; pwd; exit 4"#)
        let outcome = await process.run(stop: OneShot())
        #expect(outcome == .exited(4))
        let text = try String(contentsOf: output, encoding: .utf8)
        #expect(text == "out env case\nerr\n\(process.workDirectory.path)\n")
    }

    @Test("a timeout stops the whole process tree, even children that ignore TERM")
    func timeout() async throws {
        let marker = FileManager.default.temporaryDirectory.appendingPathComponent("tf-child-\(UUID().uuidString)")
        let (process, _) = try process(
            "sh -c 'trap \"\" TERM; echo $$ > \(marker.path); sleep 60' & sleep 60",
            timeout: .seconds(1),
            grace: .milliseconds(500)
        )
        let started = ContinuousClock.now
        let outcome = await process.run(stop: OneShot())
        #expect(outcome == .timedOut)
        #expect(ContinuousClock.now - started < .seconds(6))
        let child = pid_t(try String(contentsOf: marker, encoding: .utf8).trimmingCharacters(in: .whitespacesAndNewlines))!
        try await Task.sleep(for: .milliseconds(200))
        #expect(!Self.isRunning(child))
    }

    @Test("a stop request ends the case with its reason")
    func stop() async throws {
        let (process, _) = try process("sleep 30")
        let stop = OneShot<CaseProcess.Stop>()
        Task {
            try await Task.sleep(for: .milliseconds(300))
            stop.fire(.cancelled)
        }
        #expect(await process.run(stop: stop) == .stopped(.cancelled))
    }

    @Test("output written by a background child after the shell exits is kept")
    func lateOutput() async throws {
        let (process, output) = try process("(sleep 0.2; echo late) & echo early")
        #expect(await process.run(stop: OneShot()) == .exited(0))
        #expect(try String(contentsOf: output, encoding: .utf8) == "early\nlate\n")
    }

    @Test("a work directory that does not exist is a start failure")
    func failedStart() async throws {
        var (process, _) = try process("true")
        process.workDirectory = URL(fileURLWithPath: "/nonexistent/\(UUID().uuidString)")
        if case .failedToStart = await process.run(stop: OneShot()) {
        } else {
            Issue.record("expected a start failure")
        }
    }

    static func isRunning(_ pid: pid_t) -> Bool {
        guard let stat = try? String(contentsOfFile: "/proc/\(pid)/stat", encoding: .utf8), let close = stat.lastIndex(of: ")")
        else { return false }
        return stat[stat.index(close, offsetBy: 2)] != "Z"
    }
}
