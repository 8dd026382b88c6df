import Foundation
import Testing
import WireProtocol

@testable import testfleet

/// The CLI's decisions without a controller: arguments, where the connection comes from, progress and verdicts.
@Suite("CLI decisions")
struct CLIDecisionTests {
    @Test("NAME@VERSION splits at the last @; a number is an id; anything else is refused")
    func itemArguments() {
        #expect(ItemArgument(argument: "shop@1.0")?.reference == ItemReference(name: "shop", version: "1.0"))
        #expect(ItemArgument(argument: "team@shop@2.1-rc1")?.reference == ItemReference(name: "team@shop", version: "2.1-rc1"))
        #expect(ItemArgument(argument: "42")?.reference == ItemReference(id: 42))
        for bad in ["shop", "@1.0", "shop@", "", "0", "-3"] {
            #expect(ItemArgument(argument: bad) == nil, "\(bad)")
        }
        #expect(NameAtVersion(argument: "tool@3") == NameAtVersion(argument: "tool@3"))
        #expect(NameAtVersion(argument: "42") == nil)
    }

    @Test("case lists: one per line, trimmed; blank lines and # comments skipped")
    func caseLists() {
        let text = "# smoke tests\n\n  test_login  \r\ntest_cart\n#test_skipped\n\t\ntest #2\n"
        #expect(CaseList.parse(text) == ["test_login", "test_cart", "test #2"])
        #expect(CaseList.parse("\n# only comments\n").isEmpty)
    }

    @Test("connection: flag, then environment, then the login file; the file's token stays with its server")
    func connection() throws {
        let file = CLIConfigFile(server: "https://ctl:8443/", token: "tfu_file", ca: "cli-ca.crt")
        let path = "/home/me/.config/testfleet/cli.toml"
        let fromFile = try Connection.resolve(flags: .init(), environment: [:], file: file, filePath: path)
        #expect(fromFile == Connection(server: "https://ctl:8443", token: "tfu_file", caFile: "/home/me/.config/testfleet/cli-ca.crt"))

        let environment = ["TESTFLEET_TOKEN": "tfu_env", "TESTFLEET_CA": "/etc/ca.pem"]
        let fromEnvironment = try Connection.resolve(flags: .init(), environment: environment, file: file, filePath: path)
        #expect(fromEnvironment == Connection(server: "https://ctl:8443", token: "tfu_env", caFile: "/etc/ca.pem"))

        let flags = Connection.Flags(server: "https://ctl:8443", token: "tfu_flag", ca: "ca.crt")
        let fromFlags = try Connection.resolve(flags: flags, environment: environment, file: file, filePath: path)
        #expect(fromFlags == Connection(server: "https://ctl:8443", token: "tfu_flag", caFile: "ca.crt"))

        // Another server: the file's token and CA are not sent there.
        let other = try Connection.resolve(
            flags: .init(),
            environment: ["TESTFLEET_SERVER": "https://elsewhere:8443"],
            file: file,
            filePath: path
        )
        #expect(other == Connection(server: "https://elsewhere:8443", token: nil, caFile: nil))
        #expect(throws: CLIError.self) { try other.client() }

        let missing = #expect(throws: CLIError.self) { try Connection.resolve(flags: .init(), environment: [:], file: nil, filePath: path) }
        #expect(missing?.status == .usage && missing?.description.contains("testfleet login") == true)
        let bad = #expect(throws: CLIError.self) {
            try Connection.resolve(flags: .init(server: "ctl:8443"), environment: [:], file: nil, filePath: path)
        }
        #expect(bad?.status == .usage)
    }

    @Test("the login file: written and read back, quotes escaped; unknown keys and bad values named")
    func loginFile() throws {
        let file = CLIConfigFile(server: "https://ctl:8443", token: "tfu_\"quoted\"\\", ca: "dir with space/ca.crt")
        #expect(try CLIConfigFile.parse(file.render()) == file)
        #expect(CLIConfigFile.defaultPath(environment: ["HOME": "/home/me"]) == "/home/me/.config/testfleet/cli.toml")
        #expect(CLIConfigFile.defaultPath(environment: ["HOME": "/home/me", "XDG_CONFIG_HOME": "/cfg"]) == "/cfg/testfleet/cli.toml")
        let unknown = #expect(throws: CLIError.self) { try CLIConfigFile.parse("server = \"https://a\"\ntokn = \"x\"\n") }
        #expect(unknown?.description == "unknown key tokn")
        let number = #expect(throws: CLIError.self) { try CLIConfigFile.parse("server = 8443\n") }
        #expect(number?.description == "server must be a string")
        #expect(throws: CLIError.self) { try CLIConfigFile.parse("token = \"x\"\n") }

        let directory = FileManager.default.temporaryDirectory.appendingPathComponent("tf-cli-\(UUID().uuidString)")
        defer { try? FileManager.default.removeItem(at: directory) }
        let path = directory.appendingPathComponent("sub/cli.toml").path
        try file.write(path: path)
        let mode = try FileManager.default.attributesOfItem(atPath: path)[.posixPermissions] as? Int
        #expect(mode == 0o600)
        #expect(try CLIConfigFile.load(path: path) == file)
        #expect(try CLIConfigFile.load(path: directory.appendingPathComponent("none.toml").path) == nil)
    }

    @Test("verdict: skipped cases pass; failed, error, timed-out or cancelled cases or a cancelled task fail")
    func verdict() {
        var task = Self.task(state: .completed)
        task.counts.passed = 8
        task.counts.skipped = 2
        task.counts.total = 10
        #expect(TaskVerdict.status(of: task) == .success)
        #expect(TaskVerdict.isSettled(task))
        for state in [CaseState.failed, .error, .timedOut, .cancelled] {
            var failing = task
            failing.counts.passed -= 1
            failing.counts[state] += 1
            #expect(TaskVerdict.status(of: failing) == .casesFailed, "\(state)")
        }
        var cancelled = task
        cancelled.state = .cancelled
        #expect(TaskVerdict.status(of: cancelled) == .casesFailed)
        // Cancelled while a case still runs: not settled until it ends.
        cancelled.counts.passed -= 1
        cancelled.counts.running = 1
        #expect(!TaskVerdict.isSettled(cancelled))
    }

    @Test("progress: a bar that fits the terminal with counts and ETA; why cases wait when none runs")
    func progressBar() {
        var task = Self.task(state: .running)
        task.counts.total = 100
        task.counts.passed = 40
        task.counts.failed = 5
        task.counts.running = 3
        task.counts.queued = 52
        task.etaS = 130
        let bar = ProgressDisplay.bar(task, width: 100)
        #expect(bar.hasPrefix("[") && bar.contains("] 45/100 (3 running, 40 passed, 5 failed), ETA 2m10s"), "\(bar)")
        #expect(bar.count <= 99)
        #expect(bar.filter { $0 == "█" }.count == 45 * 30 / 100)
        #expect(ProgressDisplay.bar(task, width: 30).count <= 29)
        // Every way of failing by its own name: a cancelled or timed-out case did not fail its test.
        var mixed = Self.task(state: .cancelled)
        mixed.counts.total = 10
        (mixed.counts.passed, mixed.counts.failed, mixed.counts.error) = (2, 1, 2)
        (mixed.counts.timedOut, mixed.counts.skipped, mixed.counts.cancelled) = (1, 1, 3)
        #expect(
            ProgressDisplay.line(mixed)
                == "task 7 cancelled: 10/10 done (2 passed, 1 failed, 2 error, 1 timed out, 1 skipped, 3 cancelled)"
        )

        var waiting = Self.task(state: .queued)
        waiting.counts.total = 10
        waiting.counts.queued = 10
        waiting.pendingReason = "no node has product shop 1.0 with tool runner 3"
        #expect(ProgressDisplay.line(waiting) == "task 7 queued: 0/10 done; waiting: no node has product shop 1.0 with tool runner 3")
        waiting.counts.queued = 9
        waiting.counts.leased = 1
        #expect(!ProgressDisplay.line(waiting).contains("waiting"), "a reason only while nothing runs")
    }

    @Test("plain progress lines: on every change of state, otherwise at most one per interval and only when counts moved")
    func plainLines() {
        var display = ProgressDisplay(lineInterval: 10)
        var task = Self.task(state: .queued)
        task.counts.total = 4
        task.counts.queued = 4
        #expect(display.plainLine(for: task, now: 0) != nil)
        #expect(display.plainLine(for: task, now: 20) == nil, "nothing changed")
        task.state = .running
        task.counts.queued = 3
        task.counts.running = 1
        #expect(display.plainLine(for: task, now: 21) != nil, "the state changed")
        task.counts.running = 0
        task.counts.passed = 1
        #expect(display.plainLine(for: task, now: 25) == nil, "too soon")
        #expect(display.plainLine(for: task, now: 31)?.contains("1/4 done") == true)
        task.state = .completed
        task.counts.queued = 0
        task.counts.passed = 4
        #expect(display.plainLine(for: task, now: 32) == "task 7 completed: 4/4 done (4 passed)")
    }

    @Test("figures read well: durations, rates, counts; tables align")
    func formatting() {
        #expect(Format.duration(seconds: 45) == "45s")
        #expect(Format.duration(seconds: 125) == "2m05s")
        #expect(Format.duration(seconds: 3720) == "1h02m")
        #expect(Format.duration(milliseconds: 250) == "250ms")
        #expect(Format.percent(0.9512) == "95.1%")
        #expect(Format.percent(nil) == "-")
        var counts = CaseCounts()
        counts.passed = 3
        counts.timedOut = 1
        #expect(Format.counts(counts) == "3 passed, 1 timed out")
        var table = Table("ID", "NAME", "STATE")
        table.add("1", "a-long-name", "ok")
        table.add("12", "b", "running")
        #expect(table.render() == "ID  NAME         STATE\n1   a-long-name  ok\n12  b            running")
    }

    static func task(state: TaskState) -> TaskInfo {
        TaskInfo(
            id: 7,
            name: "nightly",
            state: state,
            product: ItemSummary(id: 1, name: "shop", version: "1.0"),
            tool: ItemSummary(id: 2, name: "runner", version: "3"),
            submittedBy: "admin",
            priority: 0,
            caseTimeoutS: 600,
            maxInfraRetries: 2,
            counts: CaseCounts(),
            createdAt: Date(),
            startedAt: nil,
            finishedAt: nil
        )
    }
}
