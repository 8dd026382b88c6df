import ControllerClient
import Foundation
import NIOCore
import WireProtocol

@testable import testfleet_controller

/// A controller with a product, a linked tool and an enrolled node that has them installed, and a web client
/// logged in as the admin. The node is driven in-process (lease, log, result) so tests decide exactly what
/// runs.
struct WebFixture {
    let controller: TestController
    let web: WebClient
    let product: Product
    let tool: Tool
    let nodeID: Int64

    static let scriptCase = "<script>alert(1)</script>"

    static func start(productName: String = "shop") async throws -> WebFixture {
        let controller = try await TestController.start()
        let api = controller.admin
        let product = try await api.request(.POST, "/api/v1/products", json: ProductInput(name: productName, version: "1.0"))
            .decode(Product.self)
        let tool = try await api.request(.POST, "/api/v1/tools", json: ToolInput(name: "runner", version: "2", runCommand: "run {case}"))
            .decode(Tool.self)
        _ = try await api.request(.PUT, "/api/v1/products/\(product.id)/tools", json: ProductToolsInput(toolIds: [tool.id]))
        let services = controller.services
        let (_, secret) = try await services.nodes.createEnrollmentToken(EnrollmentTokenInput(), by: .console)
        let facts = NodeFacts(hostname: "lab-1", ip: "10.0.0.7", os: "linux", arch: "x86_64", agentVersion: "1.0", slots: 2)
        let node = try await services.nodes.enroll(token: secret, request: EnrollRequest(name: "lab-1", facts: facts))
        let inventory = Inventory(products: [
            InventoryProduct(
                name: product.name,
                version: product.version,
                path: "/opt/shop",
                tools: [InventoryTool(name: tool.name, version: tool.version, path: "/opt/runner")]
            )
        ])
        _ = try await services.nodes.replaceInventory(nodeID: node.nodeId, inventory: inventory)
        let web = try WebClient(controller)
        try await web.logIn()
        return WebFixture(controller: controller, web: web, product: product, tool: tool, nodeID: node.nodeId)
    }

    func stop() async { await controller.stop() }

    /// Submits a task through the API.
    func submit(_ cases: [String], name: String = "nightly") async throws -> TaskInfo {
        try await controller.submit(
            TaskSubmission(name: name, product: ItemReference(id: product.id), tool: ItemReference(id: tool.id), cases: cases)
        )
    }

    /// Submits a task through the API as `user`.
    func submit(_ cases: [String], as user: TestUser) async throws -> TaskInfo {
        try await user.client.request(
            .POST,
            "/api/v1/tasks",
            json: TaskSubmission(product: ItemReference(id: product.id), tool: ItemReference(id: tool.id), cases: cases)
        ).decode(TaskInfo.self)
    }

    /// A web client signed in as `user`, shut down when the controller stops.
    func session(_ user: TestUser) async throws -> WebClient {
        let web = try WebClient(controller)
        try await web.logIn(user.user.username, user.password)
        return web
    }

    /// Leases the next case on the fixture's node, as its agent would.
    func lease() async throws -> Lease {
        guard let lease = try await controller.services.leases.lease(nodeID: nodeID) else { throw TestFailure("nothing to lease") }
        return lease
    }

    /// Appends log text to a leased case.
    func log(_ lease: Lease, _ text: String, at offset: Int64) async throws {
        try await log(lease, bytes: Array(text.utf8), at: offset)
    }

    /// Appends log bytes to a leased case.
    func log(_ lease: Lease, bytes: some Collection<UInt8>, at offset: Int64) async throws {
        _ = try await controller.services.logs.append(
            runID: lease.leaseId,
            nodeID: nodeID,
            token: lease.token,
            offset: offset,
            bytes: ByteBuffer(bytes: bytes)
        )
    }

    /// Ends a leased case.
    func finish(_ lease: Lease, _ status: ResultStatus, message: String? = nil) async throws {
        let result = CaseResult(token: lease.token, status: status, exitCode: status == .passed ? 0 : 1, durationMs: 1500, message: message)
        _ = try await controller.services.leases.finish(runID: lease.leaseId, nodeID: nodeID, result: result)
    }
}

/// Starts a ``WebFixture``, runs `body` with it, and stops it however `body` ends.
func withWebFixture<T>(productName: String = "shop", _ body: (WebFixture) async throws -> T) async throws -> T {
    try await using(try await WebFixture.start(productName: productName), stop: { await $0.stop() }, body)
}
