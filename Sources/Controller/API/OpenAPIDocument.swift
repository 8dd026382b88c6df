import Foundation
import WireProtocol

/// The OpenAPI 3.1 document of the API, served at `/api/v1/openapi.json`. A test compares its operations with
/// the router's routes, so neither can change without the other.
enum OpenAPIDocument {
    enum Access: String {
        case anyone, user, admin, node, enrollment
        /// Users, and agents downloading what they install.
        case userOrNode
    }

    struct Operation {
        var method: String
        /// The path in OpenAPI form, e.g. `/api/v1/products/{id}`.
        var path: String
        var summary: String
        var access: Access
        var request: String? = nil
        var response: String? = nil
        var status = 200
        var query: [String] = []
    }

    static let operations: [Operation] =
        [
            .init(method: "GET", path: "/healthz", summary: "Liveness", access: .anyone, response: "text"),
            .init(method: "GET", path: "/readyz", summary: "Readiness: database reachable and migrated", access: .anyone, response: "text"),
            .init(method: "GET", path: "/metrics", summary: "Prometheus metrics", access: .anyone, response: "text"),
            .init(method: "GET", path: "/api/v1/openapi.json", summary: "This document", access: .anyone, response: "object"),
            .init(
                method: "POST",
                path: "/api/v1/auth/login",
                summary: "Log in; sets the session cookie",
                access: .anyone,
                request: "LoginInput",
                response: "LoginAnswer"
            ),
            .init(method: "POST", path: "/api/v1/auth/logout", summary: "Log out", access: .anyone, status: 204),
            .init(method: "GET", path: "/api/v1/auth/me", summary: "The calling user", access: .user, response: "User"),
            .init(
                method: "POST",
                path: "/api/v1/auth/password",
                summary: "Change your own password",
                access: .user,
                request: "PasswordChange",
                status: 204
            ),
            .init(method: "GET", path: "/api/v1/users", summary: "List users", access: .admin, response: "UserPage", query: ["limit", "cursor"]),
            .init(
                method: "POST",
                path: "/api/v1/users",
                summary: "Create a user",
                access: .admin,
                request: "UserInput",
                response: "User",
                status: 201
            ),
            .init(
                method: "PATCH",
                path: "/api/v1/users/{id}",
                summary: "Disable or enable a user, change their role or set their password",
                access: .admin,
                request: "UserPatch",
                response: "User"
            ),
            .init(method: "DELETE", path: "/api/v1/users/{id}", summary: "Delete a user; their tasks stay", access: .admin, status: 204),
            .init(
                method: "GET",
                path: "/api/v1/audit",
                summary: "The audit log, newest first",
                access: .admin,
                response: "AuditPage",
                query: ["limit", "cursor", "actor", "action"]
            ),
            .init(
                method: "POST",
                path: "/api/v1/tokens",
                summary: "Create an API token (shown once)",
                access: .user,
                request: "TokenInput",
                response: "CreatedToken",
                status: 201
            ),
            .init(method: "GET", path: "/api/v1/tokens", summary: "List your API tokens", access: .user, response: "APITokenPage"),
            .init(method: "DELETE", path: "/api/v1/tokens/{id}", summary: "Revoke an API token", access: .user, status: 204),
        ]
        + catalogItemOperations(.product, noun: "product", schema: "Product")
        + [
            .init(
                method: "PUT",
                path: "/api/v1/products/{id}/tools",
                summary: "Set the tools linked to a product",
                access: .admin,
                request: "ProductToolsInput",
                response: "ToolList"
            ),
            .init(method: "GET", path: "/api/v1/products/{id}/tools", summary: "Tools linked to a product", access: .user, response: "ToolList"),
            .init(
                method: "PUT",
                path: "/api/v1/products/{id}/test-result",
                summary: "Record a test result",
                access: .user,
                request: "TestResultInput",
                response: "TestResult"
            ),
            .init(
                method: "GET",
                path: "/api/v1/products/{id}/test-result",
                summary: "Current test result and history",
                access: .user,
                response: "TestResult"
            ),
        ]
        + catalogItemOperations(.tool, noun: "test tool", schema: "Tool")
        + [
            .init(
                method: "POST",
                path: "/api/v1/enrollment-tokens",
                summary: "Create an enrollment token with its ready command",
                access: .admin,
                request: "EnrollmentTokenInput",
                response: "EnrollmentToken",
                status: 201
            ),
            .init(
                method: "GET",
                path: "/api/v1/enrollment-tokens",
                summary: "List enrollment tokens",
                access: .admin,
                response: "EnrollmentTokenPage",
                query: ["limit", "cursor"]
            ),
            .init(method: "DELETE", path: "/api/v1/enrollment-tokens/{id}", summary: "Revoke an enrollment token", access: .admin, status: 204),
            .init(
                method: "POST",
                path: "/api/v1/agent/enroll",
                summary: "Enroll a node (bearer: enrollment token)",
                access: .enrollment,
                request: "EnrollRequest",
                response: "EnrollResponse",
                status: 201
            ),
            .init(method: "GET", path: "/api/v1/agent/node", summary: "The calling node", access: .node, response: "AgentSelf"),
            .init(
                method: "POST",
                path: "/api/v1/agent/inventory",
                summary: "Report what is installed on the node",
                access: .node,
                request: "Inventory",
                response: "InventoryResponse"
            ),
            .init(
                method: "POST",
                path: "/api/v1/agent/lease",
                summary: "Lease the next case (long-poll; 204 when none)",
                access: .node,
                request: "LeaseRequest",
                response: "Lease"
            ),
            .init(
                method: "POST",
                path: "/api/v1/agent/leases/{id}/heartbeat",
                summary: "Renew a lease",
                access: .node,
                request: "HeartbeatRequest",
                response: "HeartbeatResponse"
            ),
            .init(
                method: "POST",
                path: "/api/v1/agent/leases/{id}/log",
                summary: "Append a log chunk at a byte offset",
                access: .node,
                request: "bytes",
                response: "LogAck",
                query: ["offset", "token"]
            ),
            .init(
                method: "POST",
                path: "/api/v1/agent/leases/{id}/result",
                summary: "Post a case's result; with `next`, the answer carries the node's next assignment",
                access: .node,
                request: "CaseResult",
                response: "ResultAnswer"
            ),
            .init(
                method: "POST",
                path: "/api/v1/tasks",
                summary: "Submit a task (JSON, text/plain or multipart)",
                access: .user,
                request: "TaskSubmission",
                response: "TaskInfo",
                status: 201
            ),
            .init(
                method: "GET",
                path: "/api/v1/tasks",
                summary: "List tasks, newest first",
                access: .user,
                response: "TaskPage",
                query: ["limit", "cursor", "state", "product_id", "user"]
            ),
            .init(
                method: "GET",
                path: "/api/v1/tasks/{id}",
                summary: "A task with counts, ETA and pending reason",
                access: .user,
                response: "TaskInfo"
            ),
            .init(method: "POST", path: "/api/v1/tasks/{id}/cancel", summary: "Cancel a task", access: .user, response: "TaskInfo"),
            .init(
                method: "POST",
                path: "/api/v1/tasks/{id}/rerun",
                summary: "Run a finished task's failed, all or named cases again as a new task",
                access: .user,
                request: "RerunRequest",
                response: "TaskInfo",
                status: 201
            ),
            .init(
                method: "DELETE",
                path: "/api/v1/tasks/{id}",
                summary: "Delete a finished task with its cases, logs and report",
                access: .user,
                status: 204
            ),
            .init(method: "POST", path: "/api/v1/cases/{id}/cancel", summary: "Cancel one case", access: .user, response: "CaseDetail"),
            .init(
                method: "GET",
                path: "/api/v1/tasks/{id}/cases",
                summary: "A task's cases",
                access: .user,
                response: "CasePage",
                query: ["limit", "cursor", "state"]
            ),
            .init(
                method: "GET",
                path: "/api/v1/tasks/{id}/report",
                summary: "A finished task's report (JSON)",
                access: .user,
                response: "TaskReport"
            ),
            .init(method: "GET", path: "/api/v1/tasks/{id}/report.html", summary: "A finished task's report (HTML)", access: .user, response: "html"),
            .init(
                method: "GET",
                path: "/api/v1/tasks/{id}/report.xml",
                summary: "A finished task's report (JUnit XML)",
                access: .user,
                response: "xml"
            ),
            .init(method: "GET", path: "/api/v1/cases/{id}", summary: "A case with its runs", access: .user, response: "CaseDetail"),
            .init(
                method: "GET",
                path: "/api/v1/cases/{id}/log",
                summary: "A case's log (from ?offset=N)",
                access: .user,
                response: "text",
                query: ["offset", "attempt"]
            ),
            .init(
                method: "GET",
                path: "/api/v1/cases/{id}/tests",
                summary: "The tests of a case's final attempt, from its JUnit XML result file",
                access: .user,
                response: "CaseTestPage",
                query: ["limit", "cursor", "status"]
            ),
            .init(
                method: "GET",
                path: "/api/v1/cases/{id}/tests/{n}",
                summary: "One test of a case, with its output",
                access: .user,
                response: "CaseTest"
            ),
            .init(
                method: "GET",
                path: "/api/v1/nodes",
                summary: "List nodes",
                access: .user,
                response: "NodePage",
                query: ["limit", "cursor", "state"]
            ),
            .init(method: "GET", path: "/api/v1/nodes/{id}", summary: "A node with inventory and running cases", access: .user, response: "NodeInfo"),
            .init(
                method: "PATCH",
                path: "/api/v1/nodes/{id}",
                summary: "Change a node's state, slots or labels",
                access: .admin,
                request: "NodePatch",
                response: "NodeInfo"
            ),
            .init(method: "DELETE", path: "/api/v1/nodes/{id}", summary: "Revoke a node's credential", access: .admin, status: 204),
            .init(
                method: "POST",
                path: "/api/v1/nodes/{id}/environment",
                summary: "Install or uninstall a product's tools on a node",
                access: .admin,
                request: "EnvironmentChange",
                response: "InstallJob",
                status: 202
            ),
            .init(
                method: "GET",
                path: "/api/v1/nodes/{id}/environment",
                summary: "What is installed on a node, and its install jobs",
                access: .user,
                response: "NodeEnvironment"
            ),
            .init(method: "GET", path: "/api/v1/install-jobs/{id}", summary: "An install job with its log", access: .user, response: "InstallJob"),
            .init(
                method: "POST",
                path: "/api/v1/agent/install-jobs/{id}/progress",
                summary: "Renew an install job and append to its log",
                access: .node,
                request: "InstallProgress",
                response: "object"
            ),
            .init(
                method: "POST",
                path: "/api/v1/agent/install-jobs/{id}/result",
                summary: "Post an install job's result",
                access: .node,
                request: "InstallResult",
                response: "object"
            ),
        ]

    /// What every kind of catalog item answers under its own path; `noun` is how summaries name one, and
    /// `schema` the name of its type (its input, page and list named after it).
    private static func catalogItemOperations(_ kind: CatalogKind, noun: String, schema: String) -> [Operation] {
        let items = "/api/v1/\(kind.plural)"
        let item = items + "/{id}"
        return [
            .init(method: "POST", path: items, summary: "Create a \(noun)", access: .admin, request: schema + "Input", response: schema, status: 201),
            .init(
                method: "GET",
                path: items,
                summary: "List \(noun)s",
                access: .user,
                response: schema + "Page",
                query: ["limit", "cursor", "name"]
            ),
            .init(method: "GET", path: item, summary: "A \(noun)", access: .user, response: schema),
            .init(method: "PUT", path: item, summary: "Change a \(noun)", access: .admin, request: schema + "Input", response: schema),
            .init(method: "DELETE", path: item, summary: "Delete a \(noun)", access: .admin, status: 204),
            .init(
                method: "POST",
                path: item + "/artifact",
                summary: "Upload the \(kind.rawValue)'s artifact (multipart or raw)",
                access: .admin,
                request: "upload",
                response: "Artifact",
                status: 201
            ),
            .init(
                method: "GET",
                path: item + "/artifact",
                summary: "Download the \(kind.rawValue)'s artifact",
                access: .userOrNode,
                response: "binary"
            ),
        ]
    }

    static func json() throws -> Data {
        try JSONSerialization.data(withJSONObject: document(), options: [.sortedKeys, .withoutEscapingSlashes])
    }

    static func document() -> [String: Any] {
        var paths: [String: [String: Any]] = [:]
        for operation in operations {
            var entry: [String: Any] = [
                "summary": operation.summary,
                "operationId": operationID(operation),
                "responses": responses(operation),
            ]
            var parameters: [[String: Any]] = []
            if operation.path.contains("{id}") {
                let type: [String: Any] =
                    operation.path.contains("/leases/") ? ["type": "string", "format": "uuid"] : ["type": "integer", "minimum": 1]
                parameters.append(["name": "id", "in": "path", "required": true, "schema": type])
            }
            if operation.path.contains("{n}") {
                parameters.append(["name": "n", "in": "path", "required": true, "schema": ["type": "integer", "minimum": 1]])
            }
            for name in operation.query {
                let integer = ["limit", "offset", "product_id", "attempt", "token"].contains(name)
                var schema: [String: Any] = ["type": integer ? "integer" : "string"]
                if name == "status" { schema["enum"] = TestStatus.allCases.map(\.rawValue) }
                if name == "limit" {
                    schema["minimum"] = 1
                    schema["maximum"] = Pagination.maximumLimit
                }
                if name == "offset" { schema["minimum"] = 0 }
                parameters.append([
                    "name": name, "in": "query", "required": name == "offset" && operation.path.hasSuffix("/log") && operation.method == "POST",
                    "schema": schema,
                ])
            }
            if !parameters.isEmpty { entry["parameters"] = parameters }
            if let request = operation.request { entry["requestBody"] = requestBody(request) }
            switch operation.access {
            case .anyone: entry["security"] = [[String: [String]]]()
            case .user, .admin, .userOrNode: entry["security"] = [["bearer": []], ["basic": []], ["session": []]]
            case .node, .enrollment: entry["security"] = [["bearer": []]]
            }
            if operation.access == .admin { entry["description"] = "Needs the admin role." }
            paths[operation.path, default: [:]][operation.method.lowercased()] = entry
        }
        return [
            "openapi": "3.1.0",
            "info": ["title": "Testfleet API", "version": "1"],
            "paths": paths,
            "components": [
                "securitySchemes": [
                    "bearer": ["type": "http", "scheme": "bearer"],
                    "basic": ["type": "http", "scheme": "basic"],
                    "session": ["type": "apiKey", "in": "cookie", "name": AuthMiddleware.sessionCookie],
                ],
                "schemas": OpenAPISchemas.all,
            ],
        ]
    }

    private static func operationID(_ operation: Operation) -> String {
        let words = operation.path.split(separator: "/").filter { $0 != "api" && $0 != "v1" }
            .map { $0.replacingOccurrences(of: "{id}", with: "by-id").replacingOccurrences(of: "{n}", with: "by-n") }
        return operation.method.lowercased() + "-" + words.joined(separator: "-")
    }

    private static func requestBody(_ name: String) -> [String: Any] {
        switch name {
        case "upload":
            return [
                "required": true,
                "content": [
                    "multipart/form-data": ["schema": ["type": "object", "properties": ["file": ["type": "string", "format": "binary"]]]],
                    "application/octet-stream": ["schema": ["type": "string", "format": "binary"]],
                ],
            ]
        case "bytes":
            return ["required": true, "content": ["application/octet-stream": ["schema": ["type": "string", "format": "binary"]]]]
        case "TaskSubmission":
            return [
                "required": true,
                "content": [
                    "application/json": ["schema": ["$ref": "#/components/schemas/TaskSubmission"]],
                    "text/plain": ["schema": ["type": "string", "description": "One case per line; product, tool and the rest in the query string"]],
                ],
            ]
        default:
            return [
                "required": !["LeaseRequest", "TokenInput", "EnrollmentTokenInput", "RerunRequest"].contains(name),
                "content": ["application/json": ["schema": ["$ref": "#/components/schemas/\(name)"]]],
            ]
        }
    }

    private static func responses(_ operation: Operation) -> [String: Any] {
        let error: [String: Any] = ["description": "Error", "content": ["application/json": ["schema": ["$ref": "#/components/schemas/Error"]]]]
        var out: [String: Any] = [:]
        let success: [String: Any]
        switch operation.response {
        case nil: success = ["description": "Done"]
        case "text": success = ["description": "Text", "content": ["text/plain": ["schema": ["type": "string"]]]]
        case "html": success = ["description": "HTML", "content": ["text/html": ["schema": ["type": "string"]]]]
        case "xml": success = ["description": "JUnit XML", "content": ["application/xml": ["schema": ["type": "string"]]]]
        case "binary":
            success = ["description": "File", "content": ["application/octet-stream": ["schema": ["type": "string", "format": "binary"]]]]
        case "object": success = ["description": "OK", "content": ["application/json": ["schema": ["type": "object"]]]]
        case let name?: success = ["description": "OK", "content": ["application/json": ["schema": ["$ref": "#/components/schemas/\(name)"]]]]
        }
        out[String(operation.status)] = success
        if operation.path == "/api/v1/agent/lease" { out["204"] = ["description": "No case within the wait"] }
        if operation.access != .anyone {
            out["401"] = error
            out["403"] = error
        }
        if operation.request != nil || !operation.query.isEmpty {
            out["400"] = error
            out["422"] = error
        }
        if operation.path == "/api/v1/auth/login" { out["401"] = error }
        if operation.path.contains("{id}") { out["404"] = error }
        // A deleted task whose id the product's test-result history keeps.
        if operation.path.hasPrefix("/api/v1/tasks/{id}") { out["410"] = error }
        if operation.method != "GET" { out["409"] = error }
        if operation.path == "/readyz" {
            out["503"] = ["description": "Not ready", "content": ["application/json": ["schema": ["$ref": "#/components/schemas/Error"]]]]
        }
        return out
    }
}
