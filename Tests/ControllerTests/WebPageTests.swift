import ControllerClient
import Foundation
import Testing
import WireProtocol

@testable import testfleet_controller

/// The web pages over real HTTPS: sessions, CSRF, escaping, every page and form, live streams.
@Suite("Web pages")
struct WebPageTests {
    static let pages = [
        "/", "/tasks", "/tasks/new", "/tasks/1", "/tasks/1/report", "/cases/1", "/nodes", "/nodes/1", "/products",
        "/products/1", "/tools", "/tools/1", "/admin", "/events/dashboard", "/events/tasks/1", "/events/cases/1/log",
        "/events/nodes",
    ]

    @Test("without a session every page redirects to the login page, which comes back afterwards")
    func loginRequired() async throws {
        try await withController { controller in
            let web = try WebClient(controller)
            for page in Self.pages + ["/tasks?state=running&user=a%20b"] {
                let answer = try await web.get(page)
                #expect(answer.status == 303, "\(page)")
                #expect(answer.location == "/login?next=" + WebRedirect.queryEscape(page), "\(page)")
            }
            for form in ["/tasks", "/tasks/1/cancel", "/nodes/1/state", "/products", "/admin/users", "/logout"] {
                let answer = try await web.post(form, [("x", "y")], csrf: false)
                #expect(answer.status == 303 && answer.location?.hasPrefix("/login") == true, "\(form)")
            }
            // An API token is not a session: pages still want a login (this client follows the redirect).
            #expect(try await controller.admin.request(.GET, "/").text.contains(#"action="/login""#))
            let login = try await web.get("/login?next=%2Ftasks%3Fstate%3Drunning")
            #expect(login.status == 200)
            #expect(login.body.contains(#"name="next" value="/tasks?state=running""#))
            #expect(login.header("Content-Security-Policy")?.contains("script-src 'self'") == true)
        }
    }

    @Test("login: the form's own token, wrong passwords, the session cookie, safe next links and logout")
    func login() async throws {
        try await withController { controller in
            let web = try WebClient(controller)
            let form = try await web.get("/login")
            #expect(form.body.contains("<form method=\"post\" action=\"/login\">"))
            #expect(form.header("Set-Cookie")?.contains("HttpOnly") == true)
            let noToken = try await web.post("/login", [("username", "admin"), ("password", TestController.adminPassword)], csrf: false)
            #expect(noToken.status == 403)
            _ = try await web.get("/login")
            let wrong = try await web.post("/login", [("username", "admin"), ("password", "not-the-password")])
            #expect(wrong.status == 401)
            #expect(wrong.body.contains("Wrong username or password") && wrong.body.contains(#"value="admin""#))
            let success = try await web.post(
                "/login",
                [("username", "admin"), ("password", TestController.adminPassword), ("next", "//evil.example/")]
            )
            #expect(success.status == 303)
            #expect(success.location == "/")
            let cookie = try #require(success.headers.first { $0.0.lowercased() == "set-cookie" && $0.1.hasPrefix("testfleet_session=") }?.1)
            #expect(cookie.contains("Secure") && cookie.contains("HttpOnly") && cookie.contains("SameSite=Strict"))
            let dashboard = try await web.get("/")
            #expect(dashboard.status == 200 && dashboard.body.contains("Dashboard"))
            #expect(try await web.get("/login?next=/nodes").location == "/nodes")
            #expect(try await web.post("/logout", csrf: false).status == 403)
            let logout = try await web.post("/logout")
            #expect(logout.status == 303 && logout.location == "/login")
            #expect(try await web.get("/").status == 303)
        }
    }

    @Test("every page renders, with what was submitted escaped: a <script> case shows as text")
    func pagesAndEscaping() async throws {
        try await withWebFixture(productName: #"shop "deluxe" & <b>co</b>"#) { fixture in
            let web = fixture.web
            let task = try await fixture.submit([WebFixture.scriptCase, "plain-case"], name: "<img src=x onerror=alert(2)>")
            let lease = try await fixture.lease()
            try await fixture.log(lease, "line one <b>not bold</b>\n", at: 0)
            try await fixture.finish(lease, .failed, message: "<i>boom</i>")
            let second = try await fixture.lease()
            try await fixture.finish(second, .passed)
            _ = try await fixture.controller.waitForTask(task.id)

            let expectations: [(String, [String])] = [
                ("/", ["Dashboard", "Latest reports", "/tasks/\(task.id)/report", "&lt;img src=x onerror=alert(2)&gt;"]),
                ("/tasks", ["Tasks", "&lt;img src=x onerror=alert(2)&gt;", "completed"]),
                ("/tasks?state=completed&product_id=\(fixture.product.id)&user=admin", ["/tasks/\(task.id)"]),
                ("/tasks/new", ["New task", "shop &quot;deluxe&quot; &amp; &lt;b&gt;co&lt;/b&gt; 1.0", "Choose a product first"]),
                ("/tasks/\(task.id)", ["&lt;script&gt;alert(1)&lt;/script&gt;", "plain-case", "2 of 2 finished", "Report", "lab-1"]),
                ("/tasks/\(task.id)?state=failed", ["&lt;script&gt;alert(1)&lt;/script&gt;", "&lt;i&gt;boom&lt;/i&gt;"]),
                ("/tasks/\(task.id)/report", ["pass rate", "/api/v1/tasks/\(task.id)/report.xml", "&lt;script&gt;alert(1)&lt;/script&gt;"]),
                ("/cases/\(lease.caseId)", ["&lt;script&gt;alert(1)&lt;/script&gt;", "line one &lt;b&gt;not bold&lt;/b&gt;", "Runs", "lab-1"]),
                ("/nodes", ["lab-1", "online", "Drain", "Disable", "href=\"/nodes/\(fixture.nodeID)\"", "lab-1 · linux x86_64", "0 / 2"]),
                ("/nodes/\(fixture.nodeID)", ["<h1>lab-1</h1>", "10.0.0.7", "linux x86_64", "0 of 2 busy", "/opt/shop", "/opt/runner", "runner 2"]),
                ("/products", ["shop &quot;deluxe&quot; &amp; &lt;b&gt;co&lt;/b&gt;</a>", "<td>1.0</td>", "installed by hand", "Add a product"]),
                (
                    "/products/\(fixture.product.id)",
                    [
                        "<h1>shop &quot;deluxe&quot; &amp; &lt;b&gt;co&lt;/b&gt; 1.0</h1>", "installed by hand", "value=\"1.0\"",
                        "Pass rate across versions", "<svg", "50.0 %", "Save links", "checked",
                    ]
                ),
                ("/tools", ["runner</a>", "<td>2</td>", "run {case}", "Add a tool"]),
                ("/tools/\(fixture.tool.id)", ["<h1>runner 2</h1>", "installed by hand", "value=\"runner\"", "Run command", "Delete tool"]),
                ("/admin", ["Enrollment tokens", "Your API tokens", "Users", "admin"]),
            ]
            for (path, needles) in expectations {
                let page = try await web.get(path)
                #expect(page.status == 200, "\(path): \(page.status) \(page.body.prefix(300))")
                #expect(page.contentType.hasPrefix("text/html"), "\(path)")
                for needle in needles { #expect(page.body.contains(needle), "\(path) lacks \(needle)") }
                #expect(!page.body.contains("<script>alert(1)"), "\(path) has the case name unescaped")
                #expect(!page.body.contains("<img src=x"), "\(path) has the task name unescaped")
                #expect(!page.body.contains("<b>co</b>") && !page.body.contains("<i>boom"), "\(path) has unescaped text")
            }
            // When the task was submitted: readable text in a <time> element that carries it to the millisecond.
            let stored = try await fixture.controller.admin.request(.GET, "/api/v1/tasks/\(task.id)").decode(TaskInfo.self)
            let timeElement = try Regex(#"<time datetime="([^"]*)">([^<]*)</time>"#)
            for path in ["/tasks", "/tasks/\(task.id)"] {
                let times = try await web.get(path).body.matches(of: timeElement).map { match in
                    (match.output[1].substring.flatMap { WireJSON.parseTimestamp(String($0)) }, match.output[2].substring ?? "")
                }
                let submitted = times.first { date, _ in date.map { abs($0.timeIntervalSince(stored.createdAt)) < 0.002 } ?? false }
                #expect(submitted?.1.hasSuffix(" UTC") == true, "\(path) shows the submission as \(times)")
            }
            // A page's failure is shown to the signed-in user as such.
            let noCase = try await web.get("/cases/999999")
            #expect(noCase.status == 404 && noCase.body.contains("Back to the dashboard") && noCase.body.contains("Log out"))
            // A mistyped page's address is answered with a page; the API's with JSON.
            let missing = try await web.get("/taskz")
            #expect(missing.status == 404 && missing.contentType.hasPrefix("text/html") && missing.body.contains("no such page: /taskz"))
            let missingAPI = try await fixture.controller.admin.request(.GET, "/api/v1/taskz")
            #expect(missingAPI.status == 404 && missingAPI.errorMessage == "no such endpoint: GET /api/v1/taskz")
            // The report page offers each download once: its own line, not again inside the report.
            let report = try await web.get("/tasks/\(task.id)/report")
            #expect(report.body.components(separatedBy: "/api/v1/tasks/\(task.id)/report.xml").count == 2)
            let standalone = String(
                decoding: try await fixture.controller.admin.request(.GET, "/api/v1/tasks/\(task.id)/report.html").body,
                as: UTF8.self
            )
            #expect(standalone.components(separatedBy: "/api/v1/tasks/\(task.id)/report.xml").count == 2)
            let css = try await web.get("/static/app.css")
            #expect(css.status == 200 && css.contentType.hasPrefix("text/css") && css.body.contains("prefers-color-scheme: dark"))
            let script = try await web.get("/static/app.js")
            #expect(script.status == 200 && script.contentType.hasPrefix("text/javascript") && script.body.contains("EventSource"))
        }
    }

    @Test("every form refuses a POST without the session's CSRF token")
    func csrf() async throws {
        try await withWebFixture { fixture in
            let web = fixture.web
            let task = try await fixture.submit(["a"])
            let forms = [
                "/logout", "/tasks", "/tasks/\(task.id)/cancel", "/nodes/\(fixture.nodeID)/state", "/products",
                "/products/\(fixture.product.id)", "/products/\(fixture.product.id)/delete", "/products/\(fixture.product.id)/tools",
                "/products/\(fixture.product.id)/artifact", "/tools", "/tools/\(fixture.tool.id)", "/tools/\(fixture.tool.id)/delete",
                "/tools/\(fixture.tool.id)/artifact", "/admin/users", "/admin/tokens", "/admin/tokens/1/revoke",
                "/admin/enrollment-tokens", "/admin/enrollment-tokens/1/revoke",
            ]
            for form in forms {
                let missing = try await web.post(form, [("state", "disabled"), ("name", "x"), ("version", "1")], csrf: false)
                #expect(missing.status == 403, "\(form) without a token: \(missing.status)")
                #expect(missing.body.contains("CSRF"), "\(form)")
                let wrong = try await web.post(form, [("state", "disabled"), ("csrf_token", "forged")], csrf: false)
                #expect(wrong.status == 403, "\(form) with a wrong token: \(wrong.status)")
            }
            #expect(try await fixture.controller.task(task.id).state == .queued)
            #expect(try await fixture.controller.services.nodes.get(id: fixture.nodeID).state == .online)
            #expect(try await web.get("/").status == 200)
        }
    }
}
