import ControllerClient
import Foundation
import Testing
import WireProtocol

@testable import testfleet_controller

@Suite("Operations endpoints and the OpenAPI document")
struct OperationsTests {
    @Test("healthz, readyz and Prometheus metrics with request and pool figures")
    func endpoints() async throws {
        try await withController { controller in
            let anonymous = try controller.client(bearer: nil)
            #expect(try await anonymous.request(.GET, "/healthz").status == 200)
            #expect(try await anonymous.request(.GET, "/readyz").text == "ready\n")
            _ = try await controller.admin.request(.GET, "/api/v1/products")
            _ = try await controller.admin.request(.GET, "/api/v1/products/77")
            let metrics = try await anonymous.request(.GET, "/metrics").text
            #expect(metrics.contains(#"testfleet_http_requests_total{route="/api/v1/products",method="GET",status="200"}"#))
            #expect(metrics.contains(#"testfleet_http_requests_total{route="/api/v1/products/{id}",method="GET",status="404"}"#))
            #expect(metrics.contains("testfleet_http_request_duration_seconds_bucket"))
            #expect(metrics.contains("testfleet_db_pool_max_connections 8"))
            #expect(metrics.contains("testfleet_db_query_duration_seconds_count"))
        }
    }

    @Test("the OpenAPI document lists exactly the router's routes")
    func openAPIMatchesRouter() async throws {
        try await withController { controller in
            let answer = try await controller.admin.request(.GET, "/api/v1/openapi.json")
            #expect(answer.status == 200)
            let document = try #require(try JSONSerialization.jsonObject(with: answer.body) as? [String: Any])
            #expect(document["openapi"] as? String == "3.1.0")
            let paths = try #require(document["paths"] as? [String: [String: Any]])
            var documented: Set<String> = []
            for (path, methods) in paths {
                for method in methods.keys { documented.insert("\(method.uppercased()) \(path)") }
            }
            let routed = Set(controller.routes)
            #expect(documented.subtracting(routed).isEmpty, "documented but not routed: \(documented.subtracting(routed).sorted())")
            #expect(routed.subtracting(documented).isEmpty, "routed but not documented: \(routed.subtracting(documented).sorted())")
            let schemas = try #require((document["components"] as? [String: Any])?["schemas"] as? [String: Any])
            for (_, methods) in paths {
                for (_, operation) in methods {
                    let text = String(decoding: try JSONSerialization.data(withJSONObject: operation), as: UTF8.self)
                    for reference in text.matches(of: /#\/components\/schemas\/(\w+)/) {
                        #expect(schemas[String(reference.1)] != nil, "missing schema \(reference.1)")
                    }
                }
            }
        }
    }

    @Test("bad input never yields a 500")
    func badInput() async throws {
        try await withController { controller in
            let api = controller.admin
            let probes: [(HTTPMethodName, String, String?)] = [
                (.POST, "/api/v1/products", "[]"), (.POST, "/api/v1/products", "null"), (.POST, "/api/v1/products", "\u{0}"),
                (.POST, "/api/v1/products", #"{"name": "\#(String(repeating: "x", count: 300))", "version": "1"}"#),
                (.POST, "/api/v1/tools", #"{"name": "t", "version": "1", "run_command": "x", "default_timeout_s": 99999999999999}"#),
                (.POST, "/api/v1/tasks", #"{"product": {}, "tool": {}, "cases": []}"#),
                (.POST, "/api/v1/tasks", #"{"product": {"id": -1}, "tool": {"id": 9}, "cases": ["a"]}"#),
                (.PUT, "/api/v1/products/1/test-result", #"{"pass_rate": "high"}"#),
                (.PATCH, "/api/v1/nodes/1", #"{"slots": -5}"#), (.GET, "/api/v1/tasks?state=nope", nil),
                (.GET, "/api/v1/tasks/99999999999999999999", nil), (.GET, "/api/v1/cases/1/log?offset=-1", nil),
                (.POST, "/api/v1/enrollment-tokens", #"{"ttl_s": 1}"#), (.POST, "/api/v1/agent/lease", "{}"),
                (.POST, "/api/v1/agent/leases/not-a-uuid/result", "{}"),
            ]
            for (method, path, body) in probes {
                let answer = try await api.request(method, path, raw: body)
                #expect((400..<500).contains(answer.status), "\(method) \(path) → \(answer.status) \(answer.text)")
                #expect(answer.errorMessage != nil, "\(method) \(path): no error message")
            }
        }
    }
}

@Suite("Task submission formats and controller commands")
struct SubmissionFormatTests {
    @Test("cases as text/plain with the rest in the query string, and as an uploaded file in a form")
    func textAndForm() async throws {
        try await withController { controller in
            let fixture = try await Fixture.make(controller, product: "fmt", version: "2.0", script: "true")
            let query = "product=fmt@2.0&tool=\(fixture.tool.name)@1&name=from-text&priority=3"
            let text = try await controller.admin.request(
                .POST,
                "/api/v1/tasks?\(query)",
                raw: "# smoke list\ncase-a\n\n  case-b  \n# done\n",
                contentType: "text/plain"
            )
            #expect(text.status == 201)
            let task = try text.decode(TaskInfo.self)
            #expect(task.name == "from-text" && task.priority == 3 && task.counts.total == 2)
            #expect(try await controller.cases(task.id).map(\.name) == ["case-a", "case-b"])

            let boundary = "tfboundary"
            var form = ""
            for (name, value) in [("product_id", "\(fixture.product.id)"), ("tool_id", "\(fixture.tool.id)"), ("name", "from-form")] {
                form += "--\(boundary)\r\nContent-Disposition: form-data; name=\"\(name)\"\r\n\r\n\(value)\r\n"
            }
            form +=
                "--\(boundary)\r\nContent-Disposition: form-data; name=\"cases\"; filename=\"cases.txt\"\r\n\r\nx1\nx2\nx3\n\r\n--\(boundary)--\r\n"
            let upload = try await controller.admin.request(
                .POST,
                "/api/v1/tasks",
                raw: form,
                contentType: "multipart/form-data; boundary=\(boundary)"
            )
            #expect(upload.status == 201)
            #expect(try upload.decode(TaskInfo.self).counts.total == 3)

            let empty = try await controller.admin.request(.POST, "/api/v1/tasks?\(query)", raw: "# nothing\n", contentType: "text/plain")
            #expect(empty.status == 422 && empty.errorMessage == "cases: the list of cases is empty")
            let unknown = try await controller.admin.request(
                .POST,
                "/api/v1/tasks",
                json: TaskSubmission(product: .init(name: "nope", version: "1"), tool: .init(id: fixture.tool.id), cases: ["a"])
            )
            #expect(unknown.status == 422 && unknown.errorMessage == "product: no product nope 1")
            let other = try await controller.admin.request(.POST, "/api/v1/tools", json: ToolInput(name: "loose", version: "1", runCommand: "x"))
                .decode(Tool.self)
            let unlinked = try await controller.admin.request(
                .POST,
                "/api/v1/tasks",
                json: TaskSubmission(product: .init(id: fixture.product.id), tool: .init(id: other.id), cases: ["a"])
            )
            #expect(unlinked.status == 422 && unlinked.errorMessage == "tool loose 1 is not linked to product fmt 2.0")
            let stored = try await controller.services.database.query(
                "SELECT count(*)::int FROM tasks WHERE tool_id = \(other.id)"
            ).collect(Int.self)
            #expect(stored == [0], "a refused submission stores nothing")
            let duplicate = try await controller.admin.request(
                .POST,
                "/api/v1/tasks",
                json: fixture.submission(["same", "same"])
            )
            #expect(duplicate.status == 422)
        }
    }

    @Test("a task of 100,000 cases is accepted in one request")
    func large() async throws {
        try await withController { controller in
            let fixture = try await Fixture.make(controller, script: "true")
            let names = (0..<100_000).map { "suite/test_\($0)" }
            let started = ContinuousClock.now
            let task = try await controller.submit(fixture.submission(names))
            let elapsed = ContinuousClock.now - started
            #expect(task.counts.total == 100_000 && task.counts.queued == 100_000)
            let page = try await controller.admin.request(.GET, "/api/v1/tasks/\(task.id)/cases?limit=2&state=queued").decode(Page<CaseInfo>.self)
            #expect(page.items.map(\.name) == ["suite/test_0", "suite/test_1"] && page.nextCursor == "2")
            print("100,000 cases accepted in \(elapsed)")
        }
    }

    @Test("testfleet-controller token create prints a working token; migrate names what it applied, then reports the schema up to date")
    func commands() async throws {
        try await withController { controller in
            let binary = TestAgent.binary.deletingLastPathComponent().appendingPathComponent("testfleet-controller").path
            let created = try await ProcessRunner.run(binary, ["token", "create", "--user", "admin", "--database-url", controller.databaseURL])
            #expect(created.status == 0, "\(created.output)")
            let token = try #require(created.output.split(separator: "\n").last.map(String.init))
            #expect(token.hasPrefix("tfu_"))
            let client = try controller.client(bearer: token)
            #expect(try await client.request(.GET, "/api/v1/auth/me").decode(User.self).username == "admin")
            let migrate = try await ProcessRunner.run(binary, ["migrate", "--database-url", controller.databaseURL])
            #expect(migrate.status == 0 && migrate.output.contains("schema is up to date"))
            let empty = try await TestDatabase.empty()
            let versions = Migration.all.map { String($0.version) }.joined(separator: ", ")
            let first = try await ProcessRunner.run(binary, ["migrate", "--database-url", empty])
            #expect(first.status == 0 && first.output.contains("applied migrations \(versions)"), "\(first.output)")
            let second = try await ProcessRunner.run(binary, ["migrate", "--database-url", empty])
            #expect(second.status == 0 && second.output.contains("schema is up to date"), "\(second.output)")
            let unknownUser = try await ProcessRunner.run(binary, ["token", "create", "--user", "ghost", "--database-url", controller.databaseURL])
            #expect(unknownUser.status != 0 && unknownUser.output.contains("no user named ghost"))
        }
    }
}
