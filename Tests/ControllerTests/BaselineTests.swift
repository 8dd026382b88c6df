import ControllerClient
import Foundation
import Testing
import WireProtocol

/// A report's baseline: the closest lower version in natural order, whatever order the versions finished in.
@Suite("Report baseline by version order")
struct BaselineTests {
    @Test("versions finishing out of order are compared with the closest lower version, its newest task")
    func closestLowerVersion() async throws {
        try await withController { controller in
            // `check` fails on 1.10 only.
            let fixture = try await Fixture.make(
                controller,
                product: "shop",
                version: "1.9",
                script: "[ \"$1\" = check ] && [ \"$TESTFLEET_PRODUCT_VERSION\" = 1.10 ] && exit 1\nexit 0"
            )
            var products = ["1.9": fixture.product.id]
            for version in ["1.10", "2.0-rc1", "2.0", "2.0.1"] {
                let product = try await controller.admin.request(.POST, "/api/v1/products", json: ProductInput(name: "shop", version: version))
                    .decode(Product.self)
                _ = try await controller.admin.request(
                    .PUT,
                    "/api/v1/products/\(product.id)/tools",
                    json: ProductToolsInput(toolIds: [fixture.tool.id])
                )
                products[version] = product.id
            }
            let inventory = products.keys.map { version in
                var product = fixture.inventory
                product.version = version
                return product
            }
            try await withAgent(controller, name: "shop-runner", products: inventory) { agent in

                /// Runs a task of `version` to its end and returns it with its report.
                func finish(_ version: String) async throws -> (task: TaskInfo, report: TaskReport) {
                    var submission = fixture.submission(["check", "other"], name: "shop \(version)")
                    submission.product = ItemReference(id: products[version]!)
                    let task = try await controller.submit(submission)
                    #expect(try await controller.waitForTask(task.id).state == .completed)
                    let report = try await controller.admin.request(.GET, "/api/v1/tasks/\(task.id)/report").decode(TaskReport.self)
                    return (task, report)
                }

                let older19 = try await finish("1.9")
                #expect(older19.report.baseline == nil && older19.report.comparison == nil)
                let v20 = try await finish("2.0")
                #expect(v20.report.baseline == TaskReport.Baseline(taskId: older19.task.id, version: "1.9"))
                let newer19 = try await finish("1.9")
                // Not 2.0, which finished last: it is higher. Not 1.9 either: the same version.
                #expect(newer19.report.baseline == nil)
                let v110 = try await finish("1.10")
                // 1.9 is closest below 1.10, and the newer of its two tasks is the baseline.
                #expect(v110.report.baseline == TaskReport.Baseline(taskId: newer19.task.id, version: "1.9"))
                #expect(v110.report.comparison?.newlyFailing == ["check"])
                // `check` failed here and passed in the earlier tasks of the product name: flaky; `other` never failed.
                let flipped = TaskReport.FlakyCase(name: "check", reason: "passed and failed across its recent runs")
                #expect(older19.report.flaky.isEmpty && newer19.report.flaky.isEmpty)
                #expect(v110.report.flaky == [flipped])
                let rc = try await finish("2.0-rc1")
                #expect(rc.report.baseline == TaskReport.Baseline(taskId: v110.task.id, version: "1.10"))
                #expect(rc.report.comparison?.baselineTaskId == v110.task.id && rc.report.comparison?.newlyPassing == ["check"])
                let patch = try await finish("2.0.1")
                #expect(patch.report.baseline == TaskReport.Baseline(taskId: v20.task.id, version: "2.0"))
                #expect(patch.report.flaky == [flipped])
                // The JSON names the baseline as the API documents it.
                let json = try await controller.admin.request(.GET, "/api/v1/tasks/\(patch.task.id)/report").body
                let baseline = (try JSONSerialization.jsonObject(with: json) as? [String: Any])?["baseline"] as? [String: Any]
                #expect(baseline?["task_id"] as? Int == Int(v20.task.id) && baseline?["version"] as? String == "2.0")
            }
        }
    }
}
