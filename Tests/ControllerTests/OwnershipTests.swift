import ControllerClient
import Foundation
import Testing
import WireProtocol

@testable import testfleet_controller

/// A task belongs to its submitter: members change only their own, admins any; everyone reads everything.
@Suite("Task ownership", .serialized)
struct OwnershipTests {
    @Test("a member cannot cancel another's task (403), the owner and an admin can (200); everyone reads every task")
    func cancelling() async throws {
        try await withController { controller in
            let fixture = try await Fixture.make(controller, script: "true")
            let ana = try await controller.makeUser("ana")
            let bo = try await controller.makeUser("bo")
            let anas = try await ana.client.request(.POST, "/api/v1/tasks", json: fixture.submission(["a1", "a2"], name: "ana's"))
                .decode(TaskInfo.self)
            let other = try await ana.client.request(.POST, "/api/v1/tasks", json: fixture.submission(["a3"], name: "ana's too"))
                .decode(TaskInfo.self)
            #expect(anas.submittedBy == "ana")

            // Bo reads Ana's task, its cases and the list, but cannot cancel it.
            #expect(try await bo.client.request(.GET, "/api/v1/tasks/\(anas.id)").status == 200)
            #expect(try await bo.client.request(.GET, "/api/v1/tasks/\(anas.id)/cases").status == 200)
            #expect(try await bo.client.request(.GET, "/api/v1/tasks?user=ana").decode(Page<TaskInfo>.self).items.count == 2)
            let refused = try await bo.client.request(.POST, "/api/v1/tasks/\(anas.id)/cancel")
            #expect(refused.status == 403)
            #expect(refused.errorMessage == "task \(anas.id) belongs to ana: only they or an admin may change it")
            #expect(try await controller.task(anas.id).state == .queued, "a refused cancel changes nothing")

            let own = try await ana.client.request(.POST, "/api/v1/tasks/\(anas.id)/cancel")
            #expect(own.status == 200)
            #expect(try own.decode(TaskInfo.self).state == .cancelled)
            let byAdmin = try await controller.admin.request(.POST, "/api/v1/tasks/\(other.id)/cancel")
            #expect(byAdmin.status == 200)
            #expect(try byAdmin.decode(TaskInfo.self).state == .cancelled)

            // An admin's task is not a member's either.
            let admins = try await controller.submit(fixture.submission(["x"], name: "admin's"))
            #expect(try await bo.client.request(.POST, "/api/v1/tasks/\(admins.id)/cancel").status == 403)
        }
    }

    @Test("members submit up to member_max_priority (403 above it); admins any priority")
    func priorityCap() async throws {
        try await withController(.set { $0.memberMaxPriority = 5 }) { controller in
            let fixture = try await Fixture.make(controller, script: "true")
            let ana = try await controller.makeUser("ana")
            #expect(try await ana.client.request(.POST, "/api/v1/tasks", json: fixture.submission(["a"], priority: 5)).status == 201)
            let above = try await ana.client.request(.POST, "/api/v1/tasks", json: fixture.submission(["b"], priority: 6))
            #expect(above.status == 403)
            #expect(above.errorMessage?.contains("member_max_priority") == true)
            let query = "/api/v1/tasks?product_id=\(fixture.product.id)&tool_id=\(fixture.tool.id)&priority=9"
            let asText = try await ana.client.request(.POST, query, raw: "c\n", contentType: "text/plain")
            #expect(asText.status == 403, "the text form of a submission is capped too")
            #expect(try await controller.admin.request(.POST, "/api/v1/tasks", json: fixture.submission(["c"], priority: 900)).status == 201)
            #expect(ControllerConfiguration().memberMaxPriority == 10)
        }
    }

    @Test("the task page offers cancel to the owner and admins only; a member's cancel form for another's task is 403")
    func webCancel() async throws {
        try await withWebFixture { fixture in
            let controller = fixture.controller
            let ana = try await controller.makeUser("ana")
            let bo = try await controller.makeUser("bo")
            let task = try await fixture.submit(["w"], as: ana)
            let boWeb = try await fixture.session(bo)
            let anaWeb = try await fixture.session(ana)

            let boPage = try await boWeb.get("/tasks/\(task.id)")
            #expect(boPage.status == 200 && !boPage.body.contains("Cancel task"))
            #expect(try await fixture.web.get("/tasks/\(task.id)").body.contains("Cancel task"), "admins may cancel any task")
            let refused = try await boWeb.post("/tasks/\(task.id)/cancel")
            #expect(refused.status == 403 && refused.body.contains("belongs to ana"))
            #expect(try await controller.task(task.id).state == .queued)
            #expect(try await anaWeb.get("/tasks/\(task.id)").body.contains("Cancel task"))
            #expect(try await anaWeb.post("/tasks/\(task.id)/cancel").status == 303)
            #expect(try await controller.task(task.id).state == .cancelled)
        }
    }
}
