import Foundation
import Hummingbird
import WireProtocol

/// Products, tools, their links, artifacts and test results.
struct CatalogRoutes {
    let services: ControllerServices

    func addRoutes(to api: RouterGroup<AppRequestContext>) {
        let catalog = services.catalog
        api.post("products") { request, context -> EditedResponse<Product> in
            let caller = try context.adminCaller()
            let input = try await request.decode(as: ProductInput.self, context: context)
            return EditedResponse(status: .created, response: try await catalog.createProduct(input, by: caller))
        }
        api.get("products") { request, context -> Page<Product> in
            _ = try context.requireUser()
            return try await catalog.listProducts(Pagination(request), name: request.query("name"))
        }
        api.get("products/:id") { request, context -> Product in
            _ = try context.requireUser()
            return try await catalog.product(id: try request.id(context))
        }
        api.put("products/:id") { request, context -> Product in
            let caller = try context.adminCaller()
            let id = try request.id(context)
            let input = try await request.decode(as: ProductInput.self, context: context)
            return try await catalog.updateProduct(id: id, input, by: caller)
        }
        api.delete("products/:id") { request, context -> Response in
            let caller = try context.adminCaller()
            try await services.deleteCatalogItem(kind: .product, id: try request.id(context), by: caller)
            return Response(status: .noContent)
        }
        api.put("products/:id/tools") { request, context -> ItemsResponse<Tool> in
            let caller = try context.adminCaller()
            let id = try request.id(context)
            let input = try await request.decode(as: ProductToolsInput.self, context: context)
            return ItemsResponse(items: try await catalog.setLinks(productID: id, toolIDs: input.toolIds, by: caller))
        }
        api.get("products/:id/tools") { request, context -> ItemsResponse<Tool> in
            _ = try context.requireUser()
            return ItemsResponse(items: try await catalog.linkedTools(productID: try request.id(context)))
        }
        api.put("products/:id/test-result") { request, context -> TestResult in
            let caller = try context.caller()
            let id = try request.id(context)
            let input = try await request.decode(as: TestResultInput.self, context: context)
            return try await catalog.setTestResult(productID: id, input, source: "api (\(caller.name))", by: caller)
        }
        api.get("products/:id/test-result") { request, context -> TestResult in
            _ = try context.requireUser()
            return try await catalog.testResult(productID: try request.id(context))
        }
        api.post("tools") { request, context -> EditedResponse<Tool> in
            let caller = try context.adminCaller()
            let input = try await request.decode(as: ToolInput.self, context: context)
            return EditedResponse(status: .created, response: try await catalog.createTool(input, by: caller))
        }
        api.get("tools") { request, context -> Page<Tool> in
            _ = try context.requireUser()
            return try await catalog.listTools(Pagination(request), name: request.query("name"))
        }
        api.get("tools/:id") { request, context -> Tool in
            _ = try context.requireUser()
            return try await catalog.tool(id: try request.id(context))
        }
        api.put("tools/:id") { request, context -> Tool in
            let caller = try context.adminCaller()
            let id = try request.id(context)
            let input = try await request.decode(as: ToolInput.self, context: context)
            return try await catalog.updateTool(id: id, input, by: caller)
        }
        api.delete("tools/:id") { request, context -> Response in
            let caller = try context.adminCaller()
            try await services.deleteCatalogItem(kind: .tool, id: try request.id(context), by: caller)
            return Response(status: .noContent)
        }
        for kind in [CatalogRepository.Kind.product, .tool] {
            let path = "\(kind.table)/:id/artifact"
            api.post(RouterPath(path)) { request, context -> EditedResponse<Artifact> in
                let caller = try context.adminCaller()
                let artifact = try await services.storeArtifact(kind: kind, id: try request.id(context), request: request, by: caller)
                return EditedResponse(status: .created, response: artifact)
            }
            api.get(RouterPath(path)) { request, context -> Response in
                // Users and agents (installing it) may download.
                if case .node = context.identity {} else { _ = try context.requireUser() }
                let id = try request.id(context)
                guard let artifact = try await catalog.artifact(kind: kind, id: id) else {
                    throw AppError.notFound("\(kind.rawValue) \(id) has no uploaded artifact")
                }
                return try await services.artifacts.download(kind: kind, id: id, artifact: artifact, context: context)
            }
        }
    }
}

extension Artifact: ResponseGenerator, ResponseEncodable {}
