import ControllerClient
import Foundation
import Testing
import WireProtocol

@testable import testfleet_controller

#if canImport(FoundationXML)
import FoundationXML
#endif

/// A real test tool writing JUnit XML (pytest) through real agents: tests counted, listed, compared between two
/// product versions, exported, shown in the browser; and hostile result files that change nothing but the
/// message.
@Suite("JUnit XML end to end", .serialized)
struct JUnitEndToEndTests {
    /// A small pytest suite whose outcome depends on the product version it runs against.
    static let shopTests = """
        import os, pytest
        VERSION = os.environ["TESTFLEET_PRODUCT_VERSION"]

        def test_login():
            assert True

        def test_cart():
            assert VERSION == "1.0", f"cart total wrong in {VERSION}"

        def test_pay():
            assert VERSION != "1.0", "payment declined"

        @pytest.fixture
        def database():
            raise RuntimeError("database unreachable")

        def test_orders(database):
            pass

        @pytest.mark.skip(reason="no GPU here")
        def test_gpu():
            pass
        """

    static let searchTests = """
        import pytest

        def test_find():
            print("searching for shoes")
            assert "shoes" in "red shoes"

        def test_filter():
            assert sorted([3, 1, 2]) == [1, 2, 3]

        @pytest.mark.skip(reason="slow")
        def test_slow():
            pass
        """

    static let pytest =
        "PYTHONDONTWRITEBYTECODE=1 python3 -m pytest -q -p no:cacheprovider --rootdir {tool_dir} --junitxml {result_file} {tool_dir}/{case}"

    @Test("pytest through real agents: counts, failed tests, a test-level regression between versions, JUnit, CLI, browser")
    func pytestSuite() async throws {
        let probe = try await ProcessRunner.run("/bin/sh", ["-c", "python3 -m pytest --version"])
        try #require(probe.status == 0, "this test runs pytest, which is not installed: python3 -m pip install pytest")
        try await withController { controller in
            let fixture = try await Fixture.make(
                controller,
                product: "shop",
                version: "1.0",
                tool: "pytest",
                script: "exit 0",
                runCommand: Self.pytest
            )
            try Self.shopTests.write(to: fixture.toolDirectory.appendingPathComponent("test_shop.py"), atomically: true, encoding: .utf8)
            try Self.searchTests.write(to: fixture.toolDirectory.appendingPathComponent("test_search.py"), atomically: true, encoding: .utf8)
            let next = try await controller.admin.request(.POST, "/api/v1/products", json: ProductInput(name: "shop", version: "2.0"))
                .decode(Product.self)
            _ = try await controller.admin.request(.PUT, "/api/v1/products/\(next.id)/tools", json: ProductToolsInput(toolIds: [fixture.tool.id]))
            var nextInventory = fixture.inventory
            nextInventory.version = "2.0"
            try await withAgent(controller, name: "pytest-runner", products: [fixture.inventory, nextInventory], slots: 2) { agent in
                let cases = ["test_shop.py", "test_search.py"]

                // Version 1.0: one failing and one erroring test in test_shop.py; test_search.py passes.
                let first = try await controller.submit(fixture.submission(cases, name: "shop 1.0", retries: 0))
                let firstEnded = try await controller.waitForTask(first.id, timeout: 180)
                #expect(firstEnded.tests == TestCounts(total: 8, passed: 4, failed: 1, error: 1, skipped: 2))
                let firstCases = Dictionary(uniqueKeysWithValues: try await controller.cases(first.id).map { ($0.name, $0) })
                let shop = try #require(firstCases["test_shop.py"])
                #expect(shop.state == .failed && shop.exitCode == 1)
                #expect(shop.message == "2 of 5 tests failed (1 with an error): test_shop.test_pay, test_shop.test_orders; exit code 1")
                #expect(shop.tests == TestCounts(total: 5, passed: 2, failed: 1, error: 1, skipped: 1))
                #expect(firstCases["test_search.py"]?.state == .passed)
                #expect(firstCases["test_search.py"]?.tests == TestCounts(total: 3, passed: 2, failed: 0, error: 0, skipped: 1))

                // The case's tests, in file order, a page at a time, by status, one with its output.
                let all = try await controller.admin.request(.GET, "/api/v1/cases/\(shop.id)/tests").decode(Page<CaseTest>.self)
                #expect(all.items.map(\.name) == ["test_login", "test_cart", "test_pay", "test_orders", "test_gpu"])
                #expect(all.items.map(\.status) == [.passed, .passed, .failed, .error, .skipped])
                #expect(all.items.allSatisfy { $0.classname == "test_shop" && $0.output == nil })
                let page = try await controller.admin.request(.GET, "/api/v1/cases/\(shop.id)/tests?limit=2&cursor=2").decode(Page<CaseTest>.self)
                #expect(page.items.map(\.n) == [3, 4] && page.nextCursor == "4")
                let failing = try await controller.admin.request(.GET, "/api/v1/cases/\(shop.id)/tests?status=failed").decode(Page<CaseTest>.self)
                #expect(failing.items.map(\.name) == ["test_pay"])
                #expect(failing.items.first?.message?.hasPrefix("AssertionError: payment declined") == true)
                let pay = try await controller.admin.request(.GET, "/api/v1/cases/\(shop.id)/tests/3").decode(CaseTest.self)
                #expect(pay.output?.contains("test_shop.py:") == true && pay.output?.contains("payment declined") == true)
                #expect(try await controller.admin.request(.GET, "/api/v1/cases/\(shop.id)/tests/99").status == 404)
                #expect(try await controller.admin.request(.GET, "/api/v1/cases/\(shop.id)/tests?status=bogus").status == 422)
                #expect(try await controller.admin.request(.GET, "/api/v1/cases/999999/tests").status == 404)

                // Version 2.0: test_cart now fails, test_pay now passes.
                var secondSubmission = fixture.submission(cases, name: "shop 2.0", retries: 0)
                secondSubmission.product = ItemReference(id: next.id)
                let second = try await controller.submit(secondSubmission)
                let secondEnded = try await controller.waitForTask(second.id, timeout: 180)
                #expect(secondEnded.tests == TestCounts(total: 8, passed: 4, failed: 1, error: 1, skipped: 2))
                let report = try await controller.admin.request(.GET, "/api/v1/tasks/\(second.id)/report").decode(TaskReport.self)
                #expect(report.comparison?.baselineTaskId == first.id)
                #expect(report.tests == secondEnded.tests)
                #expect(report.testPassRate == 4.0 / 6.0)
                #expect(report.failedTestsTotal == 2)
                #expect(
                    report.failedTests?.map { "\($0.case) \($0.qualifiedName) \($0.status)" } == [
                        "test_shop.py test_shop.test_cart failed", "test_shop.py test_shop.test_orders error",
                    ]
                )
                #expect(report.failedTests?.first?.message?.contains("cart total wrong in 2.0") == true)
                #expect(report.testsNewlyFailing?.map(\.qualifiedName) == ["test_shop.test_cart"])
                #expect(report.testsNewlyFailingTotal == 1)
                #expect(report.testsNewlyPassing?.map(\.qualifiedName) == ["test_shop.test_pay"])
                #expect(report.testsNewlyPassing?.first?.case == "test_shop.py")
                // test_cart and test_pay passed and failed across the two tasks.
                #expect(Set(report.flakyTests?.map(\.name) ?? []) == ["test_cart", "test_pay"])

                // The product's test result has the test counts beside the case pass rate.
                let result = try await controller.admin.request(.GET, "/api/v1/products/\(next.id)/test-result").decode(TestResult.self)
                #expect(result.passRate == 0.5 && result.tests == report.tests && result.testPassRate == 4.0 / 6.0)

                try await checkJUnit(controller, taskID: second.id)
                try await checkCLI(controller, taskID: second.id)
                let html = try await controller.admin.request(.GET, "/api/v1/tasks/\(second.id)/report.html").text
                #expect(html.contains("Failed tests (2)") && html.contains("Newly failing (1)") && html.contains("Newly passing (1)"))
                #expect(html.contains("<code>test_shop.test_cart</code>"))
                let shopCase = try #require(try await controller.cases(second.id).first { $0.name == "test_shop.py" })
                try await checkBrowser(controller, caseID: shopCase.id, taskID: second.id, productID: next.id)
            }
        }
    }

    /// The JUnit export: a suite per case with its real tests and their failures.
    private func checkJUnit(_ controller: TestController, taskID: Int64) async throws {
        let xml = try await controller.admin.request(.GET, "/api/v1/tasks/\(taskID)/report.xml").text
        let counter = ElementCounter()
        let parser = XMLParser(data: Data(xml.utf8))
        parser.delegate = counter
        #expect(parser.parse(), "the JUnit export is not well-formed")
        #expect(counter.suites == ["shop 2.0 / pytest-shop 1", "test_shop.py", "test_search.py"])
        #expect(counter.testcases == 8 && counter.failures == 1 && counter.errors == 1 && counter.skipped == 2)
        #expect(xml.contains(#"<testsuite name="test_shop.py" tests="5" failures="1" errors="1" skipped="1""#))
        #expect(xml.contains(#"<testcase name="test_cart" classname="test_shop""#))
        #expect(xml.contains("cart total wrong in 2.0"))
    }

    /// `testfleet task wait` names the failed tests.
    private func checkCLI(_ controller: TestController, taskID: Int64) async throws {
        let cli = try TestCLI.loggedIn(to: controller)
        let wait = try await cli.run(["task", "wait", String(taskID)])
        #expect(wait.status == 1, "\(wait)")
        #expect(wait.stdout.contains("8 tests: 4 passed, 1 failed, 1 error, 2 skipped, test pass rate 66.7%"), "\(wait)")
        #expect(wait.stdout.contains("failed tests:\n  test_shop.py › test_shop.test_cart: AssertionError: cart total wrong in 2.0"), "\(wait)")
        #expect(wait.stdout.contains("  test_shop.py › test_shop.test_orders (error): failed on setup"), "\(wait)")
    }

    /// The case page lists its tests, filters them by status and shows a test's output when asked; the task page
    /// names the failed tests and the changes against the previous version; the product's chart shows the test
    /// pass rate.
    private func checkBrowser(_ controller: TestController, caseID: Int64, taskID: Int64, productID: Int64) async throws {
        let browser = try await WebDriver.start()
        do {
            try await browser.logIn(at: controller.url + "/")
            try await browser.open(controller.url + "/cases/\(caseID)")
            try await browser.wait("the tests", until: "document.querySelectorAll('table.tests tbody tr').length === 5")
            let statuses = try await browser.script("return [...document.querySelectorAll('table.tests .badge')].map(b => b.textContent);")
            #expect(statuses as? [String] == ["passed", "failed", "passed", "error", "skipped"])
            try await browser.click("nav[aria-label='Filter tests by status'] a[href*='status=failed']")
            try await browser.wait(
                "the failed tests only",
                until: "location.search === '?status=failed' && document.querySelectorAll('table.tests tbody tr').length === 1"
            )
            try await browser.click("table.tests details.test-output summary")
            try await browser.wait(
                "the test's output",
                until: "document.querySelector('table.tests details.test-output pre').textContent.includes('cart total wrong in 2.0')"
            )
            try await browser.script("document.getElementById('tests').scrollIntoView();")
            // Into the README's screenshots with TESTFLEET_UPDATE_SCREENSHOTS=1, as the other browser test does.
            let screenshot = WebBrowserTests().screenshots.appendingPathComponent("case-tests.png")
            try await browser.screenshot(to: screenshot)
            let png = try Data(contentsOf: screenshot)
            #expect(png.starts(with: [0x89, 0x50, 0x4E, 0x47]) && png.count > 10_000)
            if !WebBrowserTests.updatesDocs { try FileManager.default.removeItem(at: screenshot.deletingLastPathComponent()) }
            try await browser.open(controller.url + "/tasks/\(taskID)")
            try await browser.wait("the failed tests", until: "document.getElementById('failed-tests')")
            let section = try await browser.script("return document.querySelector('.task-tests').textContent;") as? String ?? ""
            #expect(section.contains("test_shop.test_cart") && section.contains("test_shop.test_orders"), "\(section)")
            #expect(section.contains("Compared with version 1.0") && section.contains("Newly passing"), "\(section)")
            let facts = try await browser.script("return document.getElementById('task-live').textContent;") as? String ?? ""
            #expect(facts.contains("8 tests: 4 passed, 1 failed, 1 error, 2 skipped") && facts.contains("66.7 %"), "\(facts)")
            try await browser.open(controller.url + "/products/\(productID)")
            try await browser.click("a[href$='?chart=tests']")
            try await browser.wait(
                "the test pass rate chart",
                until: "document.getElementById('chart-title')?.textContent.startsWith('Test pass rate by version')"
            )
            let chart = try await browser.script("return document.getElementById('chart-title').textContent;") as? String ?? ""
            #expect(chart == "Test pass rate by version: 1.0 66.7 %, 2.0 66.7 %", "\(chart)")
        } catch {
            await browser.quit()
            throw error
        }
        await browser.quit()
    }

    @Test("hostile result files: the case keeps its exit code's status, the message says why, the agent goes on")
    func hostileFiles() async throws {
        try await withController { controller in
            let script = #"""
                out="$TESTFLEET_RESULT_FILE"
                case "$1" in
                  laughs)
                    { echo '<?xml version="1.0"?><!DOCTYPE testsuites [<!ENTITY lol "lol">'
                      i=1; prev=lol
                      while [ $i -le 9 ]; do echo "<!ENTITY lol$i \"&$prev;&$prev;&$prev;&$prev;&$prev;&$prev;&$prev;&$prev;&$prev;&$prev;\">"; prev=lol$i; i=$((i+1)); done
                      echo ']><testsuites><testsuite><testcase name="&lol9;"><failure>&lol9;</failure></testcase></testsuite></testsuites>'
                    } > "$out"; exit 0 ;;
                  external) echo '<!DOCTYPE t [<!ENTITY pw SYSTEM "file:///etc/passwd">]><testsuite><testcase name="&pw;"/></testsuite>' > "$out"; exit 3 ;;
                  invalid) echo '<testsuite><testcase name="a"><failure>' > "$out"; exit 0 ;;
                  huge) head -c 52428801 /dev/zero | tr '\0' ' ' > "$out"; printf '<testsuite/>' >> "$out"; exit 0 ;;
                  pipe) mkfifo "$out"; exit 0 ;;
                  fine) echo '<testsuite><testcase classname="c" name="ok"/></testsuite>' > "$out"; exit 0 ;;
                esac
                """#
            let fixture = try await Fixture.make(controller, script: script)
            try await withAgent(controller, name: "hostile", products: [fixture.inventory]) { agent in
                let names = ["laughs", "external", "invalid", "huge", "pipe", "fine"]
                let task = try await controller.submit(fixture.submission(names, retries: 0))
                let ended = try await controller.waitForTask(task.id, timeout: 120)
                #expect(ended.state == .completed)
                let cases = Dictionary(uniqueKeysWithValues: try await controller.cases(task.id).map { ($0.name, $0) })
                let dtd = "result file not read: it declares a document type (<!DOCTYPE …>), and Testfleet reads no DTD or entity"
                #expect(cases["laughs"]?.state == .passed && cases["laughs"]?.message == dtd)
                #expect(cases["external"]?.state == .failed && cases["external"]?.message == "exit code 3; " + dtd)
                #expect(cases["invalid"]?.state == .passed)
                #expect(cases["invalid"]?.message?.hasPrefix("result file not read: it is not well-formed XML") == true)
                #expect(cases["huge"]?.message == "result file not read: it holds 52428813 bytes, more than the 50 MiB read")
                #expect(cases["pipe"]?.message == "result file not read: it is not a regular file")
                #expect(cases["fine"]?.state == .passed && cases["fine"]?.tests?.total == 1)
                for name in names.dropLast() { #expect(cases[name]?.tests == nil, "\(name)") }
                #expect(try await controller.admin.request(.GET, "/api/v1/tasks/\(task.id)/report").decode(TaskReport.self).tests?.total == 1)
            }
        }
    }
}

/// Counts the elements of a JUnit XML document.
private final class ElementCounter: NSObject, XMLParserDelegate {
    var suites: [String] = []
    var testcases = 0
    var failures = 0
    var errors = 0
    var skipped = 0

    func parser(
        _ parser: XMLParser,
        didStartElement element: String,
        namespaceURI: String?,
        qualifiedName: String?,
        attributes: [String: String] = [:]
    ) {
        switch element {
        case "testsuite": suites.append(attributes["name"] ?? "")
        case "testcase": testcases += 1
        case "failure": failures += 1
        case "error": errors += 1
        case "skipped": skipped += 1
        default: break
        }
    }
}
