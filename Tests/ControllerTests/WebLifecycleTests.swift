import ControllerClient
import Foundation
import Testing
import WireProtocol

@testable import testfleet_controller

/// The pages' cancel, rerun and delete buttons, the labels field of the submit form and the labels nodes show.
@Suite("Web pages: cancel, rerun, delete, labels", .serialized)
struct WebLifecycleTests {
    @Test("the owner and admins get cancel, rerun and delete; others get neither the buttons nor the changes")
    func buttons() async throws {
        try await withWebFixture { fixture in
            let controller = fixture.controller
            let ana = try await controller.makeUser("ana")
            let bo = try await controller.makeUser("bo")
            let task = try await fixture.submit(["w1", "w2"], as: ana)
            let cases = try await controller.cases(task.id)
            let (first, second) = (cases[0], cases[1])
            let anaWeb = try await fixture.session(ana)
            let boWeb = try await fixture.session(bo)

            // A case: Cancel for the owner and admins.
            #expect(try await anaWeb.get("/cases/\(first.id)").body.contains("Cancel case"))
            #expect(try await fixture.web.get("/cases/\(first.id)").body.contains("Cancel case"))
            #expect(!(try await boWeb.get("/cases/\(first.id)").body.contains("Cancel case")))
            let refused = try await boWeb.post("/cases/\(first.id)/cancel")
            #expect(refused.status == 403 && refused.body.contains("belongs to ana"))
            let cancelled = try await anaWeb.post("/cases/\(first.id)/cancel")
            #expect(cancelled.status == 303 && cancelled.location == "/cases/\(first.id)")
            let page = try await anaWeb.get("/cases/\(first.id)")
            #expect(page.body.contains("s-cancelled") && !page.body.contains("Cancel case"))

            // The other case fails: the task ends with something to rerun.
            let lease = try await fixture.lease()
            #expect(lease.caseId == second.id)
            try await fixture.finish(lease, .failed)
            #expect(try await controller.task(task.id).state == .completed)
            let owner = try await anaWeb.get("/tasks/\(task.id)")
            #expect(owner.body.contains("Rerun failed") && owner.body.contains("Delete task"))
            let other = try await boWeb.get("/tasks/\(task.id)")
            #expect(!other.body.contains("Rerun failed") && !other.body.contains("Delete task"))
            #expect(try await boWeb.post("/tasks/\(task.id)/rerun").status == 403)
            #expect(try await boWeb.post("/tasks/\(task.id)/delete").status == 403)

            let rerun = try await anaWeb.post("/tasks/\(task.id)/rerun")
            #expect(rerun.status == 303)
            let location = try #require(rerun.location)
            let rerunID = try #require(Int64(location.replacingOccurrences(of: "/tasks/", with: "")))
            let rerunPage = try await anaWeb.get(location)
            #expect(rerunPage.body.contains("A rerun of") && rerunPage.body.contains("href=\"/tasks/\(task.id)\""))
            #expect(try await controller.cases(rerunID).map(\.name) == ["w1", "w2"])
            // Running: nothing to delete or rerun yet.
            #expect(!rerunPage.body.contains("Delete task") && !rerunPage.body.contains("Rerun failed"))

            // Its cases cancelled while queued: the last one ends the task, which gets its report.
            for item in try await controller.cases(rerunID) {
                #expect(try await ana.client.request(.POST, "/api/v1/cases/\(item.id)/cancel").status == 200)
            }
            let ended = try await controller.task(rerunID)
            #expect(ended.state == .completed && ended.counts.cancelled == 2 && ended.reportUrl != nil)
            try await RunningCounts.expectExact(database: controller.services.database)

            let deleted = try await anaWeb.post("/tasks/\(task.id)/delete")
            #expect(deleted.status == 303 && deleted.location == "/tasks")
            #expect(try await anaWeb.get("/tasks/\(task.id)").status == 410)
        }
    }

    @Test("the submit form's labels reach the task and its page; a node shows where its labels come from")
    func labels() async throws {
        try await withWebFixture { fixture in
            let fields = [
                ("product_id", String(fixture.product.id)), ("tool_id", String(fixture.tool.id)), ("cases", "a\nb"),
                ("labels", " kind:physical,  gpu "),
            ]
            let created = try await fixture.web.postMultipart("/tasks", fields)
            #expect(created.status == 303)
            let id = try #require(Int64((created.location ?? "").replacingOccurrences(of: "/tasks/", with: "")))
            #expect(try await fixture.controller.task(id).labels == ["gpu", "kind:physical"])
            let page = try await fixture.web.get("/tasks/\(id)")
            #expect(page.body.contains("Runs only on nodes labelled <code>gpu</code> <code>kind:physical</code>"))
            #expect(page.body.contains("has the labels gpu, kind:physical"), "the reason it waits")
            let bad = try await fixture.web.postMultipart("/tasks", fields.dropLast() + [("labels", "ok, bad\u{1}label")])
            #expect(bad.status == 422 && bad.body.contains("labels"))

            _ = try await fixture.controller.services.nodes.replaceInventory(
                nodeID: fixture.nodeID,
                inventory: Inventory(products: [], labels: ["kind:physical", "os:linux"])
            )
            _ = try await fixture.controller.admin.request(.PATCH, "/api/v1/nodes/\(fixture.nodeID)", json: NodePatch(labels: ["gpu", "os:linux"]))
            let node = try await fixture.web.get("/nodes/\(fixture.nodeID)")
            #expect(node.body.contains(#"<code title="assigned by an admin">gpu</code>"#))
            #expect(node.body.contains(#"<code title="reported by the agent">kind:physical</code>"#))
            #expect(node.body.contains(#"<code title="reported by the agent and assigned by an admin">os:linux</code>"#))
            let list = try await fixture.web.get("/nodes")
            #expect(list.body.contains(#"<code title="assigned by an admin">gpu</code>"#))
        }
    }
}
