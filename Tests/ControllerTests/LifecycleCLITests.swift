import ControllerClient
import Foundation
import Testing
import WireProtocol

@testable import testfleet_controller

/// `testfleet case cancel`, `task rerun`, `task delete` and `task submit --label` against a real controller and
/// agent.
@Suite("The testfleet CLI after the first run", .serialized)
struct LifecycleCLITests {
    @Test("submit with labels, cancel a case, rerun the failed ones and wait, delete")
    func afterTheFirstRun() async throws {
        try await TaskLifecycleTests.Scene.with { scene in
            let (controller, directory, fixture) = (scene.controller, scene.directory, scene.fixture)
            let cli = try TestCLI.loggedIn(to: controller)
            let cases = directory.appendingPathComponent("cases.txt")
            try "good\nflaky-1\nhang-1\nlast\n".write(to: cases, atomically: true, encoding: .utf8)
            let product = "\(fixture.product.name)@\(fixture.product.version)"
            let tool = "\(fixture.tool.name)@\(fixture.tool.version)"
            let submitted = try await cli.run([
                "task", "submit", "--product", product, "--tool", tool, "--cases", cases.path, "--label", "os:linux", "--label", "lab-b",
            ])
            #expect(submitted.status == 0, "\(submitted)")
            let taskID = try #require(Int64(submitted.stdout.split(separator: " ")[1]))
            let shown = try await cli.run(["task", "show", String(taskID)])
            #expect(shown.stdout.contains("labels:") && shown.stdout.contains("lab-b, os:linux"), "\(shown)")

            // A node with the labels comes; the hanging case is cancelled while it runs.
            try await withAgent(controller, name: "cli-node", products: [fixture.inventory], extra: #"labels = ["lab-b"]"#) { agent in
                let hanging = try #require(try await controller.cases(taskID).first { $0.name == "hang-1" })
                _ = try await controller.waitForCase(hanging.id, timeout: 60) { $0.case.state == .running }
                let cancel = try await cli.run(["case", "cancel", String(hanging.id)])
                #expect(cancel.status == 0 && cancel.stdout.contains("its node is stopping it"), "\(cancel)")
                let ended = try await controller.waitForTask(taskID, timeout: 60)
                #expect(ended.counts.passed == 2 && ended.counts.failed == 1 && ended.counts.cancelled == 1)
                let caseShown = try await cli.run(["case", "show", String(hanging.id)])
                #expect(caseShown.stdout.contains("state:") && caseShown.stdout.contains("cancelled"), "\(caseShown)")

                // The failed and the cancelled case again, followed to the end: both pass now.
                let junit = directory.appendingPathComponent("rerun.xml")
                let rerun = try await cli.run(["task", "rerun", String(taskID), "--wait", "--junit", junit.path])
                #expect(rerun.status == 0, "\(rerun)")
                #expect(rerun.stdout.contains("2 cases of task \(taskID) again"))
                let xml = try String(contentsOf: junit, encoding: .utf8)
                #expect(xml.contains("flaky-1") && xml.contains("hang-1") && !xml.contains("\"good\""))
                let nothing = try await cli.run(["task", "rerun", String(taskID + 1)])
                #expect(nothing.status == 3 && nothing.stderr.contains("has no failed"), "\(nothing)")

                let deleted = try await cli.run(["task", "delete", String(taskID)])
                #expect(deleted.status == 0 && deleted.stdout.contains("task \(taskID) deleted"), "\(deleted)")
                let again = try await cli.run(["task", "delete", String(taskID)])
                #expect(again.status == 3 && again.stderr.contains("410"), "\(again)")
            }
        }
    }
}
