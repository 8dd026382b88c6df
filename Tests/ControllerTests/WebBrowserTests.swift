import ControllerClient
import Foundation
import Testing
import WireProtocol

@testable import testfleet_controller

/// The web UI in a real browser (headless Chromium over WebDriver) against a real controller and agent:
/// log in, submit a task choosing product then tool, watch its cases pass live, follow a case's log. Takes
/// screenshots of the main pages: into a temporary directory, or with `TESTFLEET_UPDATE_SCREENSHOTS=1` into
/// the README's `docs/screenshots/`, so that a test run leaves the checkout as it found it.
@Suite("Web browser", .serialized)
struct WebBrowserTests {
    static let script = #"""
        echo "start $1"
        for step in 1 2 3; do echo "step $step of $1"; sleep 0.7; done
        echo "passed $1"
        """#

    static let screenshotNames = ["admin", "case-log", "dashboard", "node", "nodes", "task", "task-phone-dark"]
    static let updatesDocs = ProcessInfo.processInfo.environment["TESTFLEET_UPDATE_SCREENSHOTS"] == "1"

    /// Where this run's screenshots go.
    let screenshots: URL

    init() {
        screenshots =
            Self.updatesDocs
            ? URL(fileURLWithPath: #filePath).deletingLastPathComponent().deletingLastPathComponent().deletingLastPathComponent()
                .appendingPathComponent("docs/screenshots")
            : FileManager.default.temporaryDirectory.appendingPathComponent("tf-screenshots-\(UUID().uuidString.prefix(8))")
    }

    @Test("log in, submit a task through the form, watch it pass live, follow a case's log")
    func scenario() async throws {
        // A known port, so that the enroll command the admin page shows names it.
        let port = try PortProbe.freePort()
        try await withController(.set { $0.port = port }) { controller in
            let fixture = try await Fixture.make(controller, product: "webshop", version: "2.4", tool: "e2e", script: Self.script)
            let decoy = try await controller.admin.request(.POST, "/api/v1/tools", json: ToolInput(name: "not-linked", version: "1", runCommand: "x"))
            #expect(decoy.status == 201)
            // A second tool of the product, installed on the node from the node page by its install script.
            let coverage = try await controller.admin.request(
                .POST,
                "/api/v1/tools",
                json: ToolInput(name: "coverage", version: "5", runCommand: "x", installScript: "echo ready > {install_dir}/marker")
            ).decode(Tool.self)
            _ = try await controller.admin.request(
                .PUT,
                "/api/v1/products/\(fixture.product.id)/tools",
                json: ProductToolsInput(toolIds: [fixture.tool.id, coverage.id])
            )
            try await withAgent(controller, name: "lab-runner-1", products: [fixture.inventory], slots: 2) { agent in
                let browser = try await WebDriver.start()
                do {
                    try await run(browser, controller: controller, fixture: fixture)
                    try await installFromNodePage(browser, controller: controller, tool: coverage)
                } catch {
                    await browser.quit()
                    let environment = (try? await controller.admin.request(.GET, "/api/v1/nodes/1/environment").text) ?? ""
                    throw TestFailure(
                        "\(error)\nthe node's environment: \(environment)\nthe agent's log ends with: \(agent.log.suffix(3000))"
                            + "\nthe screenshots taken so far are in \(screenshots.path)"
                    )
                }
                await browser.quit()
                for name in Self.screenshotNames {
                    let png = try Data(contentsOf: screenshots.appendingPathComponent(name + ".png"))
                    #expect(png.starts(with: [0x89, 0x50, 0x4E, 0x47]) && png.count > 10_000, "\(name).png: \(png.count) bytes")
                }
                if !Self.updatesDocs { try FileManager.default.removeItem(at: screenshots) }
            }
        }
    }

    @Test("cancel a running case from its page, then rerun the failed cases from the task page")
    func cancelAndRerun() async throws {
        try await withController(.set { $0.heartbeatIntervalSeconds = 1 }) { controller in
            let directory = try TaskLifecycleTests.scratch()
            let fixture = try await Fixture.make(
                controller,
                product: "webshop",
                version: "2.5",
                tool: "e2e",
                script: TaskLifecycleTests.script(directory)
            )
            try await withAgent(controller, name: "lab-runner-2", products: [fixture.inventory]) { agent in
                let task = try await controller.submit(fixture.submission(["hang-checkout", "flaky-login", "search"], name: "smoke"))
                let hanging = try await controller.cases(task.id)[0]
                _ = try await controller.waitForCase(hanging.id) { $0.case.state == .running }
                let browser = try await WebDriver.start()
                do {
                    try await browser.logIn(at: controller.url + "/")

                    // The running case's page: Cancel, and it ends cancelled once its agent has stopped it.
                    try await browser.open(controller.url + "/cases/\(hanging.id)")
                    try await browser.wait("the cancel button", until: "document.getElementById('cancel-case')")
                    try await browser.click("#cancel-case")
                    try await browser.wait(
                        "the case cancelled",
                        timeout: .seconds(30),
                        until: "document.querySelector('#case-live .badge.s-cancelled') && !document.getElementById('cancel-case')"
                    )

                    // The task goes on and ends; Rerun failed runs the cancelled and the failed case again, as a new task.
                    try await controller.waitForTask(task.id)
                    try await browser.open(controller.url + "/tasks/\(task.id)")
                    try await browser.wait("the rerun button", until: "document.getElementById('rerun-failed')")
                    try await browser.click("#rerun-failed")
                    try await browser.wait(
                        "the new task's page",
                        until: "location.pathname.match(/^\\/tasks\\/\\d+$/) && location.pathname !== '/tasks/\(task.id)'"
                    )
                    try await browser.wait("its two cases passed", until: "document.querySelectorAll('#case-table .badge.s-passed').length === 2")
                    #expect(try await browser.script("return document.body.textContent.includes('A rerun of');") as? Bool == true)
                } catch {
                    await browser.quit()
                    throw TestFailure("\(error)\nthe agent's log ends with: \(agent.log.suffix(3000))")
                }
                await browser.quit()
                let tasks = try await controller.admin.request(.GET, "/api/v1/tasks").decode(Page<TaskInfo>.self).items
                let rerun = try #require(tasks.first { $0.rerunOf == task.id })
                #expect(rerun.counts.passed == 2 && rerun.counts.total == 2)
                #expect(try await controller.cases(rerun.id).map(\.name) == ["hang-checkout", "flaky-login"])
            }
        }
    }

    /// Ticks a tool on the node page, applies, and watches the install job turn it installed.
    private func installFromNodePage(_ browser: WebDriver, controller: TestController, tool: Tool) async throws {
        let nodes = try await controller.admin.request(.GET, "/api/v1/nodes").decode(Page<NodeInfo>.self)
        let node = try #require(nodes.items.first { $0.name == "lab-runner-1" })
        try await browser.open(controller.url + "/nodes/\(node.id)")
        try await browser.wait("the tool's checkbox", until: "document.querySelector('input[name=tool][value=\"\(tool.id)\"]')")
        try await browser.click("input[name=tool][value='\(tool.id)']")
        try await browser.click("#node-environment form.card button[type=submit]")
        try await browser.wait("the node page again", until: "document.getElementById('node-environment')")
        try await browser.wait(
            "the tool installed",
            timeout: .seconds(90),
            until: "document.querySelector('input[name=tool][value=\"\(tool.id)\"]')?.checked && document.body.textContent.includes('succeeded')"
        )
        try await browser.script("document.getElementById('node-environment').scrollIntoView();")
        try await browser.screenshot(to: screenshots.appendingPathComponent("node.png"))
    }

    /// The scenario's steps in the browser.
    private func run(_ browser: WebDriver, controller: TestController, fixture: Fixture) async throws {
        let linkedTools = try await controller.admin.request(.GET, "/api/v1/products/\(fixture.product.id)/tools")
            .decode(ItemsResponse<Tool>.self).items.map(\.id)
        // Log in: the dashboard sends us to the login page and back.
        try await browser.logIn(at: controller.url + "/")

        // Submit: choose the product, and the script lists only its tools.
        try await browser.open(controller.url + "/tasks/new")
        try await browser.wait("the submit form", until: "document.getElementById('product')")
        // The round trip that lists a product's tools without the script is gone with it.
        #expect(try await browser.script("return document.querySelectorAll('.no-js').length;") as? Int == 0)
        try await browser.click("#product option[value='\(fixture.product.id)']")
        try await browser.wait(
            "the product's tools",
            until: "document.querySelector('#tool option[value=\"\(fixture.tool.id)\"]')"
        )
        let toolChoices = try await browser.script("return [...document.querySelectorAll('#tool option')].map(o => o.value).filter(v => v);")
        #expect(Set(toolChoices as? [String] ?? []) == Set(linkedTools.map(String.init)))
        try await browser.click("#tool option[value='\(fixture.tool.id)']")
        try await browser.type("#name", "checkout suite")
        try await browser.type("#cases", "login\ncart\n# not a case\ncheckout\npayment\nrefund\nlogout")
        try await browser.click("form[action='/tasks'] button.primary")
        try await browser.wait("the task page", until: "location.pathname.match(/^\\/tasks\\/\\d+$/)")
        let taskPath = try await browser.url.replacingOccurrences(of: controller.url, with: "")

        // Watch: the cases turn passed without a reload.
        try await browser.script("window.testfleetMarker = 'still the same page';")
        let passedAtFirst = try await browser.script("return document.querySelectorAll('#case-table .badge.s-passed').length;") as? Int
        #expect((passedAtFirst ?? 6) < 6)
        try await browser.wait("six passed cases", until: "document.querySelectorAll('#case-table .badge.s-passed').length === 6")
        try await browser.wait("the report link", until: "document.querySelector('#task-live a[href$=\"/report\"]')")
        #expect(try await browser.script("return window.testfleetMarker;") as? String == "still the same page")
        #expect(try await browser.url.hasSuffix(taskPath))

        // A longer task: follow a running case's log as it grows.
        let longer = try await controller.submit(fixture.submission((1...8).map { "scenario-\($0)" }, name: "nightly regression"))
        let cases = try await controller.cases(longer.id)
        try await browser.open(controller.url + "/cases/\(cases[0].id)")
        try await browser.script("window.testfleetMarker = 'log page';")
        try await browser.wait("the whole log", until: "document.getElementById('log').textContent.includes('passed scenario-1')")
        let log = try await browser.script("return document.getElementById('log').textContent;") as? String ?? ""
        #expect(log.contains("start scenario-1") && log.contains("step 3 of scenario-1"))
        #expect(try await browser.script("return window.testfleetMarker;") as? String == "log page")
        try await browser.screenshot(to: screenshots.appendingPathComponent("case-log.png"))

        // The main pages while the longer task runs.
        try await browser.open(controller.url + "/")
        try await browser.wait("a running task", until: "document.querySelector('#dashboard-live .task-card')")
        try await browser.screenshot(to: screenshots.appendingPathComponent("dashboard.png"))
        try await browser.open(controller.url + "/tasks/\(longer.id)")
        try await browser.wait("passed cases", until: "document.querySelectorAll('#case-table .badge.s-passed').length >= 2")
        try await browser.screenshot(to: screenshots.appendingPathComponent("task.png"))
        try await browser.open(controller.url + "/nodes")
        try await browser.wait("the node", until: "document.body.textContent.includes('lab-runner-1')")
        try await browser.screenshot(to: screenshots.appendingPathComponent("nodes.png"))
        try await browser.resize(width: 390, height: 844)
        try await browser.prefersDark(true)
        try await browser.open(controller.url + "/tasks/\(longer.id)")
        try await browser.wait("the task page", until: "document.getElementById('case-table')")
        try await browser.screenshot(to: screenshots.appendingPathComponent("task-phone-dark.png"))
        try await browser.prefersDark(false)
        try await browser.resize(width: 1280, height: 900)

        // Admin: an enrollment token with the command to run on a test machine.
        try await browser.open(controller.url + "/admin")
        try await browser.type("#en-note", "rack 3")
        try await browser.click("form[action='/admin/enrollment-tokens'] button.primary")
        try await browser.wait("the enroll command", until: "document.getElementById('enroll-command')")
        let command = try await browser.script("return document.getElementById('enroll-command').textContent;") as? String ?? ""
        #expect(command.hasPrefix("testfleet-agent enroll --controller ") && command.contains("--ca-sha256"))
        try await browser.screenshot(to: screenshots.appendingPathComponent("admin.png"))

        try await controller.waitForTask(longer.id, timeout: 120)
    }
}
