import ArgumentParser
import ControllerClient
import Foundation
import WireProtocol

/// `testfleet product`: the products in the catalog.
struct ProductCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "product",
        abstract: "List, show and create products; upload a product's artifact; link tools to it.",
        subcommands: [CatalogListCommand<ProductDetails>.self, Show.self, Create.self, CatalogUploadCommand<ProductDetails>.self, Link.self]
    )

    struct Show: AsyncParsableCommand {
        static let configuration = CommandConfiguration(abstract: "Show a product with its tools and test result.")

        @OptionGroup var connection: ConnectionOptions
        @OptionGroup var output: OutputOptions
        @Argument(help: "The product's id.") var id: Int64

        /// What `show` prints: the product, its linked tools and its current test result.
        struct Shown: Encodable {
            var product: Product
            var tools: [Tool]
            var testResult: TestResult
        }

        func run() async throws {
            let shown = try await connection.withClient { client in
                Shown(
                    product: try await client.call(.GET, "/api/v1/products/\(id)", as: Product.self),
                    tools: try await client.call(.GET, "/api/v1/products/\(id)/tools", as: ItemList<Tool>.self).items,
                    testResult: try await client.call(.GET, "/api/v1/products/\(id)/test-result", as: TestResult.self)
                )
            }
            try output.emit(shown) { shown in
                var details = Details()
                details.add("product", "\(shown.product.id) \(shown.product.name)@\(shown.product.version)")
                details.addSources(of: shown.product)
                details.add("install script", shown.product.installScript.map { $0.split(separator: "\n").first.map(String.init) ?? "" })
                details.add(
                    "tools",
                    shown.tools.isEmpty ? "none linked" : shown.tools.map { "\($0.id) \($0.name)@\($0.version)" }.joined(separator: ", ")
                )
                details.add("pass rate", Format.percent(shown.testResult.passRate))
                details.add("result from", shown.testResult.source)
                details.add("created", Format.time(shown.product.createdAt))
                return details.render()
            }
        }
    }

    struct Create: AsyncParsableCommand {
        static let configuration = CommandConfiguration(abstract: "Create a product (admins).")

        @OptionGroup var connection: ConnectionOptions
        @Argument(help: "NAME@VERSION") var product: NameAtVersion
        @Option(help: "Where agents download the product from (instead of an uploaded artifact).") var downloadUrl: String?
        @Option(help: "The SHA-256 the download must have; agents refuse anything else.") var sha256: String?

        func validate() throws {
            if sha256 != nil && downloadUrl == nil { throw ValidationError("--sha256 goes with --download-url") }
        }

        func run() async throws {
            let input = ProductInput(name: product.name, version: product.version, downloadUrl: downloadUrl, downloadSha256: sha256)
            try await input.create(connection)
        }
    }

    struct Link: AsyncParsableCommand {
        static let configuration = CommandConfiguration(abstract: "Link tools to a product, keeping the tools already linked (admins).")

        @OptionGroup var connection: ConnectionOptions
        @Argument(help: "The product's id.") var id: Int64
        @Argument(help: "The tools' ids.") var tools: [Int64]

        func validate() throws {
            if tools.isEmpty { throw ValidationError("name at least one tool id") }
        }

        func run() async throws {
            let linked = try await connection.withClient { client in
                let current = try await client.call(.GET, "/api/v1/products/\(id)/tools", as: ItemList<Tool>.self).items.map(\.id)
                let wanted = current + tools.filter { !current.contains($0) }
                return try await client.call(.PUT, "/api/v1/products/\(id)/tools", body: ProductToolsInput(toolIds: wanted), as: ItemList<Tool>.self)
            }
            Console.out("product \(id) tools: " + linked.items.map { "\($0.id) \($0.name)@\($0.version)" }.joined(separator: ", "))
        }
    }
}
