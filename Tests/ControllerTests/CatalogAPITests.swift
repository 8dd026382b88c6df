import ControllerClient
import Foundation
import Testing
import WireProtocol

@testable import testfleet_controller

@Suite("Catalog API over HTTPS")
struct CatalogAPITests {
    @Test("products: create, read, list with filter and pages, update, delete; every error status")
    func products() async throws {
        try await withController { controller in
            let api = controller.admin

            let created = try await api.request(.POST, "/api/v1/products", json: ProductInput(name: "shop", version: "1.0"))
            #expect(created.status == 201)
            let product = try created.decode(Product.self)
            #expect(product.name == "shop" && product.version == "1.0" && product.id > 0)

            let duplicate = try await api.request(.POST, "/api/v1/products", json: ProductInput(name: "shop", version: "1.0"))
            #expect(duplicate.status == 409)
            #expect(duplicate.errorMessage == "product shop 1.0 already exists")

            let malformed = try await api.request(.POST, "/api/v1/products", raw: #"{"name": "x", "#)
            #expect(malformed.status == 400)
            #expect(malformed.errorMessage?.hasPrefix("malformed JSON") == true)

            let missing = try await api.request(.POST, "/api/v1/products", raw: #"{"version": "1"}"#)
            #expect(missing.status == 422)
            #expect(missing.errorMessage == "name: required field is missing")

            let wrongType = try await api.request(.POST, "/api/v1/products", raw: #"{"name": 5, "version": "1"}"#)
            #expect(wrongType.status == 422)
            #expect(wrongType.errorMessage?.hasPrefix("name:") == true)

            let badURL = try await api.request(
                .POST,
                "/api/v1/products",
                json: ProductInput(name: "x", version: "1", downloadUrl: "ftp:/nope")
            )
            #expect(badURL.status == 422)

            for version in 2...5 {
                _ = try await api.request(.POST, "/api/v1/products", json: ProductInput(name: "shop", version: "\(version).0"))
            }
            _ = try await api.request(.POST, "/api/v1/products", json: ProductInput(name: "other", version: "1"))
            let filtered = try await api.request(.GET, "/api/v1/products?name=shop").decode(Page<Product>.self)
            #expect(filtered.items.count == 5 && filtered.items.allSatisfy { $0.name == "shop" })

            var seen: [Int64] = []
            var cursor: String?
            repeat {
                let path = "/api/v1/products?limit=2" + (cursor.map { "&cursor=\($0)" } ?? "")
                let page = try await api.request(.GET, path).decode(Page<Product>.self)
                #expect(page.items.count <= 2)
                seen += page.items.map(\.id)
                cursor = page.nextCursor
            } while cursor != nil
            #expect(seen.count == 6 && Set(seen).count == 6)
            #expect(try await api.request(.GET, "/api/v1/products?limit=0").status == 422)
            #expect(try await api.request(.GET, "/api/v1/products?cursor=abc").status == 422)

            let fetched = try await api.request(.GET, "/api/v1/products/\(product.id)")
            #expect(try fetched.decode(Product.self) == product)
            #expect(try await api.request(.GET, "/api/v1/products/999999").status == 404)
            #expect(try await api.request(.GET, "/api/v1/products/abc").status == 404)

            let updated = try await api.request(
                .PUT,
                "/api/v1/products/\(product.id)",
                json: ProductInput(name: "shop", version: "1.0", downloadUrl: "https://example.com/shop-1.0.tgz")
            )
            #expect(updated.status == 200)
            #expect(try updated.decode(Product.self).downloadUrl == "https://example.com/shop-1.0.tgz")
            let clash = try await api.request(.PUT, "/api/v1/products/\(product.id)", json: ProductInput(name: "shop", version: "2.0"))
            #expect(clash.status == 409)

            #expect(try await api.request(.DELETE, "/api/v1/products/\(product.id)").status == 204)
            #expect(try await api.request(.GET, "/api/v1/products/\(product.id)").status == 404)
            #expect(try await api.request(.DELETE, "/api/v1/products/\(product.id)").status == 404)
        }
    }

    @Test("tools, product ↔ tool links and test results with history")
    func toolsLinksAndResults() async throws {
        try await withController { controller in
            let api = controller.admin
            let product = try await api.request(.POST, "/api/v1/products", json: ProductInput(name: "app", version: "2.1"))
                .decode(Product.self)
            let tool = try await api.request(
                .POST,
                "/api/v1/tools",
                json: ToolInput(name: "pytest", version: "8", runCommand: "{tool_dir}/run {case}", defaultTimeoutS: 120)
            ).decode(Tool.self)
            #expect(tool.defaultTimeoutS == 120 && tool.runCommand == "{tool_dir}/run {case}")
            let second = try await api.request(
                .POST,
                "/api/v1/tools",
                json: ToolInput(name: "robot", version: "7", runCommand: "robot {case}")
            ).decode(Tool.self)
            #expect(second.defaultTimeoutS == 600)
            #expect(try await api.request(.POST, "/api/v1/tools", json: ToolInput(name: "x", version: "1", runCommand: " ")).status == 422)
            #expect(
                try await api.request(.POST, "/api/v1/tools", json: ToolInput(name: "x", version: "1", runCommand: "x", defaultTimeoutS: 0))
                    .status == 422
            )

            let linked = try await api.request(
                .PUT,
                "/api/v1/products/\(product.id)/tools",
                json: ProductToolsInput(toolIds: [tool.id, second.id])
            )
            #expect(linked.status == 200)
            let listed = try await api.request(.GET, "/api/v1/products/\(product.id)/tools").decode(ItemsResponse<Tool>.self)
            #expect(Set(listed.items.map(\.id)) == [tool.id, second.id])
            _ = try await api.request(.PUT, "/api/v1/products/\(product.id)/tools", json: ProductToolsInput(toolIds: [second.id]))
            let after = try await api.request(.GET, "/api/v1/products/\(product.id)/tools").decode(ItemsResponse<Tool>.self)
            #expect(after.items.map(\.id) == [second.id])
            let unknownTool = try await api.request(.PUT, "/api/v1/products/\(product.id)/tools", json: ProductToolsInput(toolIds: [424242]))
            #expect(unknownTool.status == 422)
            #expect(unknownTool.errorMessage == "tool_ids: no tool 424242")
            #expect(try await api.request(.PUT, "/api/v1/products/999999/tools", json: ProductToolsInput(toolIds: [])).status == 404)

            #expect(try await api.request(.PUT, "/api/v1/products/\(product.id)/test-result", json: TestResultInput(passRate: 1.01)).status == 422)
            #expect(try await api.request(.PUT, "/api/v1/products/\(product.id)/test-result", json: TestResultInput(passRate: -0.1)).status == 422)
            let empty = try await api.request(.GET, "/api/v1/products/\(product.id)/test-result").decode(TestResult.self)
            #expect(empty.passRate == nil && empty.history.isEmpty)
            _ = try await api.request(
                .PUT,
                "/api/v1/products/\(product.id)/test-result",
                json: TestResultInput(passRate: 0.9, reportUrl: "https://ci.example.com/1", source: "ci")
            )
            let set = try await api.request(
                .PUT,
                "/api/v1/products/\(product.id)/test-result",
                json: TestResultInput(passRate: 0.97, reportUrl: "https://ci.example.com/2")
            )
            #expect(set.status == 200)
            let current = try await api.request(.GET, "/api/v1/products/\(product.id)/test-result").decode(TestResult.self)
            #expect(current.passRate == 0.97 && current.reportUrl == "https://ci.example.com/2")
            #expect(current.history.map(\.passRate) == [0.97, 0.9])
            #expect(current.updatedAt != nil)
        }
    }

    @Test("artifacts stream to disk with size and sha256, download again, and respect the size limit")
    func artifacts() async throws {
        try await withController(.set { $0.artifactMaxBytes = 1 << 20 }) { controller in
            let api = controller.admin
            let product = try await api.request(.POST, "/api/v1/products", json: ProductInput(name: "art", version: "1"))
                .decode(Product.self)
            var content = Data()
            for index in 0..<50_000 { content.append(contentsOf: "line \(index)\r\n--boundary-ish\n".utf8) }
            content = content.prefix(700_000)
            let boundary = "----testfleet\(UUID().uuidString)"
            var body = Data("--\(boundary)\r\nContent-Disposition: form-data; name=\"note\"\r\n\r\nhello\r\n".utf8)
            body += Data("--\(boundary)\r\nContent-Disposition: form-data; name=\"file\"; filename=\"art-1.tar.gz\"\r\n".utf8)
            body += Data("Content-Type: application/gzip\r\n\r\n".utf8) + content + Data("\r\n--\(boundary)--\r\n".utf8)
            let upload = try await api.send(
                .POST,
                "/api/v1/products/\(product.id)/artifact",
                body: body,
                contentType: "multipart/form-data; boundary=\(boundary)"
            )
            #expect(upload.status == 201)
            let artifact = try WireJSON.decoder().decode(Artifact.self, from: upload.body)
            #expect(artifact.filename == "art-1.tar.gz")
            #expect(artifact.size == Int64(content.count))
            #expect(artifact.sha256 == CertificatePin.fingerprint(der: Array(content)))
            let download = try await api.send(.GET, "/api/v1/products/\(product.id)/artifact")
            #expect(download.status == 200 && download.body == content)
            let again = try await api.request(.GET, "/api/v1/products/\(product.id)").decode(Product.self)
            #expect(again.artifact == artifact)

            let tooLarge = try await api.send(
                .POST,
                "/api/v1/products/\(product.id)/artifact?filename=big.bin",
                body: Data(count: 2 << 20),
                contentType: "application/octet-stream"
            )
            #expect(tooLarge.status == 413)
            let unchanged = try await api.request(.GET, "/api/v1/products/\(product.id)").decode(Product.self)
            #expect(unchanged.artifact == artifact)
            #expect(try await api.request(.GET, "/api/v1/tools/1/artifact").status == 404)
        }
    }
}
