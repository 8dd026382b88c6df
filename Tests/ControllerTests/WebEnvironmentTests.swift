import ControllerClient
import Foundation
import Testing
import WireProtocol

@testable import testfleet_controller

/// The node page's environment controls: tick a product's tools to install them, untick to remove them.
@Suite("Web environment controls")
struct WebEnvironmentTests {
    @Test("checkboxes per product, install a product, apply queues jobs, a job's page shows its log; CSRF and admin only")
    func environment() async throws {
        try await withWebFixture { fixture in
            let api = fixture.controller.admin
            let extra = try await api.request(.POST, "/api/v1/tools", json: ToolInput(name: "extra", version: "3", runCommand: "x"))
                .decode(Tool.self)
            _ = try await api.request(
                .PUT,
                "/api/v1/products/\(fixture.product.id)/tools",
                json: ProductToolsInput(toolIds: [fixture.tool.id, extra.id])
            )
            let other = try await api.request(.POST, "/api/v1/products", json: ProductInput(name: "other", version: "9")).decode(Product.self)

            let page = try await fixture.web.get("/nodes/\(fixture.nodeID)")
            #expect(page.status == 200)
            // The configured tool is checked and locked; the other linked tool can be ticked.
            #expect(page.body.contains(#"value="\#(fixture.tool.id)" checked disabled"#))
            #expect(page.body.contains(#"<input type="checkbox" name="tool" value="\#(extra.id)">"#))
            #expect(page.body.contains(#"<option value="\#(other.id)">other 9</option>"#))
            #expect(!page.body.contains("Uninstall shop 1.0"), "a product from the agent's config file is not the admin's to remove")

            let refused = try await fixture.web.post(
                "/nodes/\(fixture.nodeID)/environment",
                [("product_id", String(fixture.product.id)), ("tool", String(extra.id))],
                csrf: false
            )
            #expect(refused.status == 403)
            let applied = try await fixture.web.post(
                "/nodes/\(fixture.nodeID)/environment",
                [("product_id", String(fixture.product.id)), ("action", "apply"), ("tool", String(fixture.tool.id)), ("tool", String(extra.id))]
            )
            #expect(applied.status == 303 && applied.location == "/nodes/\(fixture.nodeID)")
            let installedProduct = try await fixture.web.post(
                "/nodes/\(fixture.nodeID)/environment",
                [("product_id", String(other.id)), ("action", "apply")]
            )
            #expect(installedProduct.status == 303)
            let environment = try await api.request(.GET, "/api/v1/nodes/\(fixture.nodeID)/environment").decode(NodeEnvironment.self)
            #expect(environment.jobs.count == 2)
            #expect(Set(environment.jobs.map(\.product.id)) == [fixture.product.id, other.id])
            #expect(environment.jobs.first { $0.product.id == fixture.product.id }?.tools.map(\.id) == [extra.id])
            let shop = try #require(environment.products.first { $0.productId == fixture.product.id })
            #expect(shop.tools.first { $0.toolId == extra.id }?.state == .installing)

            let after = try await fixture.web.get("/nodes/\(fixture.nodeID)")
            #expect(after.body.contains("Install jobs") && after.body.contains("installing"))
            let job = environment.jobs[0]
            let jobPage = try await fixture.web.get("/install-jobs/\(job.id)")
            #expect(jobPage.status == 200 && jobPage.body.contains("install") && jobPage.body.contains("queued"))
            #expect(try await fixture.web.get("/install-jobs/424242").status == 404)
            let bad = try await fixture.web.post("/nodes/\(fixture.nodeID)/environment", [("product_id", "x")])
            #expect(bad.status == 422)
        }
    }
}
