import ControllerClient
import Foundation
import Testing
import WireProtocol

@testable import testfleet_controller

@Suite("Operations endpoints and the OpenAPI document")
struct OperationsTests {
    @Test("healthz, readyz and Prometheus metrics with request and pool figures")
    func endpoints() async throws {
        let controller = try await TestController.start()
        defer { Task { await controller.stop() } }
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

    @Test("the OpenAPI document lists exactly the router's routes")
    func openAPIMatchesRouter() async throws {
        let controller = try await TestController.start()
        defer { Task { await controller.stop() } }
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

    @Test("bad input never yields a 500")
    func badInput() async throws {
        let controller = try await TestController.start()
        defer { Task { await controller.stop() } }
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
