import Foundation
import WireProtocol

/// The submit form: a product, then one of the tools linked to it, the cases and the task's settings.
///
/// With the script, choosing a product loads its tools from the API. Without it, the form's "Show its tools"
/// button posts the form back and gets it again listing the chosen product's tools, keeping what was typed.
struct NewTaskView: Sendable {
    typealias Option = SelectOption

    var products: [Option]
    var tools: [Option]
    var productChosen: Bool
    var hasProducts: Bool
    var name: String
    var cases: String
    var priority: String
    var caseTimeout: String
    var labels: String
    var error: String?

    /// The form filled with `values` (field name → value), listing the chosen product's tools.
    static func load(catalog: CatalogRepository, values: [String: String], error: String?) async throws -> NewTaskView {
        let products = try await catalog.list(Product.self, Pagination(limit: Pagination.maximumLimit), name: nil).items
            .sorted { ($0.name, $0.version) < ($1.name, $1.version) }
        let productID = values["product_id"].flatMap { Int64($0) }.flatMap { id in products.first { $0.id == id }?.id }
        var tools: [Tool] = []
        if let productID { tools = try await catalog.linkedTools(productID: productID) }
        let toolID = values["tool_id"].flatMap { Int64($0) }
        return NewTaskView(
            products: products.map {
                Option(value: String($0.id), label: "\($0.name) \($0.version)", selected: $0.id == productID)
            },
            tools: tools.map {
                Option(
                    value: String($0.id),
                    label: "\($0.name) \($0.version)",
                    selected: $0.id == toolID || tools.count == 1
                )
            },
            productChosen: productID != nil,
            hasProducts: !products.isEmpty,
            name: values["name"] ?? "",
            cases: values["cases"] ?? "",
            priority: values["priority"] ?? "0",
            caseTimeout: values["case_timeout_s"] ?? "",
            labels: values["labels"] ?? "",
            error: error
        )
    }

    /// The pasted cases and the uploaded file's, one per line.
    static func caseText(_ form: WebForm) -> String {
        [form["cases"], form["cases_file"]].compactMap { $0 }.filter { !$0.isEmpty }.joined(separator: "\n")
    }

    /// The submission the form describes; 422 naming what is missing.
    static func submission(_ form: WebForm) throws -> TaskSubmission {
        guard form.text("product_id") != nil else { throw AppError.unprocessable("product: choose a product") }
        guard form.text("tool_id") != nil else { throw AppError.unprocessable("tool: choose one of the product's tools") }
        var fields: [String: String] = [:]
        for key in ["name", "product_id", "tool_id", "priority", "case_timeout_s", "labels"] { fields[key] = form.text(key) }
        fields["cases"] = caseText(form)
        return try TaskRoutes.submission(fields: fields)
    }
}
