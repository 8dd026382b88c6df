import ControllerClient
import Foundation
import Testing
import WireProtocol

@testable import testfleet_controller

/// Schemathesis (from PyPI) against the OpenAPI document: generated requests, good and bad, with an admin
/// token. No answer may be a 5xx, and every answer must match the document.
@Suite("API fuzzing", .serialized)
struct FuzzTests {
    /// A `python3` that can import schemathesis: the first on PATH, else the system one.
    static func python() async -> String? {
        let path = (ProcessInfo.processInfo.environment["PATH"] ?? "").split(separator: ":").map(String.init)
        for directory in path + ["/usr/local/bin", "/usr/bin"] {
            let candidate = "\(directory)/python3"
            guard FileManager.default.isExecutableFile(atPath: candidate),
                let probe = try? await ProcessRunner.run(candidate, ["-c", "import schemathesis.cli"]), probe.status == 0
            else { continue }
            return candidate
        }
        return nil
    }

    @Test("schemathesis finds no server error and no answer that contradicts the document")
    func fuzz() async throws {
        let python = try #require(await Self.python(), "no python3 with schemathesis: pip install 'schemathesis>=4,<5'")
        try await withController { controller in
            let fixture = try await Fixture.make(controller, script: "true")
            _ = try await controller.submit(fixture.submission(["a", "b"]))
            let ca = controller.dataDirectory.appendingPathComponent("tls/ca.crt").path
            let report = FileManager.default.temporaryDirectory.appendingPathComponent("tf-fuzz-\(UUID().uuidString)")
            try FileManager.default.createDirectory(at: report, withIntermediateDirectories: true)
            defer { try? FileManager.default.removeItem(at: report) }
            let result = try await ProcessRunner.run(
                python,
                [
                    // Run from the report directory, where schemathesis also keeps its cache.
                    "-c",
                    "import os, sys; os.chdir('\(report.path)'); from schemathesis.cli import schemathesis; "
                        + "sys.argv[0] = 'schemathesis'; schemathesis()",
                    "run", controller.url + "/api/v1/openapi.json", "--header", "Authorization: Bearer \(controller.adminToken)",
                    "--tls-verify", ca, "--max-examples", "15",
                    // One worker: Python 3.11's parser can fail when hypothesis describes strategies on two threads.
                    "--workers", "1", "--no-color", "--seed", "1",
                    "--checks", "not_a_server_error,response_schema_conformance,status_code_conformance,content_type_conformance",
                    "--phases", "examples,coverage,fuzzing", "--generation-with-security-parameters", "false",
                    // Revoking the token the run uses, or disabling, demoting or deleting its user (possible once it has
                    // made another admin), would leave the rest of the run unauthenticated. The control-character test
                    // covers those bodies.
                    "--exclude-operation-id", "delete-tokens-by-id", "--exclude-operation-id", "patch-users-by-id",
                    "--exclude-operation-id", "delete-users-by-id", "--report-dir", report.path,
                ]
            )
            #expect(result.status == 0, "schemathesis found problems:\n\(result.output.suffix(6000))")
            #expect(result.output.contains("Tested:"), "\(result.output.suffix(2000))")
        }
    }
}
