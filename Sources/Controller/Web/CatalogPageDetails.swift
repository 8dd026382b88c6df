import Foundation
import WireProtocol

/// What the pages of one kind of catalog item show and read that the other kind's do not: where they sit in
/// the navigation, how an item looks in its list, and the form fields only the kind has.
protocol CatalogPageDetails: StoredCatalogDetails {
    associatedtype ListedItem: Sendable

    static var section: PageFrame.Section { get }

    /// An item as its list shows it.
    static func listed(_ item: CatalogItem<Self>) -> ListedItem

    /// The details from the create and edit forms; blank optional fields are absent.
    static func input(form: WebForm) throws -> Input
}

extension ProductDetails: CatalogPageDetails {
    static var section: PageFrame.Section { .products }

    static func listed(_ product: Product) -> CatalogItemView { CatalogItemView(product) }

    static func input(form: WebForm) -> ProductDetails { ProductDetails() }
}

extension ToolDetails: CatalogPageDetails {
    static var section: PageFrame.Section { .tools }

    static func listed(_ tool: Tool) -> ToolView { ToolView(tool) }

    static func input(form: WebForm) throws -> Input {
        Input(
            runCommand: form.text("run_command") ?? "",
            defaultTimeoutS: try form.integer("default_timeout_s", label: "default_timeout_s")
        )
    }
}

extension CatalogItemInput where Details: CatalogPageDetails {
    /// An item from its kind's form; blank optional fields are absent.
    init(form: WebForm) throws {
        let fields = CatalogItemFields(
            name: form.text("name") ?? "",
            version: form.text("version") ?? "",
            downloadUrl: form.text("download_url"),
            downloadSha256: form.text("download_sha256"),
            installScript: form.text("install_script")
        )
        self.init(fields, details: try Details.input(form: form))
    }
}
