import ControllerClient
import Foundation
import Testing
import WireProtocol

@testable import testfleet_controller

/// Every change people and tokens make leaves one audit entry, written with the change, holding no secret.
@Suite("Audit log", .serialized)
struct AuditTests {
    /// Every entry, newest first, following the cursors a page of `limit` at a time.
    static func entries(_ controller: TestController, query: String = "", limit: Int = 7) async throws -> [AuditEntry] {
        var entries: [AuditEntry] = []
        var cursor: String?
        repeat {
            let path = "/api/v1/audit?limit=\(limit)" + query + (cursor.map { "&cursor=\($0)" } ?? "")
            let page = try await controller.admin.request(.GET, path).decode(Page<AuditEntry>.self)
            entries += page.items
            cursor = page.nextCursor
        } while cursor != nil
        return entries
    }

    @Test("every audited change through the API makes exactly one entry, newest first, with no secret in it")
    func everyChange() async throws {
        try await withController { controller in
            let api = controller.admin
            var expected: [(actor: String, action: String, target: AuditTarget)] = []
            func expect(_ actor: String, _ action: AuditAction, _ kind: String, _ id: Int64?) {
                expected.append((actor, action.rawValue, AuditTarget(kind: kind, id: id)))
            }
            // The admin's own token was made while the controller started.
            expect("admin", .tokenCreate, "api_token", 1)

            // Users.
            let firstPassword = "first-password-of-ana"
            let anaUser = try await api.request(.POST, "/api/v1/users", json: UserInput(username: "ana", password: firstPassword))
                .decode(User.self)
            expect("admin", .userCreate, "user", anaUser.id)
            let basic = "Basic " + Data("ana:\(firstPassword)".utf8).base64EncodedString()
            let anaToken = try await controller.client(bearer: nil).request(
                .POST,
                "/api/v1/tokens",
                json: TokenInput(),
                headers: [("Authorization", basic)]
            )
            .decode(CreatedToken.self)
            expect("ana", .tokenCreate, "api_token", anaToken.id)
            let ana = TestUser(user: anaUser, password: firstPassword, token: anaToken.token, client: try controller.client(bearer: anaToken.token))
            for patch in [UserPatch(disabled: true), UserPatch(disabled: false), UserPatch(role: .admin), UserPatch(role: .member)] {
                #expect(try await api.request(.PATCH, "/api/v1/users/\(ana.id)", json: patch).status == 200)
            }
            expect("admin", .userDisable, "user", ana.id)
            expect("admin", .userEnable, "user", ana.id)
            expect("admin", .userRole, "user", ana.id)
            expect("admin", .userRole, "user", ana.id)
            let resetPassword = "reset-password-of-ana"
            #expect(try await api.request(.PATCH, "/api/v1/users/\(ana.id)", json: UserPatch(password: resetPassword)).status == 200)
            expect("admin", .userPassword, "user", ana.id)
            let ownPassword = "own-password-of-ana"
            let change = PasswordChange(currentPassword: resetPassword, newPassword: ownPassword)
            #expect(try await ana.client.request(.POST, "/api/v1/auth/password", json: change).status == 204)
            expect("ana", .ownPassword, "user", ana.id)
            let extra = try await ana.client.request(.POST, "/api/v1/tokens", json: TokenInput(name: "ci")).decode(CreatedToken.self)
            expect("ana", .tokenCreate, "api_token", extra.id)
            #expect(try await ana.client.request(.DELETE, "/api/v1/tokens/\(extra.id)").status == 204)
            expect("ana", .tokenRevoke, "api_token", extra.id)

            // Enrollment tokens and nodes.
            let enrollment = try await api.request(.POST, "/api/v1/enrollment-tokens", json: EnrollmentTokenInput(note: "rack 3"))
                .decode(EnrollmentToken.self)
            expect("admin", .enrollmentCreate, "enrollment_token", enrollment.id)
            #expect(try await api.request(.DELETE, "/api/v1/enrollment-tokens/\(enrollment.id)").status == 204)
            expect("admin", .enrollmentRevoke, "enrollment_token", enrollment.id)

            // Products and tools; the download URL carries credentials, which must not reach the log.
            let secretURL = "https://ci:url-secret@downloads.example/shop.tgz"
            let product = try await api.request(.POST, "/api/v1/products", json: ProductInput(name: "shop", version: "1.0", downloadUrl: secretURL))
                .decode(Product.self)
            expect("admin", .productCreate, "product", product.id)
            #expect(try await api.request(.PUT, "/api/v1/products/\(product.id)", json: ProductInput(name: "shop", version: "1.0")).status == 200)
            expect("admin", .productUpdate, "product", product.id)
            let tool = try await api.request(.POST, "/api/v1/tools", json: ToolInput(name: "runner", version: "2", runCommand: "run {case}"))
                .decode(Tool.self)
            expect("admin", .toolCreate, "tool", tool.id)
            #expect(
                try await api.request(.PUT, "/api/v1/tools/\(tool.id)", json: ToolInput(name: "runner", version: "2", runCommand: "run2 {case}"))
                    .status == 200
            )
            expect("admin", .toolUpdate, "tool", tool.id)
            #expect(try await api.request(.PUT, "/api/v1/products/\(product.id)/tools", json: ProductToolsInput(toolIds: [tool.id])).status == 200)
            expect("admin", .productTools, "product", product.id)
            for (kind, id, action) in [("products", product.id, AuditAction.productArtifact), ("tools", tool.id, .toolArtifact)] {
                let upload = try await api.send(
                    .POST,
                    "/api/v1/\(kind)/\(id)/artifact?filename=a.tgz",
                    body: Data("bytes".utf8),
                    contentType: "application/octet-stream"
                )
                #expect(upload.status == 201)
                expect("admin", action, String(kind.dropLast()), id)
            }
            #expect(
                try await ana.client.request(.PUT, "/api/v1/products/\(product.id)/test-result", json: TestResultInput(passRate: 0.9)).status == 200
            )
            expect("ana", .productTestResult, "product", product.id)

            // A node (its enrollment token made through the API too), its states and its environment.
            let managed = InventoryProduct(
                name: "shop",
                version: "1.0",
                path: "/opt/shop",
                tools: [InventoryTool(name: "runner", version: "2", path: "/opt/runner", managed: true)],
                managed: true
            )
            let node = try await SimulatedNode.enroll(controller, name: "lab-1", products: [managed])
            let nodeToken = try await Self.entries(controller).first { $0.action == "enrollment_token.create" }
            expect("admin", .enrollmentCreate, "enrollment_token", nodeToken?.target.id)
            for (state, action) in [(NodeState.draining, AuditAction.nodeDrain), (.disabled, .nodeDisable), (.online, .nodeEnable)] {
                #expect(try await api.request(.PATCH, "/api/v1/nodes/\(node.id)", json: NodePatch(state: state)).status == 200)
                expect("admin", action, "node", node.id)
            }
            #expect(try await api.request(.PATCH, "/api/v1/nodes/\(node.id)", json: NodePatch(slots: 3)).status == 200)
            expect("admin", .nodeUpdate, "node", node.id)
            let other = try await api.request(.POST, "/api/v1/products", json: ProductInput(name: "other", version: "1")).decode(Product.self)
            expect("admin", .productCreate, "product", other.id)
            let install = try await api.request(
                .POST,
                "/api/v1/nodes/\(node.id)/environment",
                json: EnvironmentChange(productId: other.id, toolIds: [], action: .install)
            ).decode(InstallJob.self)
            expect("admin", .environmentInstall, "install_job", install.id)
            let uninstall = try await api.request(
                .POST,
                "/api/v1/nodes/\(node.id)/environment",
                json: EnvironmentChange(productId: product.id, toolIds: [], action: .uninstall)
            ).decode(InstallJob.self)
            expect("admin", .environmentUninstall, "install_job", uninstall.id)

            // Tasks.
            let task = try await ana.client.request(
                .POST,
                "/api/v1/tasks",
                json: TaskSubmission(product: ItemReference(id: product.id), tool: ItemReference(id: tool.id), cases: ["a", "b"])
            ).decode(TaskInfo.self)
            #expect(try await ana.client.request(.POST, "/api/v1/tasks/\(task.id)/cancel").status == 200)
            expect("ana", .taskCancel, "task", task.id)
            let rerun = try await ana.client.request(.POST, "/api/v1/tasks/\(task.id)/rerun", json: RerunRequest(cases: .all))
                .decode(TaskInfo.self)
            expect("ana", .taskRerun, "task", task.id)
            let rerunCase = try await controller.cases(rerun.id)[0]
            #expect(try await ana.client.request(.POST, "/api/v1/cases/\(rerunCase.id)/cancel").status == 200)
            expect("ana", .caseCancel, "case", rerunCase.id)
            #expect(try await ana.client.request(.POST, "/api/v1/tasks/\(rerun.id)/cancel").status == 200)
            expect("ana", .taskCancel, "task", rerun.id)
            #expect(try await ana.client.request(.DELETE, "/api/v1/tasks/\(task.id)").status == 204)
            expect("ana", .taskDelete, "task", task.id)

            // Refused changes leave nothing: a product in use, a missing tool, the last admin.
            #expect(try await api.request(.DELETE, "/api/v1/products/\(product.id)").status == 409)
            #expect(try await api.request(.DELETE, "/api/v1/tools/99999").status == 404)
            #expect(try await api.request(.PATCH, "/api/v1/users/1", json: UserPatch(disabled: true)).status == 409)
            #expect(try await ana.client.request(.PATCH, "/api/v1/users/1", json: UserPatch(disabled: true)).status == 403)

            // Deletions and the revocation last.
            #expect(try await api.request(.DELETE, "/api/v1/products/\(other.id)").status == 204)
            expect("admin", .productDelete, "product", other.id)
            let spare = try await api.request(.POST, "/api/v1/tools", json: ToolInput(name: "spare", version: "1", runCommand: "x")).decode(Tool.self)
            expect("admin", .toolCreate, "tool", spare.id)
            #expect(try await api.request(.DELETE, "/api/v1/tools/\(spare.id)").status == 204)
            expect("admin", .toolDelete, "tool", spare.id)
            #expect(try await api.request(.DELETE, "/api/v1/nodes/\(node.id)").status == 204)
            expect("admin", .nodeRevoke, "node", node.id)
            #expect(try await api.request(.DELETE, "/api/v1/users/\(ana.id)").status == 204)
            expect("admin", .userDelete, "user", ana.id)

            let entries = try await Self.entries(controller)
            #expect(entries.map(\.id) == entries.map(\.id).sorted(by: >), "newest first")
            #expect(entries.count == expected.count, "\(entries.map { "\($0.actor) \($0.action) \($0.target.kind) \($0.target.id ?? 0)" })")
            for (actor, action, target) in expected {
                let matching = entries.filter { $0.actor == actor && $0.action == action && $0.target == target }
                let times = expected.filter { $0.actor == actor && $0.action == action && $0.target == target }.count
                #expect(matching.count == times, "\(actor) \(action) \(target)")
            }
            #expect(entries.allSatisfy { $0.address == "127.0.0.1" }, "\(Set(entries.map(\.address)))")
            #expect(Set(AuditAction.allCases.map(\.rawValue)).isSubset(of: Set(entries.map(\.action))), "every kind of action was exercised")
            #expect(entries.first { $0.action == "user.delete" }?.detail == "ana; 1 tasks kept under the name")

            // No secret, in the API's answer or in the table itself.
            let raw =
                try await controller.services.database.query(
                    "SELECT string_agg(actor || ' ' || action || ' ' || detail || ' ' || coalesce(address, ''), E'\\n') FROM audit_log"
                ).collect(String.self).first ?? ""
            let listed = try await api.request(.GET, "/api/v1/audit?limit=1000").text
            let secrets = [
                firstPassword, resetPassword, ownPassword, ana.token, extra.token, controller.adminToken, TestController.adminPassword,
                node.credential, "url-secret", secretURL,
            ]
            for secret in secrets {
                #expect(!raw.contains(secret) && !listed.contains(secret), "a secret is in the audit log: \(secret.prefix(6))…")
            }
            for kind in ["tfe_", "tfu_", "tfn_", "tfs_"] {
                #expect(!raw.contains(kind), "a \(kind)… credential is in the audit log")
            }
        }
    }

    @Test("filtered by actor and action, paged by cursor; admins only")
    func filtersAndAccess() async throws {
        try await withController { controller in
            let ana = try await controller.makeUser("ana")
            for name in ["p1", "p2", "p3"] {
                _ = try await controller.admin.request(.POST, "/api/v1/products", json: ProductInput(name: name, version: "1"))
            }
            let byAna = try await Self.entries(controller, query: "&actor=ana", limit: 1)
            #expect(byAna.map(\.action) == ["api_token.create"])
            let created = try await Self.entries(controller, query: "&action=product.create", limit: 2)
            #expect(created.map(\.detail) == ["p3 1", "p2 1", "p1 1"])
            let both = try await Self.entries(controller, query: "&actor=admin&action=user.create")
            #expect(both.count == 1 && both[0].target == AuditTarget(kind: "user", id: ana.id))
            #expect(try await ana.client.request(.GET, "/api/v1/audit").status == 403)
            #expect(try await controller.admin.request(.GET, "/api/v1/audit?cursor=x").status == 422)
        }
    }

    @Test("changes made on the web pages are audited under the signed-in user, from the browser's address")
    func webChanges() async throws {
        try await withWebFixture { fixture in
            let web = fixture.web
            let before = try await Self.entries(fixture.controller).count
            _ = try await web.get("/products")
            let created = try await web.post("/products", [("name", "web-made"), ("version", "1")])
            let productID = try #require(created.location.flatMap { Int64($0.split(separator: "/").last ?? "") })
            _ = try await web.get("/products/\(productID)")
            #expect(try await web.post("/products/\(productID)/delete").status == 303)
            _ = try await web.get("/nodes")
            #expect(try await web.post("/nodes/\(fixture.nodeID)/state", [("state", "draining")]).status == 303)
            _ = try await web.get("/admin")
            #expect(try await web.post("/admin/users", [("username", "wes"), ("password", "password-of-wes"), ("role", "member")]).status == 200)
            let wes = try #require(try await fixture.controller.services.users.find(username: "wes"))
            #expect(try await web.post("/admin/users/\(wes.id)/disable").status == 200)
            #expect(try await web.post("/admin/tokens", [("name", "from-web")]).status == 201)
            let task = try await fixture.submit(["x"])
            _ = try await web.get("/tasks/\(task.id)")
            #expect(try await web.post("/tasks/\(task.id)/cancel").status == 303)

            let entries = try await Self.entries(fixture.controller)
            let actions = entries.prefix(entries.count - before).map(\.action)
            #expect(
                Array(actions.reversed()) == [
                    "product.create", "product.delete", "node.drain", "user.create", "user.disable", "api_token.create", "task.cancel",
                ]
            )
            #expect(entries.prefix(actions.count).allSatisfy { $0.actor == "admin" && $0.address == "127.0.0.1" })
            let page = try await web.get("/admin")
            #expect(page.body.contains("<code>task.cancel</code>") && page.body.contains("href=\"/admin/audit\""))
            let audit = try await web.get("/admin/audit?action=user.disable")
            #expect(audit.status == 200 && audit.body.contains("<code>user.disable</code>") && !audit.body.contains("<code>task.cancel</code>"))
        }
    }
}
