import Crypto
import Foundation
import Testing
import WireProtocol

@testable import testfleet_controller

/// Hostile archives (`Tests/Fixtures/hostile_archives.py`) uploaded as a tool's artifact and installed on a
/// node by a real agent; downloads checked against the SHA-256 their catalog entry gives.
@Suite("Hostile archives through install jobs", .serialized)
struct HostileInstallTests {
    struct Case: Decodable {
        var name: String
        var file: String
        var expect: String
    }

    static let script = URL(fileURLWithPath: #filePath).deletingLastPathComponent().appendingPathComponent("../Fixtures/hostile_archives.py")
        .standardizedFileURL

    /// Every path under `directory`, relative to it, links not followed.
    static func tree(_ directory: URL) -> Set<String> {
        Set((FileManager.default.enumerator(atPath: directory.path)?.allObjects as? [String]) ?? [])
    }

    @Test("each hostile archive fails its job with its message, nothing lands outside or stays installed, the node goes on")
    func corpus() async throws {
        try await withController { controller in
            let api = controller.admin
            let work = FileManager.default.temporaryDirectory.appendingPathComponent("tf-hostile-e2e-\(UUID().uuidString.prefix(8))")
            let outside = work.appendingPathComponent("outside")
            try FileManager.default.createDirectory(at: outside, withIntermediateDirectories: true)
            defer { try? FileManager.default.removeItem(at: work) }
            let archives = work.appendingPathComponent("archives")
            let generated = try await ProcessRunner.run("/usr/bin/env", ["python3", Self.script.path, archives.path, outside.path])
            try #require(generated.status == 0, "\(generated.output)")
            let cases = try JSONDecoder().decode([Case].self, from: Data(contentsOf: archives.appendingPathComponent("manifest.json")))

            let fixture = try await Fixture.make(controller, script: "true")
            let evil = try await api.request(
                .POST,
                "/api/v1/tools",
                json: ToolInput(name: "evil", version: "1", runCommand: "{tool_dir}/run.sh {case}")
            )
            .decode(Tool.self)
            _ = try await api.request(
                .PUT,
                "/api/v1/products/\(fixture.product.id)/tools",
                json: ProductToolsInput(toolIds: [fixture.tool.id, evil.id])
            )
            try await withAgent(controller, name: "hostile-target", products: [fixture.inventory]) { agent in
                let nodeID = try await InstallJobTests().node(controller, named: "hostile-target")
                try await InstallJobTests().waitForInventory(controller, nodeID: nodeID)
                func snapshot() -> Set<String> {
                    Self.tree(agent.directory).filter { !$0.hasPrefix("agent-data/spool") && !$0.hasPrefix("agent-data/work") && $0 != "agent.log" }
                }
                // What an install of the tool may leave after it failed: the empty directories above its place.
                let allowed = snapshot().union(["agent-data/tools", "agent-data/tools/evil", "agent-data/downloads"])
                func install() async throws -> InstallJob {
                    let job = try await api.request(
                        .POST,
                        "/api/v1/nodes/\(nodeID)/environment",
                        json: EnvironmentChange(productId: fixture.product.id, toolIds: [evil.id], action: .install)
                    ).decode(InstallJob.self)
                    return try await InstallJobTests().waitForJob(controller, job.id)
                }

                #expect(cases.count >= 40)
                for item in cases {
                    _ = try await InstallJobTests().upload(
                        controller,
                        "tools",
                        evil.id,
                        item.file,
                        try Data(contentsOf: archives.appendingPathComponent(item.file))
                    )
                    let job = try await install()
                    #expect(job.state == .failed, "\(item.name) installed: \(job.log ?? "")")
                    #expect(job.message?.contains(item.expect) == true, "\(item.name): \(job.message ?? "no message")")
                    let left = snapshot().subtracting(allowed)
                    #expect(left.isEmpty, "\(item.name) left \(left.sorted())")
                    #expect(Self.tree(outside).isEmpty, "\(item.name) wrote \(Self.tree(outside)) outside")
                    let environment = try await api.request(.GET, "/api/v1/nodes/\(nodeID)/environment").decode(NodeEnvironment.self)
                    #expect(environment.products.first?.tools.first { $0.name == "evil" }?.state == .failed, "\(item.name)")
                }

                // The node goes on working: a good archive installs, and a case runs with it.
                let good = try await InstallJobTests.tarball(["run.sh": "#!/bin/sh\necho \"ran $1\"\n"])
                _ = try await InstallJobTests().upload(controller, "tools", evil.id, "evil-1.tar.gz", good)
                let installed = try await install()
                #expect(installed.state == .succeeded, "\(installed.message ?? "") \(installed.log ?? "")")
                #expect(Self.tree(agent.directory.appendingPathComponent("agent-data/tools/evil")) == ["1", "1/run.sh"])
                let task = try await controller.submit(
                    TaskSubmission(name: "after", product: ItemReference(id: fixture.product.id), tool: ItemReference(id: evil.id), cases: ["one"])
                )
                #expect(try await controller.waitForTask(task.id).counts.passed == 1)
                #expect(try await controller.log(try await controller.cases(task.id)[0].id).contains("ran one"))
            }
        }
    }

    @Test("a download URL's SHA-256 is checked: the right one installs, another fails the job and installs nothing")
    func downloadChecksum() async throws {
        try await withController { controller in
            let api = controller.admin
            let served = FileManager.default.temporaryDirectory.appendingPathComponent("tf-served-\(UUID().uuidString.prefix(8))")
            try FileManager.default.createDirectory(at: served, withIntermediateDirectories: true)
            defer { try? FileManager.default.removeItem(at: served) }
            let kit = try await InstallJobTests.tarball(["bin/kit.sh": "#!/bin/sh\necho kit\n"])
            try kit.write(to: served.appendingPathComponent("kit.tar.gz"))
            let digest = SHA256.hash(data: kit).map { String(format: "%02x", $0) }.joined()
            let port = try PortProbe.freePort()
            let server = AgentProcesses()
            try server.start(
                executable: "/usr/bin/env",
                arguments: ["python3", "-m", "http.server", String(port), "--bind", "127.0.0.1", "--directory", served.path],
                log: served.appendingPathComponent("server.log")
            )
            defer { server.stopAll() }
            try? await waitUntil("the file server to listen", timeout: 5, every: .milliseconds(50)) { !PortProbe.isFree(port) }
            let url = "http://127.0.0.1:\(port)/kit.tar.gz"

            let refused = try await api.request(
                .POST,
                "/api/v1/tools",
                json: ToolInput(name: "x", version: "1", runCommand: "x", downloadSha256: digest)
            )
            #expect(refused.status == 422 && refused.errorMessage?.contains("download_sha256") == true)
            let malformed = try await api.request(
                .POST,
                "/api/v1/tools",
                json: ToolInput(name: "x", version: "1", runCommand: "x", downloadUrl: url, downloadSha256: "abc")
            )
            #expect(malformed.status == 422 && malformed.errorMessage?.contains("64 hexadecimal digits") == true)

            let fixture = try await Fixture.make(controller, script: "true")
            let right = try await api.request(
                .POST,
                "/api/v1/tools",
                json: ToolInput(name: "kit", version: "1", runCommand: "x", downloadUrl: url, downloadSha256: digest.uppercased())
            ).decode(Tool.self)
            #expect(right.downloadSha256 == digest)
            let wrong = try await api.request(
                .POST,
                "/api/v1/tools",
                json: ToolInput(name: "kit", version: "2", runCommand: "x", downloadUrl: url, downloadSha256: String(repeating: "0", count: 64))
            ).decode(Tool.self)
            _ = try await api.request(.PUT, "/api/v1/products/\(fixture.product.id)/tools", json: ProductToolsInput(toolIds: [right.id, wrong.id]))
            try await withAgent(controller, name: "downloader", products: [fixture.inventory]) { agent in
                let nodeID = try await InstallJobTests().node(controller, named: "downloader")
                try await InstallJobTests().waitForInventory(controller, nodeID: nodeID)
                for (tool, succeeds) in [(wrong, false), (right, true)] {
                    let job = try await api.request(
                        .POST,
                        "/api/v1/nodes/\(nodeID)/environment",
                        json: EnvironmentChange(productId: fixture.product.id, toolIds: [tool.id], action: .install)
                    ).decode(InstallJob.self)
                    let done = try await InstallJobTests().waitForJob(controller, job.id)
                    let place = agent.directory.appendingPathComponent("agent-data/tools/kit/\(tool.version)/bin/kit.sh")
                    if succeeds {
                        #expect(done.state == .succeeded && done.log?.contains("SHA-256 \(digest), verified") == true, "\(done.log ?? "")")
                        #expect(FileManager.default.isExecutableFile(atPath: place.path))
                    } else {
                        #expect(done.state == .failed && done.message?.contains("checksum mismatch") == true, "\(done.message ?? "")")
                        #expect(!FileManager.default.fileExists(atPath: place.deletingLastPathComponent().deletingLastPathComponent().path))
                    }
                }
            }
        }
    }
}
