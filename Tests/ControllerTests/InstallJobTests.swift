import ControllerClient
import Foundation
import Testing
import WireProtocol

@testable import testfleet_controller

/// Environment management end to end: artifacts uploaded to the controller, installed on a node by its agent.
@Suite("Install jobs end to end", .serialized)
struct InstallJobTests {
    /// A gzipped tarball built by Python's tarfile from `files` (name → content, executable when the name
    /// ends in `.sh`).
    static func tarball(_ files: [String: String]) async throws -> Data {
        let output = FileManager.default.temporaryDirectory.appendingPathComponent("tf-tarball-\(UUID().uuidString).tgz")
        let spec = String(decoding: try JSONSerialization.data(withJSONObject: files), as: UTF8.self)
        let script = """
            import io, json, sys, tarfile
            with tarfile.open(sys.argv[1], "w:gz") as t:
                for name, content in json.loads(sys.argv[2]).items():
                    data = content.encode(); info = tarfile.TarInfo(name); info.size = len(data)
                    info.mode = 0o755 if name.endswith(".sh") else 0o644
                    t.addfile(info, io.BytesIO(data))
            """
        let result = try await ProcessRunner.run("/usr/bin/env", ["python3", "-c", script, output.path, spec])
        guard result.status == 0 else { throw TestFailure("tarball: \(result.output)") }
        return try Data(contentsOf: output)
    }

    func upload(_ controller: TestController, _ kind: String, _ id: Int64, _ name: String, _ data: Data) async throws -> Artifact {
        let answer = try await controller.admin.send(
            .POST,
            "/api/v1/\(kind)/\(id)/artifact?filename=\(name)",
            body: data,
            contentType: "application/octet-stream"
        )
        guard answer.status == 201 else { throw TestFailure("upload: \(answer.status)") }
        return try WireJSON.decoder().decode(Artifact.self, from: answer.body)
    }

    func waitForJob(_ controller: TestController, _ id: Int64) async throws -> InstallJob {
        do {
            return try await waitFor("install job \(id) to end", timeout: 60, every: .milliseconds(200)) {
                let job = try await controller.admin.request(.GET, "/api/v1/install-jobs/\(id)").decode(InstallJob.self)
                return job.state.isTerminal ? job : nil
            }
        } catch let failure as TestFailure {
            let job = try await controller.admin.request(.GET, "/api/v1/install-jobs/\(id)").decode(InstallJob.self)
            throw TestFailure("\(failure): \(job.state) \(job.log ?? "")")
        }
    }

    /// Waits until the node's inventory (from its config file) has arrived.
    func waitForInventory(_ controller: TestController, nodeID: Int64) async throws {
        try? await waitUntil("node \(nodeID)'s inventory", timeout: 5, every: .milliseconds(100)) {
            !(try await controller.admin.request(.GET, "/api/v1/nodes/\(nodeID)/environment").decode(NodeEnvironment.self)).products.isEmpty
        }
    }

    func node(_ controller: TestController, named name: String) async throws -> Int64 {
        let nodes = try await controller.admin.request(.GET, "/api/v1/nodes").decode(Page<NodeInfo>.self)
        return try #require(nodes.items.first { $0.name == name }).id
    }

    @Test("install a product and its tool from uploaded tarballs, run a task with them, uninstall")
    func installRunUninstall() async throws {
        try await withController { controller in
            let api = controller.admin
            let product = try await api.request(.POST, "/api/v1/products", json: ProductInput(name: "pkg", version: "1.0")).decode(Product.self)
            let tool = try await api.request(
                .POST,
                "/api/v1/tools",
                json: ToolInput(name: "kit", version: "1", runCommand: "{tool_dir}/bin/run.sh {case} {product_dir}")
            ).decode(Tool.self)
            _ = try await api.request(.PUT, "/api/v1/products/\(product.id)/tools", json: ProductToolsInput(toolIds: [tool.id]))
            _ = try await upload(controller, "products", product.id, "pkg-1.0.tar.gz", try await Self.tarball(["data/answer.txt": "42"]))
            _ = try await upload(
                controller,
                "tools",
                tool.id,
                "kit-1.tgz",
                try await Self.tarball(["bin/run.sh": "#!/bin/sh\necho \"case $1: answer $(cat $2/data/answer.txt)\"\n"])
            )
            try await withAgent(controller, name: "blank", products: []) { agent in
                let nodeID = try await node(controller, named: "blank")

                let queued = try await api.request(
                    .POST,
                    "/api/v1/nodes/\(nodeID)/environment",
                    json: EnvironmentChange(productId: product.id, toolIds: [tool.id], action: .install)
                )
                #expect(queued.status == 202)
                let job = try queued.decode(InstallJob.self)
                #expect(job.action == .install && job.tools.map(\.id) == [tool.id])
                let during = try await api.request(.GET, "/api/v1/nodes/\(nodeID)/environment").decode(NodeEnvironment.self)
                #expect(during.products.first?.state == .installing || during.products.first?.state == .installed)
                let again = try await api.request(
                    .POST,
                    "/api/v1/nodes/\(nodeID)/environment",
                    json: EnvironmentChange(productId: product.id, toolIds: [tool.id], action: .install)
                )
                #expect(again.status == 409)

                let done = try await waitForJob(controller, job.id)
                #expect(done.state == .succeeded, "\(done.message ?? "") \(done.log ?? "")")
                #expect(done.log?.contains("verified size and SHA-256") == true)
                let environment = try await api.request(.GET, "/api/v1/nodes/\(nodeID)/environment").decode(NodeEnvironment.self)
                let installed = try #require(environment.products.first)
                #expect(installed.state == .installed && installed.source == .managed)
                #expect(installed.installPath.hasSuffix("/products/pkg/1.0"))
                #expect(installed.tools.first?.state == .installed && installed.tools.first?.installPath.hasSuffix("/tools/kit/1") == true)
                #expect(FileManager.default.fileExists(atPath: installed.installPath + "/data/answer.txt"))

                let task = try await controller.submit(
                    TaskSubmission(
                        name: "uses installs",
                        product: ItemReference(id: product.id),
                        tool: ItemReference(id: tool.id),
                        cases: ["one", "two"]
                    )
                )
                let ended = try await controller.waitForTask(task.id)
                #expect(ended.counts.passed == 2)
                #expect(try await controller.log(try await controller.cases(task.id)[0].id).contains("case one: answer 42"))

                let removal = try await api.request(
                    .POST,
                    "/api/v1/nodes/\(nodeID)/environment",
                    json: EnvironmentChange(productId: product.id, toolIds: [], action: .uninstall)
                ).decode(InstallJob.self)
                #expect(try await waitForJob(controller, removal.id).state == .succeeded)
                let after = try await api.request(.GET, "/api/v1/nodes/\(nodeID)/environment").decode(NodeEnvironment.self)
                #expect(after.products.isEmpty)
                #expect(!FileManager.default.fileExists(atPath: installed.installPath))
                #expect(after.jobs.map(\.id) == [removal.id, job.id])
            }
        }
    }

    @Test("a checksum mismatch fails the job and leaves nothing installed; archives climbing out are refused; config items stay")
    func failures() async throws {
        try await withController { controller in
            let api = controller.admin
            let fixture = try await Fixture.make(controller, script: "true")
            let product = fixture.product
            let tampered = try await api.request(.POST, "/api/v1/tools", json: ToolInput(name: "tampered", version: "1", runCommand: "x"))
                .decode(Tool.self)
            let evil = try await api.request(.POST, "/api/v1/tools", json: ToolInput(name: "evil", version: "1", runCommand: "x"))
                .decode(Tool.self)
            _ = try await api.request(
                .PUT,
                "/api/v1/products/\(product.id)/tools",
                json: ProductToolsInput(toolIds: [fixture.tool.id, tampered.id, evil.id])
            )
            _ = try await upload(controller, "tools", tampered.id, "t.tgz", try await Self.tarball(["bin/t": "real"]))
            // The stored file changes after the upload: what the agent downloads no longer matches.
            try Data("tampered".utf8).write(to: controller.dataDirectory.appendingPathComponent("artifacts/tool-\(tampered.id)"))
            _ = try await upload(controller, "tools", evil.id, "e.tgz", try await Self.tarball(["../outside.txt": "x"]))
            try await withAgent(controller, name: "configured", products: [fixture.inventory]) { agent in
                let nodeID = try await node(controller, named: "configured")
                try await waitForInventory(controller, nodeID: nodeID)

                let mismatch = try await api.request(
                    .POST,
                    "/api/v1/nodes/\(nodeID)/environment",
                    json: EnvironmentChange(productId: product.id, toolIds: [tampered.id], action: .install)
                ).decode(InstallJob.self)
                let failed = try await waitForJob(controller, mismatch.id)
                #expect(failed.state == .failed && failed.message?.contains("checksum mismatch") == true)
                var environment = try await api.request(.GET, "/api/v1/nodes/\(nodeID)/environment").decode(NodeEnvironment.self)
                #expect(environment.products[0].tools.first { $0.name == "tampered" }?.state == .failed)

                let climbing = try await api.request(
                    .POST,
                    "/api/v1/nodes/\(nodeID)/environment",
                    json: EnvironmentChange(productId: product.id, toolIds: [evil.id], action: .install)
                ).decode(InstallJob.self)
                let refused = try await waitForJob(controller, climbing.id)
                #expect(refused.state == .failed && refused.message?.contains("climbs out") == true)
                #expect(!FileManager.default.fileExists(atPath: agent.directory.appendingPathComponent("agent-data/tools/evil/outside.txt").path))

                let configured = try await api.request(
                    .POST,
                    "/api/v1/nodes/\(nodeID)/environment",
                    json: EnvironmentChange(productId: product.id, toolIds: [], action: .uninstall)
                )
                #expect(configured.status == 409 && configured.errorMessage?.contains("config file") == true)
                let unlinked = try await api.request(
                    .POST,
                    "/api/v1/nodes/\(nodeID)/environment",
                    json: EnvironmentChange(productId: product.id, toolIds: [999_999], action: .install)
                )
                #expect(unlinked.status == 422)
                environment = try await api.request(.GET, "/api/v1/nodes/\(nodeID)/environment").decode(NodeEnvironment.self)
                #expect(environment.products[0].source == .agentConfig && environment.products[0].state == .installed)
            }
        }
    }
}
