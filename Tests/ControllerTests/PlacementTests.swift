import ControllerClient
import Foundation
import Testing
import WireProtocol

@testable import testfleet_controller

/// Tasks that require node labels: only nodes with every label lease their cases, by every way a case is leased.
@Suite("Placement by node labels", .serialized)
struct PlacementTests {
    func node(_ controller: TestController, named name: String) async throws -> NodeInfo? {
        try await controller.admin.request(.GET, "/api/v1/nodes?limit=100").decode(Page<NodeInfo>.self).items.first { $0.name == name }
    }

    @Test("a task that needs kind:physical waits, saying why, until a physical node comes; only that node runs it")
    func waitsForPhysicalNode() async throws {
        try await withController { controller in
            let fixture = try await Fixture.make(controller, product: "firmware", version: "4.2", script: "echo \"case $1\"")
            // Whatever this machine is, the config file says what the agent reports.
            try await withAgent(
                controller,
                name: "vm-1",
                products: [fixture.inventory],
                extra: #"labels = ["kind:virtual"]"#
            ) { virtual in
                try await waitUntil("vm-1 reports its labels") {
                    try await node(controller, named: "vm-1")?.labels.contains("kind:virtual") == true
                }
                let vm = try #require(try await node(controller, named: "vm-1"))
                #expect(vm.labels.contains("os:linux") && vm.labels.contains { $0.hasPrefix("arch:") })
                #expect(!vm.labels.contains("kind:physical") && vm.reportedLabels == vm.labels && vm.assignedLabels.isEmpty)

                let physicalOnly = try await controller.submit(
                    fixture.submission(["flash", "reboot"], name: "on hardware", labels: ["kind:physical"])
                )
                #expect(physicalOnly.labels == ["kind:physical"])
                // The virtual node is at work meanwhile: it runs a task without labels and leaves the other alone.
                let anywhere = try await controller.submit(fixture.submission(["anywhere"], name: "anywhere"))
                #expect(try await controller.waitForTask(anywhere.id).counts.passed == 1)
                let waiting = try await controller.task(physicalOnly.id)
                #expect(waiting.state == .queued && waiting.counts.queued == 2)
                #expect(
                    waiting.pendingReason
                        == "no node with product firmware 4.2 with tool \(fixture.tool.name) 1 has the label kind:physical"
                )

                try await withAgent(
                    controller,
                    name: "metal-1",
                    products: [fixture.inventory],
                    extra: #"labels = ["kind:physical", "gpu"]"#
                ) { metal in
                    let done = try await controller.waitForTask(physicalOnly.id)
                    #expect(done.state == .completed && done.counts.passed == 2)
                    #expect(try await controller.cases(physicalOnly.id).allSatisfy { $0.node?.name == "metal-1" })
                    let hardware = try #require(try await node(controller, named: "metal-1"))
                    #expect(hardware.labels.contains("kind:physical") && hardware.labels.contains("gpu"))
                    #expect(!hardware.labels.contains { $0.hasPrefix("kind:") && $0 != "kind:physical" })
                    try await RunningCounts.expectExact(database: controller.services.database)
                }
            }
        }
    }

    @Test("labels hold for the lease statement, the hand-off to waiting nodes and the result's next case")
    func everyWayOfLeasing() async throws {
        try await withController { controller in
            let fixture = try await Fixture.make(controller, script: "true")
            let inventory = [fixture.simulatedInventory]
            let plain = try await SimulatedNode.enroll(controller, name: "plain", products: inventory, labels: ["os:linux"])
            let gpu = try await SimulatedNode.enroll(controller, name: "gpu", products: inventory, labels: ["gpu", "os:linux"])

            // Lease statement: the plain node finds nothing; the labelled one takes it.
            let needsGPU = try await controller.submit(fixture.submission(["g1", "g2", "g3"], name: "gpu", labels: ["os:linux", "gpu"]))
            #expect(try await plain.lease() == nil)
            let first = try #require(try await gpu.lease())
            #expect(first.taskId == needsGPU.id)

            // The result's next case: still only for a node with the labels.
            let second = try #require(try await gpu.finishAndNext(first, .passed))
            #expect(second.taskId == needsGPU.id)

            // Hand-off: both wait; the statement that stores a new task hands a case to the labelled node only.
            let third = try #require(try await gpu.finishAndNext(second, .passed))
            try await gpu.finish(third, .passed)
            #expect(try await controller.task(needsGPU.id).state == .completed)
            let plainWaits = Task { try await plain.lease(wait: 30) }
            let gpuWaits = Task { try await gpu.lease(wait: 30) }
            try await waitUntil("both nodes wait") { controller.services.waiters.suspended == 2 }
            let handed = try await controller.submit(fixture.submission(["h1", "h2"], name: "handed", labels: ["gpu"]))
            #expect(handed.counts.leased == 1 && handed.counts.queued == 1)
            let gpuCase = try #require(try await gpuWaits.value)
            #expect(gpuCase.taskId == handed.id)
            plainWaits.cancel()
            #expect(((try? await plainWaits.value) ?? nil) == nil, "the node without the label leased nothing")
            // Else the abandoned request, woken by the label change below, would lease a case no one receives.
            try await waitUntil("the controller notices the hang-up") { controller.services.waiters.count == 0 }
            #expect(try await controller.cases(handed.id).compactMap(\.node?.name) == ["gpu"])

            // An admin assigns the label: the plain node may now run such a task, and keeps what its agent reports.
            let patched = try await controller.admin.request(.PATCH, "/api/v1/nodes/\(plain.id)", json: NodePatch(labels: ["gpu"]))
                .decode(NodeInfo.self)
            #expect(patched.labels == ["gpu", "os:linux"] && patched.assignedLabels == ["gpu"] && patched.reportedLabels == ["os:linux"])
            let later = try await controller.submit(fixture.submission(["p1"], name: "later", labels: ["gpu"]))
            #expect(try await plain.lease()?.taskId == later.id)
            // Reported labels replace what the agent reported before, never what an admin assigned.
            let report = try await plain.client.request(
                .POST,
                "/api/v1/agent/inventory",
                json: Inventory(products: inventory, labels: ["kind:virtual"])
            )
            #expect(report.status == 200)
            let reported = try #require(try await node(controller, named: "plain"))
            #expect(reported.labels == ["gpu", "kind:virtual"] && reported.assignedLabels == ["gpu"])

            // Labels that cannot be stored are refused with the field named.
            for bad in [[""], ["two words"], ["a,b"], ["nul\u{0}"]] {
                let answer = try await controller.admin.request(.POST, "/api/v1/tasks", json: fixture.submission(["x"], labels: bad))
                #expect(answer.status == 422 && answer.text.contains("labels[0]"), "\(bad): \(answer.status) \(answer.text)")
                let inventoryAnswer = try await plain.client.request(
                    .POST,
                    "/api/v1/agent/inventory",
                    json: Inventory(products: inventory, labels: bad)
                )
                #expect(inventoryAnswer.status == 422)
                let patch = try await controller.admin.request(.PATCH, "/api/v1/nodes/\(plain.id)", json: NodePatch(labels: bad))
                #expect(patch.status == 422)
            }
            try await RunningCounts.expectExact(database: controller.services.database)
        }
    }
}
