import ControllerClient
import Foundation
import Testing
import WireProtocol

@testable import testfleet_controller

/// Every string field of every request in the OpenAPI document, and every string query parameter, with NUL and
/// other control characters in it: 422 naming the field, never a 500; multi-line text keeps its tabs and line
/// ends.
@Suite("Control characters in every text field", .serialized)
struct TextInputFuzzTests {
    /// What is sent: C0 controls (NUL first), DEL and C1 controls, each between ordinary characters.
    static let refused = ["\u{0}", "\u{1}", "\u{8}", "\u{1B}", "\u{7F}", "\u{85}", "\u{9B}"]

    /// A step from a JSON document to one of its values.
    enum Step {
        case key(String)
        case element
    }

    /// The paths to every string in a schema (through `$ref`s, object properties and array items).
    static func stringPaths(_ schema: [String: Any], _ schemas: [String: Any], _ prefix: [Step] = []) -> [[Step]] {
        if let ref = schema["$ref"] as? String, let name = ref.split(separator: "/").last {
            return stringPaths(schemas[String(name)] as? [String: Any] ?? [:], schemas, prefix)
        }
        let types = (schema["type"] as? [String]) ?? [(schema["type"] as? String) ?? ""]
        if types.contains("string") { return [prefix] }
        if types.contains("array"), let items = schema["items"] as? [String: Any] {
            return stringPaths(items, schemas, prefix + [.element])
        }
        let properties = schema["properties"] as? [String: Any] ?? [:]
        return properties.keys.sorted().flatMap { key in
            stringPaths(properties[key] as? [String: Any] ?? [:], schemas, prefix + [.key(key)])
        }
    }

    /// A JSON document holding `value` at `path` and nothing else.
    static func document(_ path: ArraySlice<Step>, _ value: String) -> Any {
        switch path.first {
        case nil: value
        case .key(let key)?: [key: document(path.dropFirst(), value)]
        case .element?: [document(path.dropFirst(), value)]
        }
    }

    /// How the controller names the field at `path`: `product.name`, `cases[0]`.
    static func fieldName(_ path: [Step]) -> String {
        var name = ""
        for step in path {
            switch step {
            case .key(let key): name += (name.isEmpty ? "" : ".") + key
            case .element: name += "[0]"
            }
        }
        return name.isEmpty ? "the body" : name
    }

    @Test("every string field and query parameter of the document: 422 naming it, for NUL and other control characters")
    func everyField() async throws {
        try await withController { controller in
            let fixture = try await Fixture.make(controller, script: "true")
            let node = try await SimulatedNode.enroll(controller, name: "fuzzed", products: [fixture.simulatedInventory])
            let anonymous = try controller.client(bearer: nil)
            let enroller = try controller.client(bearer: "tfe_" + String(repeating: "x", count: 43))
            let schemas = OpenAPISchemas.all
            var fields = 0
            var parameters = 0
            for operation in OpenAPIDocument.operations {
                let path = SecurityTests.concrete(operation.path)
                let method = SecurityTests.method(operation.method)
                let client: ControllerClient
                switch operation.access {
                case .node: client = node.client
                case .enrollment: client = enroller
                case .anyone: client = anonymous
                default: client = controller.admin
                }
                if let request = operation.request, let schema = schemas[request] as? [String: Any] {
                    for fieldPath in Self.stringPaths(schema, schemas) {
                        fields += 1
                        let name = Self.fieldName(fieldPath)
                        for character in Self.refused {
                            let body = try JSONSerialization.data(
                                withJSONObject: Self.document(fieldPath[...], "a\(character)b"),
                                options: [.fragmentsAllowed]
                            )
                            let answer = try await client.request(method, path, raw: String(decoding: body, as: UTF8.self))
                            let code = String(format: "U+%04X", character.unicodeScalars.first!.value)
                            #expect(
                                answer.status == 422,
                                "\(operation.method) \(operation.path) \(name) with \(code): \(answer.status) \(answer.text)"
                            )
                            #expect(answer.errorMessage?.hasPrefix("\(name): contains the control character \(code)") == true, "\(answer.text)")
                        }
                    }
                }
                let integers: Set = ["limit", "offset", "product_id", "attempt", "token"]
                for parameter in operation.query where !integers.contains(parameter) {
                    parameters += 1
                    for character in Self.refused {
                        let escaped = character.utf8.map { String(format: "%%%02X", $0) }.joined()
                        let answer = try await client.request(method, path + "?\(parameter)=a\(escaped)b", raw: method == .GET ? nil : "{}")
                        #expect(answer.status == 422, "\(operation.method) \(operation.path)?\(parameter): \(answer.status) \(answer.text)")
                        #expect(answer.errorMessage?.hasPrefix("\(parameter): contains the control character") == true, "\(answer.text)")
                    }
                }
            }
            #expect(fields > 40 && parameters >= 5, "\(fields) fields, \(parameters) parameters")
            #expect(try await controller.client(bearer: nil).request(.GET, "/readyz").status == 200)
        }
    }

    @Test("a NUL in a case or product name is 422, not 500, in JSON, text, forms and credentials; multi-line text keeps its tabs")
    func theReportedCases() async throws {
        try await withWebFixture { fixture in
            let api = fixture.controller.admin
            let submission = #"{"product": {"id": \#(fixture.product.id)}, "tool": {"id": \#(fixture.tool.id)}, "cases": ["a\u0000b"]}"#
            let task = try await api.request(.POST, "/api/v1/tasks", raw: submission)
            #expect(task.status == 422 && task.errorMessage == "cases[0]: contains the control character U+0000, which text fields cannot hold")
            let product = try await api.request(.POST, "/api/v1/products", raw: #"{"name": "shop\u0000", "version": "1"}"#)
            #expect(product.status == 422 && product.errorMessage?.hasPrefix("name: ") == true)
            let text = try await api.request(
                .POST,
                "/api/v1/tasks?product_id=\(fixture.product.id)&tool_id=\(fixture.tool.id)",
                raw: "ok\nbad\u{0}case\n",
                contentType: "text/plain"
            )
            #expect(text.status == 422 && text.errorMessage?.hasPrefix("cases: ") == true)
            let basic = "Basic " + Data("ad\u{0}min:\(TestController.adminPassword)".utf8).base64EncodedString()
            #expect(
                try await fixture.controller.client(bearer: nil).request(.GET, "/api/v1/tasks", headers: [("Authorization", basic)]).status == 401
            )

            // Tabs, newlines and carriage returns are text.
            let script = "#!/bin/sh\r\nset -e\n\tmake install\t# indented\n"
            let made = try await api.request(.POST, "/api/v1/products", json: ProductInput(name: "multi", version: "1", installScript: script))
            #expect(made.status == 201)
            #expect(try made.decode(Product.self).installScript == script)

            // The web forms: a page naming the field, nothing stored.
            let web = fixture.web
            _ = try await web.get("/products")
            let form = try await web.post("/products", [("name", "web\u{0}shop"), ("version", "1")])
            #expect(form.status == 422 && form.body.contains("name: contains the control character U+0000"))
            _ = try await web.get("/tasks/new")
            let upload = try await web.postMultipart(
                "/tasks",
                [("product_id", String(fixture.product.id)), ("tool_id", String(fixture.tool.id))],
                files: [("cases_file", "cases.txt", "one\ntwo\u{1B}[31m\n")]
            )
            #expect(upload.status == 422 && upload.body.contains("cases_file: contains the control character U+001B"))
            let names = try await api.request(.GET, "/api/v1/products").decode(Page<Product>.self).items.map(\.name)
            #expect(!names.contains { $0.hasPrefix("web") })
            #expect(try await api.request(.GET, "/api/v1/tasks").decode(Page<TaskInfo>.self).items.isEmpty)
        }
    }
}
