import Foundation
import Hummingbird
import WireProtocol

/// Products, tools, their links, artifacts and test results. Both kinds answer the same routes under their
/// own segment (`/products`, `/tools`); links and test results are the products' own.
struct CatalogRoutes {
    let services: ControllerServices

    func addRoutes(to api: RouterGroup<AppRequestContext>) {
        addItemRoutes(Product.self, to: api)
        addProductRoutes(to: api)
        addItemRoutes(Tool.self, to: api)
    }

    /// Creating, listing, reading, editing and deleting items of one kind, and their artifacts.
    private func addItemRoutes<Details: StoredCatalogDetails>(_: CatalogItem<Details>.Type, to api: RouterGroup<AppRequestContext>) {
        typealias Item = CatalogItem<Details>
        let catalog = services.catalog
        let kind = Details.kind
        let items = RouterPath(kind.plural)
        let item = RouterPath("\(kind.plural)/:id")
        api.post(items) { request, context -> EditedResponse<Item> in
            let caller = try context.adminCaller()
            let input = try await request.decode(as: CatalogItemInput<Details>.self, context: context)
            return EditedResponse(status: .created, response: try await catalog.create(input, by: caller))
        }
        api.get(items) { request, context -> Page<Item> in
            _ = try context.requireUser()
            return try await catalog.list(Item.self, Pagination(request), name: request.query("name"))
        }
        api.get(item) { request, context -> Item in
            _ = try context.requireUser()
            return try await catalog.item(Item.self, id: try request.id(context))
        }
        api.put(item) { request, context -> Item in
            let caller = try context.adminCaller()
            let id = try request.id(context)
            let input = try await request.decode(as: CatalogItemInput<Details>.self, context: context)
            return try await catalog.update(id: id, input, by: caller)
        }
        api.delete(item) { request, context -> Response in
            let caller = try context.adminCaller()
            try await services.deleteCatalogItem(kind: kind, id: try request.id(context), by: caller)
            return Response(status: .noContent)
        }
        let artifact = RouterPath("\(kind.plural)/:id/artifact")
        api.post(artifact) { request, context -> EditedResponse<Artifact> in
            let caller = try context.adminCaller()
            let artifact = try await services.storeArtifact(kind: kind, id: try request.id(context), request: request, by: caller)
            return EditedResponse(status: .created, response: artifact)
        }
        api.get(artifact) { request, context -> Response in
            // Users and agents (installing it) may download.
            if case .node = context.identity {} else { _ = try context.requireUser() }
            let id = try request.id(context)
            guard let artifact = try await catalog.artifact(kind: kind, id: id) else {
                throw AppError.notFound("\(kind.rawValue) \(id) has no uploaded artifact")
            }
            return try await services.artifacts.download(kind: kind, id: id, artifact: artifact, context: context)
        }
    }

    /// A product's tools and test result.
    private func addProductRoutes(to api: RouterGroup<AppRequestContext>) {
        let catalog = services.catalog
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
    }
}

extension Artifact: ResponseGenerator, ResponseEncodable {}
