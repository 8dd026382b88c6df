import ControllerClient
import Foundation
import Testing
import WireProtocol

@testable import testfleet_controller

/// The web forms change what the API changes, answer bad input with a 4xx page, and keep admin work for
/// admins.
@Suite("Web forms")
struct WebFormTests {
    @Test("the submit form: product, then its tools; cases pasted and uploaded; errors shown in the form")
    func submitTask() async throws {
        try await withWebFixture { fixture in
            let web = fixture.web
            let other = try await fixture.controller.admin.request(
                .POST,
                "/api/v1/tools",
                json: ToolInput(name: "unlinked", version: "1", runCommand: "x {case}")
            ).decode(Tool.self)
            // Without the script, the form reloads for the chosen product and lists only its tools.
            let chosen = try await web.get("/tasks/new?product_id=\(fixture.product.id)&cases=kept")
            #expect(chosen.body.contains(#"<option value="\#(fixture.tool.id)" selected>runner 2</option>"#))
            #expect(!chosen.body.contains("unlinked"))
            #expect(chosen.body.contains(">kept</textarea>"))
            let roundTrip = try await web.postMultipart(
                "/tasks",
                [("product_id", String(fixture.product.id)), ("step", "tools"), ("name", "typed")],
                files: [("cases_file", "list.txt", "from-a-file\n")]
            )
            #expect(roundTrip.status == 200)
            #expect(roundTrip.body.contains(#"<option value="\#(fixture.tool.id)" selected>runner 2</option>"#))
            #expect(roundTrip.body.contains(#"value="typed""#) && roundTrip.body.contains(">from-a-file\n</textarea>"))
            #expect(try await fixture.controller.admin.request(.GET, "/api/v1/tasks").decode(Page<TaskInfo>.self).items.isEmpty)

            let fields = [
                ("product_id", String(fixture.product.id)), ("tool_id", String(fixture.tool.id)), ("name", "from the form"),
                ("cases", "alpha\n\n# a comment\nbeta\n"), ("priority", "5"), ("case_timeout_s", "90"),
            ]
            let created = try await web.postMultipart("/tasks", fields, files: [("cases_file", "more.txt", "gamma\n# skip\ndelta\n")])
            #expect(created.status == 303)
            let location = try #require(created.location)
            let id = try #require(Int64(location.replacingOccurrences(of: "/tasks/", with: "")))
            let task = try await fixture.controller.task(id)
            #expect(task.name == "from the form" && task.priority == 5 && task.caseTimeoutS == 90 && task.submittedBy == "admin")
            #expect(try await fixture.controller.cases(id).map(\.name) == ["alpha", "beta", "gamma", "delta"])
            let page = try await web.get(location)
            #expect(page.body.contains("from the form") && page.body.contains("data-events=\"/events/tasks/\(id)\""))

            let unlinked = try await web.postMultipart(
                "/tasks",
                [("product_id", String(fixture.product.id)), ("tool_id", String(other.id)), ("cases", "a")]
            )
            #expect(unlinked.status == 422)
            #expect(unlinked.body.contains("is not linked to product") && unlinked.body.contains(">a</textarea>"))
            let empty = try await web.postMultipart(
                "/tasks",
                [("product_id", String(fixture.product.id)), ("tool_id", String(fixture.tool.id)), ("cases", "# only a comment")]
            )
            #expect(empty.status == 422 && empty.body.contains("the list of cases is empty"))
            let noTool = try await web.postMultipart("/tasks", [("product_id", String(fixture.product.id)), ("cases", "a")])
            #expect(noTool.status == 422 && noTool.body.contains("choose one of the product"))
            let badNumber = try await web.post("/tasks", [("product_id", "x"), ("tool_id", "1"), ("cases", "a")])
            #expect(badNumber.status == 422)

            let cancel = try await web.post("/tasks/\(id)/cancel")
            #expect(cancel.status == 303 && cancel.location == "/tasks/\(id)")
            #expect(try await fixture.controller.task(id).state == .cancelled)
        }
    }

    @Test("products and tools: create, edit, link, upload an artifact, delete; the chart spans versions")
    func catalog() async throws {
        try await withWebFixture { fixture in
            let web = fixture.web
            _ = try await web.get("/products")
            let created = try await web.post("/products", [("name", "shop"), ("version", "1.10"), ("download_url", "")])
            #expect(created.status == 303)
            let productPath = try #require(created.location)
            let productID = try #require(Int64(productPath.replacingOccurrences(of: "/products/", with: "")))
            let duplicate = try await web.post("/products", [("name", "shop"), ("version", "1.10")])
            #expect(duplicate.status == 409 && duplicate.body.contains("already exists") && duplicate.body.contains(#"value="1.10""#))
            let badURL = try await web.post("/products", [("name", "x"), ("version", "1"), ("download_url", "ftp://nope")])
            #expect(badURL.status == 422 && badURL.body.contains("download_url"))

            let badSHA = try await web.post(
                "/products",
                [("name", "x"), ("version", "1"), ("download_url", "https://example.com/x.tgz"), ("download_sha256", "12ab")]
            )
            #expect(badSHA.status == 422 && badSHA.body.contains("download_sha256") && badSHA.body.contains(#"value="12ab""#))

            _ = try await web.get(productPath)
            let digest = String(repeating: "AB", count: 32)
            let edited = try await web.post(
                productPath,
                [
                    ("name", "shop"), ("version", "1.10"), ("install_script", "echo hi"), ("download_url", "https://example.com/shop.tgz"),
                    ("download_sha256", digest),
                ]
            )
            #expect(edited.status == 303)
            let product = try await fixture.controller.services.catalog.item(Product.self, id: productID)
            #expect(product.installScript == "echo hi" && product.downloadSha256 == digest.lowercased())
            #expect(try await web.get(productPath).body.contains("SHA-256 <code>\(digest.lowercased())</code>"))

            _ = try await web.get("/tools")
            let tool = try await web.post(
                "/tools",
                [("name", "pytest"), ("version", "8"), ("run_command", "pytest {case}"), ("default_timeout_s", "120")]
            )
            #expect(tool.status == 303)
            let toolPath = try #require(tool.location)
            let toolID = try #require(Int64(toolPath.replacingOccurrences(of: "/tools/", with: "")))
            #expect(try await fixture.controller.services.catalog.item(Tool.self, id: toolID).defaultTimeoutS == 120)
            #expect(
                try await web.post("/tools", [("name", "t"), ("version", "1"), ("run_command", "x"), ("default_timeout_s", "soon")]).status == 422
            )
            _ = try await web.get(toolPath)
            #expect(try await web.post(toolPath, [("name", "pytest"), ("version", "8"), ("run_command", "pytest -x {case}")]).status == 303)
            #expect(try await fixture.controller.services.catalog.item(Tool.self, id: toolID).runCommand == "pytest -x {case}")

            _ = try await web.get(productPath)
            let linked = try await web.post("\(productPath)/tools", [("tool_id", String(toolID)), ("tool_id", String(fixture.tool.id))])
            #expect(linked.status == 303)
            #expect(Set(try await fixture.controller.services.catalog.linkedTools(productID: productID).map(\.id)) == [toolID, fixture.tool.id])
            #expect(try await web.post("\(productPath)/tools", [("tool_id", "nine")]).status == 422)

            let token = try #require(web.csrfToken)
            let upload = try await web.postMultipart(
                "\(productPath)/artifact?csrf_token=\(token)",
                [],
                files: [("file", "shop.tar", "archive bytes")],
                csrf: false
            )
            #expect(upload.status == 303)
            let artifact = try #require(try await fixture.controller.services.catalog.item(Product.self, id: productID).artifact)
            #expect(artifact.filename == "shop.tar" && artifact.size == 13)
            #expect(try await web.get(productPath).body.contains("shop.tar"))
            let toolUpload = try await web.postMultipart(
                "\(toolPath)/artifact?csrf_token=\(token)",
                [],
                files: [("file", "t.zip", "zz")],
                csrf: false
            )
            #expect(toolUpload.status == 303)

            let catalog = fixture.controller.services.catalog
            _ = try await catalog.setTestResult(productID: fixture.product.id, TestResultInput(passRate: 0.5), source: "test", by: .console)
            _ = try await catalog.setTestResult(productID: productID, TestResultInput(passRate: 0.75), source: "test", by: .console)
            let chart = try await web.get(productPath).body
            // Versions in version order: 1.0 before 1.10.
            let first = try #require(chart.range(of: "<title>1.0: 50.0 %</title>"))
            let second = try #require(chart.range(of: "<title>1.10: 75.0 %</title>"))
            #expect(first.lowerBound < second.lowerBound)

            let deleted = try await web.post("\(productPath)/delete")
            #expect(deleted.status == 303 && deleted.location == "/products")
            #expect(try await web.get(productPath).status == 404)
            #expect(try await web.post("\(toolPath)/delete").status == 303)
            #expect(try await web.get(toolPath).status == 404)
            // A tool that tasks used cannot go.
            _ = try await fixture.submit(["a"])
            let used = try await web.post("/tools/\(fixture.tool.id)/delete")
            #expect(used.status == 409 && used.body.contains("tasks"))
        }
    }

    @Test("admin: users, API tokens shown once and revoked, enrollment tokens with the enroll command")
    func admin() async throws {
        try await withWebFixture { fixture in
            let web = fixture.web
            _ = try await web.get("/admin")
            let user = try await web.post("/admin/users", [("username", "mia"), ("password", "member-password"), ("role", "member")])
            #expect(user.status == 200 && user.body.contains("Created member mia"))
            let weak = try await web.post("/admin/users", [("username", "bo"), ("password", "short"), ("role", "member")])
            #expect(weak.status == 422 && weak.body.contains("at least 8 characters") && weak.body.contains(#"value="bo""#))

            let token = try await web.post("/admin/tokens", [("name", "ci")])
            #expect(token.status == 201)
            let secret = try #require(token.body.firstMatch(of: /<pre id="api-token">(tfu_[^<]+)<\/pre>/)?.1)
            let client = try fixture.controller.client(bearer: String(secret))
            #expect(try await client.request(.GET, "/api/v1/products").status == 200)
            let listed = try await web.get("/admin")
            #expect(listed.body.contains("ci") && !listed.body.contains(String(secret)))
            let tokenID = try #require(listed.body.firstMatch(of: /<tr><td>ci<\/td>[\s\S]*?action="\/admin\/tokens\/(\d+)\/revoke"/)?.1)
            #expect(try await web.post("/admin/tokens/\(tokenID)/revoke").status == 303)
            #expect(try await client.request(.GET, "/api/v1/products").status == 401)

            _ = try await web.get("/admin")
            let enrollment = try await web.post("/admin/enrollment-tokens", [("note", "rack <3>"), ("ttl_hours", "2"), ("max_uses", "3")])
            #expect(enrollment.status == 201)
            let command = try #require(enrollment.body.firstMatch(of: /<pre id="enroll-command">([^<]+)<\/pre>/)?.1)
            #expect(command.hasPrefix("testfleet-agent enroll --controller "))
            #expect(command.contains("--token tfe_") && command.contains("--ca-sha256 \(fixture.controller.fingerprint)"))
            #expect(enrollment.body.contains("rack &lt;3&gt;") && enrollment.body.contains("0 of 3"))
            #expect(try await web.post("/admin/enrollment-tokens", [("ttl_hours", "0")]).status == 422)
            let enrollmentID = try #require(enrollment.body.firstMatch(of: /action="\/admin\/enrollment-tokens\/(\d+)\/revoke"/)?.1)
            #expect(try await web.post("/admin/enrollment-tokens/\(enrollmentID)/revoke").status == 303)
            #expect(try await web.get("/admin").body.contains("revoked"))

            // A member manages only their own API tokens.
            let member = try WebClient(fixture.controller)
            try await member.logIn("mia", "member-password")
            let page = try await member.get("/admin")
            #expect(page.status == 200 && page.body.contains("Your API tokens"))
            #expect(!page.body.contains("Enrollment tokens") && !page.body.contains("Create user"))
            #expect(try await member.post("/admin/users", [("username", "eve"), ("password", "password-eve")]).status == 403)
            #expect(try await member.post("/admin/enrollment-tokens", []).status == 403)
            #expect(try await member.post("/products", [("name", "p"), ("version", "1")]).status == 403)
            #expect(try await member.post("/nodes/\(fixture.nodeID)/state", [("state", "disabled")]).status == 403)
            #expect(!(try await member.get("/nodes").body.contains("Disable")))
            #expect(try await member.post("/admin/tokens", [("name", "mine")]).status == 201)
        }
    }

    @Test("node buttons drain, disable and enable a node")
    func nodeStates() async throws {
        try await withWebFixture { fixture in
            let web = fixture.web
            let nodes = fixture.controller.services.nodes
            _ = try await web.get("/nodes")
            for (state, expected) in [("draining", NodeState.draining), ("disabled", .disabled), ("online", .online)] {
                let answer = try await web.post("/nodes/\(fixture.nodeID)/state", [("state", state), ("back", "/nodes")])
                #expect(answer.status == 303 && answer.location == "/nodes")
                #expect(try await nodes.get(id: fixture.nodeID).state == expected)
            }
            #expect(try await web.post("/nodes/\(fixture.nodeID)/state", [("state", "offline")]).status == 422)
            #expect(try await web.post("/nodes/\(fixture.nodeID)/state", [("state", "asleep")]).status == 422)
            #expect(try await web.post("/nodes/999/state", [("state", "online")]).status == 404)
            let away = try await web.post("/nodes/\(fixture.nodeID)/state", [("state", "online"), ("back", "https://evil.example/")])
            #expect(away.location == "/")
            let page = try await web.get("/nodes?state=online")
            #expect(page.body.contains("lab-1") && page.body.contains(#"aria-current="true">online"#))
            #expect(try await web.get("/nodes?state=draining").body.contains("No node is in this state"))
        }
    }

    @Test("revoke: a page asks first; the form needs the CSRF token and an admin; a revoked node offers it no more")
    func revokeNode() async throws {
        try await withWebFixture { fixture in
            let web = fixture.web
            let id = fixture.nodeID
            let page = try await web.get("/nodes/\(id)")
            #expect(page.body.contains("href=\"/nodes/\(id)/revoke\">Revoke…</a>"))
            let confirm = try await web.get("/nodes/\(id)/revoke")
            #expect(confirm.status == 200 && confirm.body.contains("Revoke lab-1?") && confirm.body.contains("cannot be undone"))
            #expect(confirm.body.contains("action=\"/nodes/\(id)/revoke\"") && confirm.body.contains("name=\"csrf_token\""))
            #expect(try await fixture.controller.services.nodes.get(id: id).revoked == false, "looking at the page revokes nothing")

            let forged = try await web.post("/nodes/\(id)/revoke", [("csrf_token", "forged")], csrf: false)
            #expect(forged.status == 403 && forged.body.contains("CSRF"))
            _ = try await fixture.controller.admin.request(
                .POST,
                "/api/v1/users",
                json: UserInput(username: "mia", password: "member-password", role: .member)
            )
            let member = try WebClient(fixture.controller)
            try await member.logIn("mia", "member-password")
            #expect(try await member.get("/nodes/\(id)/revoke").status == 403)
            _ = try await member.get("/nodes/\(id)")
            #expect(try await member.post("/nodes/\(id)/revoke").status == 403)
            #expect(!(try await member.get("/nodes/\(id)").body.contains("Revoke")))
            #expect(try await fixture.controller.services.nodes.get(id: id).revoked == false)

            let done = try await web.post("/nodes/\(id)/revoke")
            #expect(done.status == 303 && done.location == "/nodes/\(id)")
            let node = try await fixture.controller.services.nodes.get(id: id)
            #expect(node.revoked && node.state == .disabled)
            let after = try await web.get("/nodes/\(id)")
            #expect(after.body.contains("revoked") && !after.body.contains("Revoke…"))
            _ = try await web.get("/nodes")
            #expect(try await web.post("/nodes/999/revoke").status == 404)
            #expect(try await web.get("/nodes/999/revoke").status == 404)
        }
    }

    @Test("bad input is a 4xx page, never a 500")
    func badInput() async throws {
        try await withWebFixture { fixture in
            let web = fixture.web
            let task = try await fixture.submit(["a"])
            let probes: [(String, Int)] = [
                ("/tasks/999", 404), ("/tasks/abc", 404), ("/tasks/-1", 404), ("/tasks?state=bogus", 422), ("/tasks?product_id=x", 422),
                ("/tasks?cursor=x", 422), ("/tasks?limit=0", 422), ("/tasks/\(task.id)?state=nope", 422), ("/tasks/\(task.id)?cursor=x", 422),
                ("/tasks/\(task.id)/report", 404), ("/cases/999", 404), ("/cases/1?attempt=x", 422), ("/cases/1?attempt=7", 404),
                ("/nodes?state=x", 422), ("/nodes/999", 404), ("/products/999", 404), ("/tools/999", 404), ("/static/missing.css", 404),
                ("/events/tasks/999", 404), ("/events/cases/999/log", 404), ("/events/cases/1/log?offset=-1", 422), ("/events/nodes?state=x", 422),
            ]
            for (path, status) in probes {
                let answer = try await web.get(path)
                #expect(answer.status == status, "\(path): \(answer.status)")
            }
            let plain = try await web.get("/tasks/999")
            #expect(plain.contentType.hasPrefix("text/html") && plain.body.contains("no task 999"))
            let token = try #require(web.csrfToken)
            let posts: [(String, Int)] = [
                ("/tasks/999/cancel", 404), ("/products/999", 404), ("/products/999/delete", 404), ("/tools/999/delete", 404),
            ]
            for (path, status) in posts {
                #expect(try await web.post(path, [("csrf_token", token), ("name", "n"), ("version", "1")], csrf: false).status == status, "\(path)")
            }
            let json = try await web.postMultipart("/products/999/artifact?csrf_token=\(token)", [], files: [("file", "a", "b")], csrf: false)
            #expect(json.status == 404)
        }
    }
}
