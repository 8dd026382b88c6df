import AsyncSupport
import Foundation
import Synchronization
import Testing
import WireProtocol

@testable import testfleet_agent

@Suite("Case outcomes per the tool contract")
struct CaseOutcomeTests {
    let timeout = Duration.seconds(5)

    @Test("exit codes: 0 passes, others fail, 126/127 cannot run, signals fail")
    func exitCodes() {
        #expect(CaseOutcome.classify(.exited(0), resultFile: .absent, timeout: timeout).status == .passed)
        let failed = CaseOutcome.classify(.exited(2), resultFile: .absent, timeout: timeout)
        #expect(failed == .init(status: .failed, exitCode: 2, message: "exit code 2"))
        #expect(CaseOutcome.classify(.exited(127), resultFile: .absent, timeout: timeout).status == .error)
        #expect(CaseOutcome.classify(.exited(126), resultFile: .absent, timeout: timeout).status == .error)
        #expect(CaseOutcome.classify(.signaled(11), resultFile: .absent, timeout: timeout).message == "killed by signal 11")
        #expect(CaseOutcome.classify(.timedOut, resultFile: .absent, timeout: timeout).status == .timedOut)
        #expect(CaseOutcome.classify(.stopped(.cancelled), resultFile: .absent, timeout: timeout).status == .cancelled)
        #expect(CaseOutcome.classify(.stopped(.shutdown), resultFile: .absent, timeout: timeout).status == .error)
        #expect(CaseOutcome.classify(.failedToStart("no sh"), resultFile: .absent, timeout: timeout).status == .error)
    }

    @Test("the case's log line gives milliseconds with two decimals, rounded")
    func durationsInTheLog() {
        #expect(CaseExecution.format(.microseconds(1235)) == "1.24 ms")
        #expect(CaseExecution.format(.microseconds(1234)) == "1.23 ms")
        #expect(CaseExecution.format(.microseconds(4)) == "0.00 ms")
        #expect(CaseExecution.format(.microseconds(95)) == "0.10 ms")
        #expect(CaseExecution.format(.seconds(12) + .microseconds(7)) == "12000.01 ms")
        #expect(CaseExecution.format(.seconds(3600)) == "3600000.00 ms")
    }

    @Test("the result file wins over the exit code; an unreadable one does not")
    func resultFile() {
        let skipped = Data(#"{"status": "skipped", "message": "no GPU"}"#.utf8)
        #expect(
            CaseOutcome.classify(.exited(1), resultFile: .json(skipped), timeout: timeout) == .init(status: .skipped, exitCode: 1, message: "no GPU")
        )
        let failed = Data(#"{"status": "failed"}"#.utf8)
        #expect(CaseOutcome.classify(.exited(0), resultFile: .json(failed), timeout: timeout).status == .failed)
        let garbage = Data("not json".utf8)
        let verdict = CaseOutcome.classify(.exited(0), resultFile: .json(garbage), timeout: timeout)
        #expect(verdict.status == .passed && verdict.message?.contains("result file ignored") == true)
        let wrongStatus = Data(#"{"status": "timed_out"}"#.utf8)
        #expect(CaseOutcome.classify(.exited(3), resultFile: .json(wrongStatus), timeout: timeout).status == .failed)
        // A timeout is decided by the agent, whatever the file says.
        #expect(CaseOutcome.classify(.timedOut, resultFile: .json(skipped), timeout: timeout).status == .timedOut)
    }
}

@Suite("Case outcomes from JUnit XML tests")
struct JUnitOutcomeTests {
    let timeout = Duration.seconds(5)

    static func tests(_ statuses: TestStatus...) -> [TestRecord] {
        statuses.enumerated().map { TestRecord(classname: "suite", name: "t\($0.offset)", status: $0.element) }
    }

    func verdict(_ outcome: CaseProcess.Outcome, _ tests: [TestRecord]) -> CaseOutcome.Verdict {
        CaseOutcome.classify(outcome, resultFile: .junit(tests), timeout: timeout)
    }

    @Test("exit 0: failed when a test failed or erred, skipped when all were skipped or none ran, else passed")
    func exitZero() {
        let passed = verdict(.exited(0), Self.tests(.passed, .skipped))
        #expect(passed.status == .passed && passed.message == nil && passed.tests?.count == 2)
        let failed = verdict(.exited(0), Self.tests(.passed, .failed, .error))
        #expect(failed.status == .failed)
        #expect(failed.message == "2 of 3 tests failed (1 with an error): suite.t1, suite.t2")
        #expect(
            verdict(.exited(0), Self.tests(.skipped, .skipped))
                == .init(status: .skipped, exitCode: 0, message: "all 2 tests skipped", tests: Self.tests(.skipped, .skipped))
        )
        #expect(verdict(.exited(0), []).message == "the result file holds no tests")
        #expect(verdict(.exited(0), []).status == .skipped)
    }

    @Test("a non-zero exit fails the case whatever the tests say, and the message says which")
    func nonZeroExit() {
        let noFailure = verdict(.exited(2), Self.tests(.passed))
        #expect(noFailure.status == .failed && noFailure.exitCode == 2)
        #expect(noFailure.message == "exit code 2 though no test failed (1 tests)")
        let both = verdict(.exited(1), Self.tests(.failed, .failed, .failed, .failed, .passed))
        #expect(both.message == "4 of 5 tests failed: suite.t0, suite.t1, suite.t2, …; exit code 1")
        #expect(verdict(.signaled(9), Self.tests(.passed)).status == .failed)
        #expect(verdict(.signaled(9), Self.tests(.skipped)).message == "killed by signal 9 though no test failed (1 tests)")
    }

    @Test("timeouts, cancels and commands that cannot run stay as they were; the tests go with what could run")
    func unchanged() {
        #expect(verdict(.timedOut, Self.tests(.passed)).status == .timedOut)
        #expect(verdict(.timedOut, Self.tests(.passed)).tests == nil)
        #expect(verdict(.stopped(.cancelled), Self.tests(.failed)).status == .cancelled)
        let notFound = verdict(.exited(127), Self.tests(.failed))
        #expect(notFound.status == .error && notFound.tests?.count == 1)
        #expect(notFound.message == "command not found (exit 127); 1 of 1 tests failed: suite.t0")
    }

    @Test("an unreadable result file leaves the exit code's verdict, with the reason")
    func unreadable() {
        let verdict = CaseOutcome.classify(.exited(1), resultFile: .unreadable("it is not XML"), timeout: timeout)
        #expect(verdict == .init(status: .failed, exitCode: 1, message: "exit code 1; result file not read: it is not XML"))
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
        // Not the 60 s of its children's sleep: about 1.5 s on a quiet machine, more beside every other test.
        #expect(ContinuousClock.now - started < .seconds(30))
        let child = pid_t(try String(contentsOf: marker, encoding: .utf8).trimmingCharacters(in: .whitespacesAndNewlines))!
        // Killed with its group as the case ended.
        #expect(await Self.ends(child))
    }

    @Test("a stop request ends the case with its reason")
    func stop() async throws {
        let (process, _) = try process("sleep 30")
        let stop = OneShot<CaseProcess.Stop>()
        // Asked to stop once it runs.
        #expect(await process.run(stop: stop, onStart: { _ in stop.fire(.cancelled) }) == .stopped(.cancelled))
    }

    @Test("output written by a background child after the shell exits is kept")
    func lateOutput() async throws {
        let (process, output) = try process("(sleep 0.2; echo late) & echo early")
        #expect(await process.run(stop: OneShot()) == .exited(0))
        #expect(try String(contentsOf: output, encoding: .utf8) == "early\nlate\n")
    }

    @Test("a shell that ends while a background child holds its output: the child is killed after the output's grace")
    func heldOutput() async throws {
        let marker = FileManager.default.temporaryDirectory.appendingPathComponent("tf-held-\(UUID().uuidString)")
        let (process, output) = try process("sleep 60 & echo $! > \(marker.path); echo started")
        let started = ContinuousClock.now
        #expect(await process.run(stop: OneShot()) == .exited(0))
        // Not the 60 s of the child's sleep: the 500 ms grace, more beside every other test.
        #expect(ContinuousClock.now - started < .seconds(30))
        #expect(try String(contentsOf: output, encoding: .utf8) == "started\n")
        let child = pid_t(try String(contentsOf: marker, encoding: .utf8).trimmingCharacters(in: .whitespacesAndNewlines))!
        #expect(await Self.ends(child))
    }

    @Test("a signal the agent ignores is at its default in the case, and the case says which signal ended it")
    func defaultSignals() async throws {
        // The agent's HTTP client ignores SIGPIPE; a case must not inherit that, or a pipeline's writer never ends.
        signal(SIGPIPE, SIG_IGN)
        let (process, _) = try process("kill -PIPE $$; echo survived")
        #expect(await process.run(stop: OneShot()) == .signaled(SIGPIPE))
    }

    @Test("a reminder comes once while the shell still runs, and never for a shell that ended before it was due")
    func reminder() async throws {
        final class Calls: Sendable {
            let times = Mutex<[ContinuousClock.Instant]>([])
        }
        let calls = Calls()
        let remind = CaseProcess.Reminder(after: .milliseconds(300)) { calls.times.withLock { $0.append(.now) } }
        var (quick, _) = try process("true")
        quick.reminder = remind
        #expect(await quick.run(stop: OneShot()) == .exited(0))
        // The second case runs well past the first one's reminder time: only its own reminder comes.
        var (slow, _) = try process("sleep 1")
        slow.reminder = remind
        let started = ContinuousClock.now
        #expect(await slow.run(stop: OneShot()) == .exited(0))
        let times = calls.times.withLock { $0 }
        #expect(times.count == 1)
        #expect(times.allSatisfy { $0 - started >= .milliseconds(300) })
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

    /// Whether `pid` is gone within 5 s: the kernel may take a moment to finish a killed process.
    static func ends(_ pid: pid_t) async -> Bool {
        let deadline = ContinuousClock.now + .seconds(5)
        while isRunning(pid) && ContinuousClock.now < deadline { try? await Task.sleep(for: .milliseconds(10)) }
        return !isRunning(pid)
    }

    static func isRunning(_ pid: pid_t) -> Bool {
        guard let stat = try? String(contentsOfFile: "/proc/\(pid)/stat", encoding: .utf8), let close = stat.lastIndex(of: ")")
        else { return false }
        return stat[stat.index(close, offsetBy: 2)] != "Z"
    }
}
