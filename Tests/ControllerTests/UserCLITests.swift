import ControllerClient
import Crypto
import Foundation
import Testing
import WireProtocol

@testable import testfleet_controller

/// The `testfleet` command against a real controller, with real agents running the cases.
@Suite("The testfleet CLI", .serialized)
struct UserCLITests {
    /// A product and tool made with the CLI itself; the tool passes a case, fails `fail-*` and skips `skip-*`.
    struct Catalog {
        var product: String
        var tool: String
        var productDirectory: URL
        var toolDirectory: URL

        var inventory: TestAgent.Product {
            .init(
                name: String(product.split(separator: "@")[0]),
                version: "1.0",
                path: productDirectory.path,
                tools: [(String(tool.split(separator: "@")[0]), "1", toolDirectory.path)]
            )
        }
    }

    func makeCatalog(_ cli: TestCLI) async throws -> Catalog {
        let name = "cli-app-\(UUID().uuidString.prefix(6))"
        let base = cli.home.appendingPathComponent("fixture")
        let productDirectory = base.appendingPathComponent("product")
        let toolDirectory = base.appendingPathComponent("tool")
        try FileManager.default.createDirectory(at: productDirectory, withIntermediateDirectories: true)
        try FileManager.default.createDirectory(at: toolDirectory, withIntermediateDirectories: true)
        let script = toolDirectory.appendingPathComponent("run.sh")
        try """
        #!/bin/sh
        echo "running $1"
        case "$1" in
          fail-*) echo "assertion failed in $1"; exit 1 ;;
          skip-*) echo '{"status": "skipped", "message": "not on this platform"}' > "$2" ;;
        esac
        exit 0
        """.write(to: script, atomically: true, encoding: .utf8)
        chmod(script.path, 0o755)

        let product = try await cli.run(["product", "create", "\(name)@1.0"])
        #expect(product.status == 0, "\(product)")
        let productID = try #require(Self.createdID(product.stdout))
        let tool = try await cli.run([
            "tool", "create", "\(name)-runner@1", "--run-command", "{tool_dir}/run.sh {case} {result_file}", "--timeout", "60",
        ])
        #expect(tool.status == 0, "\(tool)")
        let toolID = try #require(Self.createdID(tool.stdout))
        let link = try await cli.run(["product", "link", String(productID), String(toolID)])
        #expect(link.status == 0 && link.stdout.contains("\(toolID) \(name)-runner@1"), "\(link)")
        return Catalog(product: "\(name)@1.0", tool: "\(name)-runner@1", productDirectory: productDirectory, toolDirectory: toolDirectory)
    }

    /// The id in `product 12 created: …`.
    static func createdID(_ output: String) -> Int64? {
        output.split(separator: " ").dropFirst().first.flatMap { Int64($0) }
    }

    /// The id in `task 12 submitted: …`.
    static func taskID(_ output: String) -> Int64? {
        output.split(separator: "\n").first { $0.hasPrefix("task ") && $0.contains("submitted") }.flatMap { createdID(String($0)) }
    }

    @Test("login keeps a token in a 0600 file; submit --wait passes with JUnit XML; a failing case exits 1; reports in every format")
    func submitAndWait() async throws {
        try await withController { controller in
            var cli = try TestCLI()
            let caFile = cli.home.appendingPathComponent("downloaded-ca.crt")
            try controller.caPEM.write(to: caFile, atomically: true, encoding: .utf8)

            // The password on standard input (not a terminal).
            let login = try await cli.run(
                ["login", "--server", controller.url + "/", "--ca", caFile.path, "--user", "admin"],
                stdin: TestController.adminPassword + "\n"
            )
            #expect(login.status == 0, "\(login)")
            #expect(login.stdout.contains("logged in to \(controller.url) as admin"))
            let attributes = try FileManager.default.attributesOfItem(atPath: cli.loginFile.path)
            #expect(attributes[.posixPermissions] as? Int == 0o600)
            let saved = try String(contentsOf: cli.loginFile, encoding: .utf8)
            #expect(saved.contains("server = \"\(controller.url)\"") && saved.contains("token = \"tfu_") && saved.contains("ca = \"cli-ca.crt\""))
            #expect(!saved.contains(TestController.adminPassword), "the password is not stored")
            try FileManager.default.removeItem(at: caFile)  // the login file's copy of the CA is what is used

            let catalog = try await makeCatalog(cli)
            try await withAgent(controller, name: "cli-node", products: [catalog.inventory], slots: 2) { agent in

                let casesFile = cli.home.appendingPathComponent("cases.txt")
                try "# smoke\ntest_login\n\ntest_cart\n  test_checkout  \nskip-windows\n".write(to: casesFile, atomically: true, encoding: .utf8)
                let junit = cli.home.appendingPathComponent("out/junit.xml")
                try FileManager.default.createDirectory(at: junit.deletingLastPathComponent(), withIntermediateDirectories: true)
                let passing = try await cli.run([
                    "task", "submit", "--product", catalog.product, "--tool", catalog.tool, "--cases", casesFile.path, "--name", "smoke",
                    "--priority", "3", "--wait", "--junit", junit.path,
                ])
                #expect(passing.status == 0, "\(passing)")
                let passingID = try #require(Self.taskID(passing.stdout), "\(passing)")
                #expect(passing.stdout.contains("task \(passingID) submitted: 4 cases of \(catalog.product) with \(catalog.tool)"))
                #expect(passing.stdout.contains("task \(passingID) completed: 3 passed, 1 skipped"), "\(passing)")
                #expect(passing.stdout.contains("pass rate 100.0%"))
                #expect(passing.stderr.contains("task \(passingID) completed: 4/4 done"), "plain progress lines end with the result: \(passing)")
                #expect(!passing.stderr.contains("\u{1B}["), "no terminal codes when standard error is not a terminal")
                let xml = try String(contentsOf: junit, encoding: .utf8)
                #expect(xml.contains("tests=\"4\"") && xml.contains("skipped=\"1\"") && xml.contains("<testcase name=\"test_checkout\""))

                // Cases from standard input; one fails.
                let failing = try await cli.run(
                    ["task", "submit", "--product", catalog.product, "--tool", catalog.tool, "--cases", "-", "--wait"],
                    stdin: "test_a\nfail-payment\ntest_b\n"
                )
                #expect(failing.status == 1, "\(failing)")
                let failingID = try #require(Self.taskID(failing.stdout))
                #expect(failing.stdout.contains("task \(failingID) completed: 2 passed, 1 failed"))
                #expect(failing.stdout.contains("failing cases:") && failing.stdout.contains("failed     fail-payment on cli-node"), "\(failing)")

                // Waiting again for an ended task answers at once, with the same verdict and the JUnit XML on stdout.
                let again = try await cli.run(["task", "wait", String(failingID), "--junit", "-"])
                #expect(again.status == 1 && again.stdout.contains("<failure message="), "\(again)")

                let json = try await cli.run(["report", String(failingID)])
                #expect(json.status == 0, "\(json)")
                let report = try WireJSON.decoder().decode(TaskReport.self, from: Data(json.stdout.utf8))
                #expect(report.counts.failed == 1 && report.counts.passed == 2 && report.failures.map(\.name) == ["fail-payment"])
                let html = try await cli.run(["report", String(failingID), "--html", "-"])
                #expect(html.status == 0 && html.stdout.contains("<html") && html.stdout.contains("fail-payment"))
                let junitFile = cli.home.appendingPathComponent("report.xml")
                let junitReport = try await cli.run(["report", String(failingID), "--junit", junitFile.path])
                #expect(junitReport.status == 0 && junitReport.stderr.contains("written to \(junitFile.path)"))
                #expect(try String(contentsOf: junitFile, encoding: .utf8).contains("<testsuites"))
                let both = try await cli.run(["report", String(failingID), "--html", "-", "--junit", "-"])
                #expect(both.status == 2 && both.stderr.contains("choose one"), "\(both)")

                let list = try await cli.run(["task", "list", "--state", "completed"])
                #expect(list.status == 0 && list.stdout.hasPrefix("ID "), "\(list)")
                #expect(list.stdout.contains("\n\(passingID) ") && list.stdout.contains("\n\(failingID) "))
                let shown = try await cli.run(["task", "show", String(passingID), "--json"])
                let task = try WireJSON.decoder().decode(TaskInfo.self, from: Data(shown.stdout.utf8))
                #expect(task.name == "smoke" && task.priority == 3 && task.counts.passed == 3)
                let text = try await cli.run(["task", "show", String(passingID)])
                #expect(text.stdout.contains("state:") && text.stdout.contains("completed") && text.stdout.contains("4/4 done"))

                // Environment variables win over the login file; a wrong token is the server's message and exit 3.
                cli.environment["TESTFLEET_TOKEN"] = "tfu_wrong"
                let refused = try await cli.run(["task", "list"])
                #expect(refused.status == 3 && refused.stderr.contains("invalid or revoked API token (HTTP 401)"), "\(refused)")
            }
        }
    }

    @Test("mistakes: usage errors exit 2, the controller's refusals and an unreachable controller exit 3, each with a clear message")
    func errors() async throws {
        try await withController { controller in
            let cli = try TestCLI.loggedIn(to: controller)
            let cases = cli.home.appendingPathComponent("cases.txt")
            try "a\nb\n".write(to: cases, atomically: true, encoding: .utf8)

            let missing = try await cli.run(["task", "show", "999999"])
            #expect(missing.status == 3 && missing.stderr == "testfleet: no task 999999 (HTTP 404)\n", "\(missing)")
            let unknown = try await cli.run(["task", "submit", "--product", "nothing@9", "--tool", "none@1", "--cases", cases.path])
            #expect(unknown.status == 3 && unknown.stderr.contains("product: no product nothing 9 (HTTP 422)"), "\(unknown)")
            let malformed = try await cli.run(["task", "submit", "--product", "no-version", "--tool", "t@1", "--cases", cases.path])
            #expect(malformed.status == 2 && malformed.stderr.contains("--product"), "\(malformed)")
            let noFile = try await cli.run(["task", "submit", "--product", "p@1", "--tool", "t@1", "--cases", "/nonexistent/cases.txt"])
            #expect(noFile.status == 2 && noFile.stderr.contains("cannot read the cases file /nonexistent/cases.txt"), "\(noFile)")
            let empty = try await cli.run(["task", "submit", "--product", "p@1", "--tool", "t@1", "--cases", "-"], stdin: "# nothing\n\n")
            #expect(empty.status == 2 && empty.stderr.contains("no cases in standard input"), "\(empty)")
            let unknownCommand = try await cli.run(["task", "frobnicate"])
            #expect(unknownCommand.status == 2, "\(unknownCommand)")
            let help = try await cli.run(["task", "submit", "--help"])
            #expect(help.status == 0 && help.stdout.contains("--cases"), "\(help)")

            var bare = try TestCLI()
            let nowhere = try await bare.run(["task", "list"])
            #expect(nowhere.status == 2 && nowhere.stderr.contains("no controller: pass --server URL"), "\(nowhere)")
            bare.environment = ["TESTFLEET_SERVER": controller.url]
            let noToken = try await bare.run(["task", "list"])
            #expect(noToken.status == 2 && noToken.stderr.contains("no API token for \(controller.url)"), "\(noToken)")
            let untrusted = try await bare.run(["task", "list", "--token", controller.adminToken])
            #expect(
                untrusted.status == 3 && untrusted.stderr.contains("cannot reach \(controller.url)"),
                "the controller's own CA is not trusted by default: \(untrusted)"
            )
            let closed = try await bare.run(["task", "list", "--server", "https://127.0.0.1:1", "--token", "x"])
            #expect(closed.status == 3 && closed.stderr.contains("cannot reach https://127.0.0.1:1: connection refused\n"), "\(closed)")

            let wrongPassword = try await bare.run(
                ["login", "--ca-sha256", controller.fingerprint, "--user", "admin"],
                stdin: "not-the-password\n"
            )
            #expect(wrongPassword.status == 3 && wrongPassword.stderr.contains("wrong username or password (HTTP 401)"), "\(wrongPassword)")
            #expect(!FileManager.default.fileExists(atPath: bare.loginFile.path))
            let wrongPin = try await bare.run(["login", "--ca-sha256", String(repeating: "ab", count: 32), "--user", "admin"], stdin: "x\n")
            #expect(wrongPin.status == 3 && wrongPin.stderr.contains("refusing to log in"), "\(wrongPin)")
            let pinned = try await bare.run(
                ["login", "--ca-sha256", controller.fingerprint, "--user", "admin"],
                stdin: TestController.adminPassword + "\n"
            )
            #expect(pinned.status == 0, "\(pinned)")
            bare.environment = [:]
            let afterLogin = try await bare.run(["task", "list"])
            #expect(afterLogin.status == 0, "the pinned CA and the token work from the login file: \(afterLogin)")
        }
    }

    @Test("catalog and fleet: upload with sha256, show and list; drain, enable, disable; why a task waits; cancel; the bar on a terminal")
    func catalogAndFleet() async throws {
        try await withController { controller in
            let cli = try TestCLI.loggedIn(to: controller)
            let catalog = try await makeCatalog(cli)

            let artifact = cli.home.appendingPathComponent("app bundle.tar.gz")
            let bytes = Data((0..<3_000_000).map { UInt8(truncatingIfNeeded: $0 &* 31) })
            try bytes.write(to: artifact)
            let products = try await cli.run(["product", "list", "--json"])
            let product = try #require(try WireJSON.decoder().decode([Product].self, from: Data(products.stdout.utf8)).first)
            let upload = try await cli.run(["product", "upload", String(product.id), artifact.path])
            let digest = SHA256.hash(data: bytes).map { String(format: "%02x", $0) }.joined()
            #expect(upload.status == 0 && upload.stdout.contains("3000000 bytes, sha256 \(digest)"), "\(upload)")
            let shown = try await cli.run(["product", "show", String(product.id)])
            #expect(shown.stdout.contains("app bundle.tar.gz, 3000000 bytes") && shown.stdout.contains(catalog.tool), "\(shown)")
            let tools = try await cli.run(["tool", "list"])
            #expect(tools.stdout.contains("{tool_dir}/run.sh {case} {result_file}") && tools.stdout.contains("1m00s"), "\(tools)")
            let checksum = String(repeating: "c0", count: 32)
            let checked = try await cli.run(["product", "create", "fetched@1", "--download-url", "https://example.com/f.tgz", "--sha256", checksum])
            let checkedID = try #require(Self.createdID(checked.stdout), "\(checked)")
            let checkedShown = try await cli.run(["product", "show", String(checkedID)])
            #expect(checkedShown.stdout.contains("download sha256") && checkedShown.stdout.contains(checksum), "\(checkedShown)")
            let unchecked = try await cli.run(["tool", "create", "t@1", "--run-command", "x", "--sha256", checksum])
            #expect(unchecked.status == 2 && unchecked.stderr.contains("--sha256 goes with --download-url"), "\(unchecked)")
            let noUpload = try await cli.run(["tool", "upload", "1", cli.home.appendingPathComponent("missing.bin").path])
            #expect(noUpload.status == 2 && noUpload.stderr.contains("no file"), "\(noUpload)")

            // Nobody can run it yet: the wait says why, and cancelling ends it with exit status 1.
            let cases = cli.home.appendingPathComponent("cases.txt")
            try "one\ntwo\n".write(to: cases, atomically: true, encoding: .utf8)
            let progress = cli.home.appendingPathComponent("wait-progress")
            async let waiting = cli.run(
                ["task", "submit", "--product", catalog.product, "--tool", catalog.tool, "--cases", cases.path, "--wait"],
                errors: progress
            )
            // Nothing here throws: the waiting command ends only when its task does.
            let taskID = try? await waitFor("the submitted task", every: .milliseconds(100)) {
                (try? await controller.admin.request(.GET, "/api/v1/tasks").decode(Page<TaskInfo>.self))?.items.first?.id
            }
            let id = taskID ?? 0
            #expect(id > 0, "the submitted task did not show up")
            let why = try? await cli.run(["task", "show", String(id)])
            #expect(why?.stdout.contains("waiting:") == true && why?.stdout.contains("no node has") == true, "\(String(describing: why))")
            // Cancelled once the wait has said why it waits.
            try? await waitUntil("the wait shows why the task waits") {
                (try? String(contentsOf: progress, encoding: .utf8))?.contains("waiting: no node has") == true
            }
            let cancel = try? await cli.run(["task", "cancel", String(id)])
            #expect(cancel?.status == 0 && cancel?.stdout.contains("task \(id) cancelled: 2 cancelled") == true, "\(String(describing: cancel))")
            let waited = try await waiting
            #expect(waited.status == 1, "\(waited)")
            #expect(waited.stderr.contains("waiting: no node has"), "\(waited)")
            #expect(waited.stdout.contains("task \(id) cancelled: 2 cancelled"), "\(waited)")

            // The fleet.
            let node = try await SimulatedNode.enroll(controller, name: "cli-sim", products: [])
            let nodes = try await cli.run(["node", "list"])
            #expect(nodes.status == 0 && nodes.stdout.contains("cli-sim") && nodes.stdout.contains("online"), "\(nodes)")
            for (command, state) in [("drain", "draining"), ("enable", "online"), ("disable", "disabled")] {
                let changed = try await cli.run(["node", command, String(node.id)])
                #expect(changed.status == 0 && changed.stdout == "node \(node.id) cli-sim is \(state)\n", "\(changed)")
            }
            let detail = try await cli.run(["node", "show", String(node.id)])
            #expect(detail.stdout.contains("disabled") && detail.stdout.contains("Test OS x86_64"), "\(detail)")
            let noNode = try await cli.run(["node", "drain", "424242"])
            #expect(noNode.status == 3 && noNode.stderr.contains("(HTTP 404)"), "\(noNode)")

            // On a terminal, the wait draws a bar in place.
            try #require(TestCLI.hasScript, "script is missing (Debian package bsdutils): the progress bar on a terminal needs it")
            let onTerminal = try await cli.runOnTerminal(["task", "wait", String(id)])
            #expect(onTerminal.status == 1, "\(onTerminal)")
            #expect(onTerminal.stdout.contains("\r\u{1B}[K[") && onTerminal.stdout.contains("█"), "\(onTerminal)")
        }
    }

    @Test("users: list, create, disable, enable, role, passwd (own and another's), delete; refusals exit 3")
    func users() async throws {
        try await withController { controller in
            let cli = try TestCLI.loggedIn(to: controller)
            let created = try await cli.run(["user", "create", "ana"], stdin: "password-of-ana\n")
            #expect(created.status == 0 && created.stdout.hasSuffix(" ana created (member)\n"), "\(created)")
            let list = try await cli.run(["user", "list"])
            #expect(list.status == 0 && list.stdout.contains("USERNAME") && list.stdout.contains("ana"), "\(list)")
            let anaID = try #require(Self.createdID(created.stdout))
            let anonymous = try controller.client(bearer: nil)
            func status(_ user: String, _ password: String) async throws -> Int {
                let basic = "Basic " + Data("\(user):\(password)".utf8).base64EncodedString()
                return try await anonymous.request(.GET, "/api/v1/auth/me", headers: [("Authorization", basic)]).status
            }

            let disabled = try await cli.run(["user", "disable", "ana"])
            #expect(disabled.stdout == "user \(anaID) ana: member, disabled\n", "\(disabled)")
            #expect(try await status("ana", "password-of-ana") == 401)
            let json = try await cli.run(["user", "list", "--json"])
            let users = try WireJSON.decoder().decode([User].self, from: Data(json.stdout.utf8))
            #expect(users.first { $0.username == "ana" }?.disabled == true, "\(json)")
            #expect(try await cli.run(["user", "enable", String(anaID)]).stdout == "user \(anaID) ana: member, enabled\n")
            #expect(try await cli.run(["user", "role", "ana", "admin"]).stdout == "user \(anaID) ana: admin, enabled\n")
            let reset = try await cli.run(["user", "passwd", "ana"], stdin: "set-by-the-cli\n")
            #expect(reset.status == 0 && reset.stdout.hasSuffix("password set\n"), "\(reset)")
            #expect(try await status("ana", "set-by-the-cli") == 200)

            // Ana changes her own password with her own token: the current one, then the new one.
            let anaToken = try await anonymous.request(
                .POST,
                "/api/v1/tokens",
                json: TokenInput(name: "cli"),
                headers: [("Authorization", "Basic " + Data("ana:set-by-the-cli".utf8).base64EncodedString())]
            ).decode(CreatedToken.self).token
            var asAna = cli
            asAna.environment["TESTFLEET_TOKEN"] = anaToken
            let own = try await asAna.run(["user", "passwd"], stdin: "set-by-the-cli\nher-own-choice\n")
            #expect(own.status == 0 && own.stdout == "password changed\n", "\(own)")
            #expect(try await status("ana", "her-own-choice") == 200)
            let wrong = try await asAna.run(["user", "passwd"], stdin: "not-it\nwhatever-else\n")
            #expect(wrong.status == 3 && wrong.stderr.contains("not your current password (HTTP 403)"), "\(wrong)")

            let last = try await cli.run(["user", "disable", "admin"])
            #expect(last.status == 0, "ana is an admin too: \(last)")
            let lastAdmin = try await asAna.run(["user", "role", "ana", "member"])
            #expect(lastAdmin.status == 3 && lastAdmin.stderr.contains("ana is the last enabled admin"), "\(lastAdmin)")
            #expect(lastAdmin.stderr.contains("(HTTP 409)"), "\(lastAdmin)")
            #expect(try await asAna.run(["user", "enable", "admin"]).status == 0)
            let deleted = try await cli.run(["user", "delete", "ana"])
            #expect(deleted.stdout == "user \(anaID) ana deleted\n", "\(deleted)")
            let again = try await cli.run(["user", "delete", "ana"])
            #expect(again.status == 3 && again.stderr.contains("no user ana"), "\(again)")
            let member = try await controller.makeUser("mo")
            var asMember = cli
            asMember.environment["TESTFLEET_TOKEN"] = member.token
            let forbidden = try await asMember.run(["user", "list"])
            #expect(forbidden.status == 3 && forbidden.stderr.contains("(HTTP 403)"), "\(forbidden)")
            let noPassword = try await cli.run(["user", "create", "zed"])
            #expect(noPassword.status == 2 && noPassword.stderr.contains("no password for zed"), "\(noPassword)")
        }
    }
}
