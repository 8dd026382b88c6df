import WireProtocol

/// JSON schemas of the wire types, for the OpenAPI document. Kept beside the types' fields by hand; the
/// API tests decode real answers with these shapes in mind.
enum OpenAPISchemas {
    private static func object(_ properties: [String: Any], required: [String] = []) -> [String: Any] {
        ["type": "object", "properties": properties, "required": required]
    }

    private static func ref(_ name: String) -> [String: Any] { ["$ref": "#/components/schemas/\(name)"] }
    private static func nullable(_ type: String, format: String? = nil) -> [String: Any] {
        var out: [String: Any] = ["type": [type, "null"]]
        if let format { out["format"] = format }
        return out
    }
    private static func array(_ items: [String: Any]) -> [String: Any] { ["type": "array", "items": items] }
    private static func page(_ item: String) -> [String: Any] {
        object(["items": array(ref(item)), "next_cursor": nullable("string")], required: ["items"])
    }

    private static var string: [String: Any] { ["type": "string"] }
    private static var integer: [String: Any] { ["type": "integer"] }
    private static var number: [String: Any] { ["type": "number"] }
    private static var boolean: [String: Any] { ["type": "boolean"] }
    private static var time: [String: Any] { ["type": "string", "format": "date-time"] }
    private static let caseStates = ["queued", "leased", "running", "passed", "failed", "error", "skipped", "timed_out", "cancelled"]

    static var all: [String: Any] {
        let counts = object(Dictionary(uniqueKeysWithValues: (caseStates + ["total"]).map { ($0, integer) }))
        let testStatus: [String: Any] = ["type": "string", "enum": TestStatus.allCases.map(\.rawValue)]
        let testCounts = object(
            Dictionary(uniqueKeysWithValues: ["total", "passed", "failed", "error", "skipped"].map { ($0, integer) }),
            required: ["total", "passed", "failed", "error", "skipped"]
        )
        let optionalTestCounts: [String: Any] = ["oneOf": [testCounts, ["type": "null"]]]
        let caseTest = object(
            [
                "n": integer, "classname": string, "name": string, "status": testStatus, "duration_ms": nullable("integer"),
                "message": nullable("string"), "flaky": nullable("boolean"), "output": nullable("string"),
            ],
            required: ["n", "classname", "name", "status"]
        )
        let testRecord = object(
            [
                "classname": string, "name": string, "status": testStatus, "duration_ms": nullable("integer"),
                "message": nullable("string"), "output": nullable("string"), "flaky": nullable("boolean"),
            ],
            required: ["classname", "name", "status"]
        )
        let reportTest = object(
            [
                "case_id": integer, "case": string, "classname": string, "name": string, "status": testStatus,
                "message": nullable("string"),
            ],
            required: ["case_id", "case", "classname", "name", "status"]
        )
        let item = object(["id": integer, "name": string, "version": string], required: ["id", "name", "version"])
        let nodeRef = object(["id": integer, "name": string], required: ["id", "name"])
        let artifact = object(["filename": string, "size": integer, "sha256": string], required: ["filename", "size", "sha256"])
        let caseInfo = object(
            [
                "id": integer, "task_id": integer, "ordinal": integer, "name": string,
                "state": ["type": "string", "enum": caseStates], "node": ["oneOf": [nodeRef, ["type": "null"]]],
                "attempts": integer, "duration_ms": nullable("integer"), "exit_code": nullable("integer"),
                "message": nullable("string"), "started_at": nullable("string", format: "date-time"),
                "finished_at": nullable("string", format: "date-time"), "tests": optionalTestCounts,
            ],
            required: ["id", "task_id", "name", "state", "attempts"]
        )
        let task = object(
            [
                "id": integer, "name": string, "state": ["type": "string", "enum": ["queued", "running", "completed", "cancelled"]],
                "product": item, "tool": item, "submitted_by": string, "priority": integer, "case_timeout_s": integer,
                "max_infra_retries": integer, "counts": counts, "created_at": time,
                "started_at": nullable("string", format: "date-time"), "finished_at": nullable("string", format: "date-time"),
                "eta_s": nullable("integer"), "pending_reason": nullable("string"), "report_url": nullable("string"),
                "tests": optionalTestCounts,
                "labels": array(string), "rerun_of": nullable("integer"),
            ],
            required: ["id", "name", "state", "product", "tool", "counts", "created_at"]
        )
        let product = object(
            [
                "id": integer, "name": string, "version": string, "download_url": nullable("string"),
                "download_sha256": nullable("string"), "install_script": nullable("string"), "artifact": ["oneOf": [artifact, ["type": "null"]]],
                "created_at": time, "updated_at": time,
            ],
            required: ["id", "name", "version", "created_at", "updated_at"]
        )
        let tool = object(
            [
                "id": integer, "name": string, "version": string, "run_command": string, "default_timeout_s": integer,
                "download_url": nullable("string"), "download_sha256": nullable("string"), "install_script": nullable("string"),
                "artifact": ["oneOf": [artifact, ["type": "null"]]], "created_at": time, "updated_at": time,
            ],
            required: ["id", "name", "version", "run_command", "default_timeout_s"]
        )
        let node = object(
            [
                "id": integer, "name": string, "hostname": string, "ip": string, "os": string, "arch": string,
                "agent_version": string, "slots": integer, "labels": array(string), "reported_labels": array(string),
                "assigned_labels": array(string), "state": ["type": "string", "enum": ["online", "offline", "draining", "disabled"]],
                "state_reason": nullable("string"), "last_seen_at": nullable("string", format: "date-time"),
                "revoked": boolean, "running_cases": array(["type": "object"]),
                "inventory": ["oneOf": [array(["type": "object"]), ["type": "null"]]], "created_at": time,
            ],
            required: ["id", "name", "state", "slots"]
        )
        let reference = object(["id": integer, "name": string, "version": string])
        let facts = object(
            ["hostname": string, "ip": string, "os": string, "arch": string, "agent_version": string, "slots": integer],
            required: ["hostname", "ip", "os", "arch", "agent_version", "slots"]
        )
        let inventoryTool = object(["name": string, "version": string, "path": string], required: ["name", "version", "path"])
        let inventoryProduct = object(
            ["name": string, "version": string, "path": string, "tools": array(inventoryTool)],
            required: ["name", "version", "path", "tools"]
        )
        let role: [String: Any] = ["type": "string", "enum": ["admin", "member"]]
        let user = object(
            ["id": integer, "username": string, "role": role, "disabled": boolean, "created_at": time],
            required: ["id", "username", "role", "disabled"]
        )
        let auditEntry = object(
            [
                "id": integer, "at": time, "actor": string, "action": string,
                "target": object(["kind": string, "id": nullable("integer")], required: ["kind"]), "detail": string,
                "address": nullable("string"),
            ],
            required: ["id", "at", "actor", "action", "target", "detail"]
        )
        let enrollmentToken = object(
            [
                "id": integer, "note": string, "expires_at": time, "max_uses": integer, "uses": integer, "revoked": boolean,
                "created_at": time, "token": nullable("string"), "command": nullable("string"),
            ],
            required: ["id", "expires_at", "max_uses", "uses"]
        )
        let testResultEntry = object(
            [
                "pass_rate": number, "report_url": nullable("string"), "source": nullable("string"), "task_id": nullable("integer"),
                "updated_at": time, "tests": optionalTestCounts, "test_pass_rate": nullable("number"),
            ],
            required: ["pass_rate", "updated_at"]
        )
        return [
            "Error": object(["error": object(["message": string, "offset": integer], required: ["message"])], required: ["error"]),
            "LoginInput": object(["username": string, "password": string], required: ["username", "password"]),
            "LoginAnswer": object(["username": string, "role": string, "csrf_token": string], required: ["username", "role", "csrf_token"]),
            "User": user,
            "UserPage": page("User"),
            "UserInput": object(["username": string, "password": string, "role": role], required: ["username", "password"]),
            "UserPatch": object(["disabled": boolean, "role": role, "password": string]),
            "PasswordChange": object(
                ["current_password": string, "new_password": string],
                required: ["current_password", "new_password"]
            ),
            "AuditEntry": auditEntry,
            "AuditPage": page("AuditEntry"),
            "TokenInput": object(["name": string]),
            "CreatedToken": object(["id": integer, "name": string, "token": string], required: ["id", "name", "token"]),
            "APIToken": object(
                ["id": integer, "name": string, "prefix": string, "created_at": time, "last_used_at": nullable("string", format: "date-time")],
                required: ["id", "name", "prefix"]
            ),
            "APITokenPage": page("APIToken"),
            "Artifact": artifact,
            "Product": product,
            "ProductPage": page("Product"),
            "ProductInput": object(
                [
                    "name": string, "version": string, "download_url": nullable("string"), "download_sha256": nullable("string"),
                    "install_script": nullable("string"),
                ],
                required: ["name", "version"]
            ),
            "Tool": tool,
            "ToolPage": page("Tool"),
            "ToolList": object(["items": array(ref("Tool"))], required: ["items"]),
            "ToolInput": object(
                [
                    "name": string, "version": string, "run_command": string, "default_timeout_s": integer,
                    "download_url": nullable("string"), "download_sha256": nullable("string"), "install_script": nullable("string"),
                ],
                required: ["name", "version", "run_command"]
            ),
            "ProductToolsInput": object(["tool_ids": array(integer)], required: ["tool_ids"]),
            "TestResultInput": object(
                [
                    "pass_rate": ["type": "number", "minimum": 0, "maximum": 1], "report_url": nullable("string"),
                    "source": nullable("string"), "tests": optionalTestCounts,
                ],
                required: ["pass_rate"]
            ),
            "TestResult": object(
                [
                    "product_id": integer, "pass_rate": nullable("number"), "report_url": nullable("string"),
                    "source": nullable("string"), "updated_at": nullable("string", format: "date-time"),
                    "tests": optionalTestCounts, "test_pass_rate": nullable("number"), "history": array(testResultEntry),
                ],
                required: ["product_id", "history"]
            ),
            "EnrollmentTokenInput": object(["ttl_s": integer, "max_uses": integer, "note": string]),
            "EnrollmentToken": enrollmentToken,
            "EnrollmentTokenPage": page("EnrollmentToken"),
            "EnrollRequest": object(["name": string, "facts": facts], required: ["name", "facts"]),
            "EnrollResponse": object(["node_id": integer, "name": string, "credential": string], required: ["node_id", "name", "credential"]),
            "Inventory": object(
                ["facts": facts, "products": array(inventoryProduct), "labels": array(string)],
                required: ["products"]
            ),
            "InventoryResponse": object(["unknown": array(string)], required: ["unknown"]),
            "LeaseRequest": object(["wait_s": number, "free_slots": integer]),
            "Lease": object(
                [
                    "lease_id": ["type": "string", "format": "uuid"], "token": integer, "expires_at": time,
                    "heartbeat_interval_s": integer, "case_id": integer, "case_name": string, "task_id": integer,
                    "attempt": integer, "command_template": string, "product": inventoryTool, "tool": inventoryTool,
                    "timeout_s": integer,
                ],
                required: ["lease_id", "token", "expires_at", "case_id", "case_name", "command_template"]
            ),
            "Assignment": [
                "oneOf": [
                    ["allOf": [ref("Lease"), object(["kind": ["type": "string", "enum": ["case"]]])]],
                    object(["kind": ["type": "string", "enum": ["install"]], "install": ["type": "object"]], required: ["kind", "install"]),
                ]
            ],
            "EnvironmentChange": object(
                ["product_id": integer, "tool_ids": array(integer), "action": ["type": "string", "enum": ["install", "uninstall"]]],
                required: ["product_id", "tool_ids", "action"]
            ),
            "InstallJob": object(
                [
                    "id": integer, "node": nodeRef, "action": string, "product": item, "tools": array(item),
                    "state": ["type": "string", "enum": ["queued", "leased", "running", "succeeded", "failed", "cancelled"]],
                    "message": nullable("string"), "log": nullable("string"), "created_at": time,
                    "started_at": nullable("string", format: "date-time"), "finished_at": nullable("string", format: "date-time"),
                ],
                required: ["id", "node", "action", "product", "tools", "state"]
            ),
            "NodeEnvironment": object(
                ["products": array(["type": "object"]), "jobs": array(ref("InstallJob"))],
                required: ["products", "jobs"]
            ),
            "InstallProgress": object(["token": integer, "log": string], required: ["token", "log"]),
            "InstallResult": object(
                ["token": integer, "succeeded": boolean, "message": nullable("string"), "paths": ["type": "object"]],
                required: ["token", "succeeded", "paths"]
            ),
            "HeartbeatRequest": object(["token": integer], required: ["token"]),
            "HeartbeatResponse": object(["cancel": boolean, "expires_at": time], required: ["cancel", "expires_at"]),
            "LogAck": object(["offset": integer], required: ["offset"]),
            "CaseResult": object(
                [
                    "token": integer, "status": ["type": "string", "enum": ["passed", "failed", "error", "skipped", "timed_out", "cancelled"]],
                    "exit_code": nullable("integer"), "duration_ms": integer, "message": nullable("string"),
                    "log": object(["offset": integer, "data": ["type": "string", "contentEncoding": "base64"]], required: ["offset", "data"]),
                    "next": object(["wait_s": number]),
                    "tests": ["oneOf": [array(testRecord), ["type": "null"]]], "handed_back": boolean,
                ],
                required: ["token", "status", "duration_ms"]
            ),
            "ResultAnswer": object(["next": ref("Assignment")]),
            "AgentSelf": object(["node": ref("NodeInfo")], required: ["node"]),
            "TaskSubmission": object(
                [
                    "name": string, "product": reference, "tool": reference, "cases": array(string), "priority": integer,
                    "case_timeout_s": integer, "max_infra_retries": integer, "labels": array(string),
                ],
                required: ["product", "tool", "cases"]
            ),
            "RerunRequest": object([
                "cases": ["oneOf": [["type": "string", "enum": ["failed", "all"]], array(string)]], "name": string,
            ]),
            "TaskInfo": task,
            "TaskPage": page("TaskInfo"),
            "CaseInfo": caseInfo,
            "CasePage": page("CaseInfo"),
            "CaseTest": caseTest,
            "CaseTestPage": page("CaseTest"),
            "CaseDetail": object(
                [
                    "case": caseInfo, "task": object(["id": integer, "name": string, "state": string, "submitted_by": nullable("string")]),
                    "runs": array(["type": "object"]),
                    "logs_deleted_at": nullable("string", format: "date-time"),
                ],
                required: ["case", "task", "runs"]
            ),
            "NodeInfo": node,
            "NodePage": page("NodeInfo"),
            "NodePatch": object(
                ["state": ["type": "string", "enum": ["online", "draining", "disabled"]], "slots": integer, "labels": array(string)]),
            "TaskReport": object(
                [
                    "task_id": integer, "task_name": string, "state": string, "counts": counts, "pass_rate": nullable("number"),
                    "durations": ["type": "object"], "nodes": array(["type": "object"]), "failures": array(["type": "object"]),
                    "flaky": array(["type": "object"]), "report_url": string, "tests": optionalTestCounts,
                    "test_pass_rate": nullable("number"), "failed_tests": array(reportTest), "failed_tests_total": integer,
                    "tests_newly_failing": array(reportTest), "tests_newly_failing_total": integer,
                    "tests_newly_passing": array(reportTest), "tests_newly_passing_total": integer,
                    "flaky_tests": array(object(["case": string, "classname": string, "name": string, "reason": string])),
                    "baseline": ["oneOf": [object(["task_id": integer, "version": string], required: ["task_id", "version"]), ["type": "null"]]],
                ],
                required: ["task_id", "counts", "report_url"]
            ),
        ]
    }
}
