import Foundation
import Logging
import PostgresNIO
import WireProtocol

/// Products and tools this controller has recently resolved, by id and by name and version; every change to
/// one is notified.
typealias CatalogCache = ReadCache<CatalogRepository.CacheKey, CatalogRepository.CachedItem>

extension ReadCache where Key == CatalogRepository.CacheKey, Value == CatalogRepository.CachedItem {
    /// Keeps a product or tool under its id and under its name and version.
    func remember(_ item: Value, asOf generation: UInt64) { remember(item, under: item.keys, asOf: generation) }
}

/// Products, test tools, their links and the products' test results. Both kinds are created, edited, listed,
/// read and resolved by one generic path; what only one kind has is its ``StoredCatalogDetails``.
struct CatalogRepository: Sendable {
    let database: Database
    /// Products and tools recently resolved for submissions.
    var cache = CatalogCache()

    enum CacheKey: Hashable, Sendable {
        case id(CatalogKind, Int64)
        case name(CatalogKind, String, version: String)

        /// The key of what a reference names: its id, else its name and version.
        init?(_ kind: CatalogKind, _ reference: ItemReference) {
            if let id = reference.id {
                self = .id(kind, id)
            } else if let name = reference.name, let version = reference.version {
                self = .name(kind, name, version: version)
            } else {
                return nil
            }
        }
    }

    enum CachedItem: Sendable {
        case product(Product)
        case tool(Tool)

        /// The keys it is found under.
        var keys: [CacheKey] {
            switch self {
            case .product(let product): [.id(.product, product.id), .name(.product, product.name, version: product.version)]
            case .tool(let tool): [.id(.tool, tool.id), .name(.tool, tool.name, version: tool.version)]
            }
        }
    }

    // MARK: Validation

    static func validateName(_ name: String, version: String) throws {
        guard !name.trimmingCharacters(in: .whitespaces).isEmpty, name.count <= 200, !name.contains(where: \.isNewline)
        else { throw StoreError.invalid("name: 1 to 200 characters on one line") }
        guard !version.trimmingCharacters(in: .whitespaces).isEmpty, version.count <= 100,
            !version.contains(where: \.isNewline)
        else { throw StoreError.invalid("version: 1 to 100 characters on one line") }
    }

    static func validateURL(_ url: String?) throws {
        guard let url, !url.isEmpty else { return }
        guard let parsed = URL(string: url), ["http", "https"].contains(parsed.scheme?.lowercased() ?? ""),
            parsed.host != nil
        else { throw StoreError.invalid("download_url: expected an http or https URL, got \(url)") }
    }

    /// The SHA-256 a download must have, in lower case; empty is none. It needs a download URL.
    static func downloadChecksum(_ sha256: String?, url: String?) throws -> String? {
        guard let sha256, !sha256.isEmpty else { return nil }
        guard sha256.count == 64, sha256.allSatisfy(\.isHexDigit) else {
            throw StoreError.invalid("download_sha256: expected 64 hexadecimal digits")
        }
        guard let url, !url.isEmpty else { throw StoreError.invalid("download_sha256: given without a download_url") }
        return sha256.lowercased()
    }

    /// Checks an input and returns the columns it writes, its download checksum normalized.
    private static func columns<Details: StoredCatalogDetails>(_ input: CatalogItemInput<Details>) throws -> CatalogColumns {
        try validateName(input.name, version: input.version)
        try validateURL(input.downloadUrl)
        let checksum = try downloadChecksum(input.downloadSha256, url: input.downloadUrl)
        try Details.validate(input.details)
        var columns = CatalogColumns()
        columns.set("name", input.name)
        columns.set("version", input.version)
        Details.write(input.details, to: &columns)
        columns.set("download_url", input.downloadUrl)
        columns.set("download_sha256", checksum)
        columns.set("install_script", input.installScript)
        return columns
    }

    // MARK: Items

    func create<Details: StoredCatalogDetails>(_ input: CatalogItemInput<Details>, by caller: Caller) async throws -> CatalogItem<Details> {
        let kind = Details.kind
        let columns = try Self.columns(input)
        return try await refusingDuplicates(of: input) {
            try await database.transaction { transaction in
                let row = try await transaction.query(columns.insert(into: kind.table, returning: CatalogItem<Details>.columns())).first()!
                let item = try CatalogItem<Details>(row)
                try await transaction.query(kind.matchNodeInventory(id: item.id, name: item.name, version: item.version))
                try await transaction.query(
                    "SELECT pg_notify(\(Notifications.channel), \(Notifications.catalogChanged))"
                )
                try await transaction.audit(caller, kind.createAction, .catalog(kind, item.id), "\(item.name) \(item.version)")
                return item
            }
        }
    }

    func list<Details: StoredCatalogDetails>(
        _: CatalogItem<Details>.Type,
        _ pagination: Pagination,
        name: String?
    ) async throws -> Page<CatalogItem<Details>> {
        let rows = try await database.query(
            """
            SELECT \(unescaped: CatalogItem<Details>.columns()) FROM \(unescaped: Details.kind.table)
            WHERE id > \(pagination.after ?? 0) AND (\(name)::text IS NULL OR name = \(name))
            ORDER BY id LIMIT \(pagination.limit + 1)
            """
        ).all()
        return pagination.page(try rows.map(CatalogItem<Details>.init), id: \.id)
    }

    func item<Details: StoredCatalogDetails>(_: CatalogItem<Details>.Type, id: Int64) async throws -> CatalogItem<Details> {
        guard
            let row = try await database.query(
                "SELECT \(unescaped: CatalogItem<Details>.columns()) FROM \(unescaped: Details.kind.table) WHERE id = \(id)"
            ).first()
        else { throw StoreError.notFound("no \(Details.kind.rawValue) \(id)") }
        return try CatalogItem<Details>(row)
    }

    func update<Details: StoredCatalogDetails>(
        id: Int64,
        _ input: CatalogItemInput<Details>,
        by caller: Caller
    ) async throws -> CatalogItem<Details> {
        let kind = Details.kind
        let columns = try Self.columns(input)
        return try await refusingDuplicates(of: input) {
            try await editing { transaction in
                guard
                    let row = try await transaction.query(
                        columns.update(kind.table, id: id, returning: CatalogItem<Details>.columns())
                    ).first()
                else { throw StoreError.notFound("no \(kind.rawValue) \(id)") }
                let item = try CatalogItem<Details>(row)
                try await transaction.audit(caller, kind.updateAction, .catalog(kind, id), "\(item.name) \(item.version)")
                return item
            }
        }
    }

    /// Runs a change that names an item by `input`'s name and version, telling a clash with another item apart.
    private func refusingDuplicates<Details, Result>(
        of input: CatalogItemInput<Details>,
        _ body: () async throws -> Result
    ) async throws -> Result {
        do {
            return try await body()
        } catch let error as StoreError where error.kind == .conflict {
            throw StoreError.conflict("\(Details.kind.rawValue) \(input.name) \(input.version) already exists")
        }
    }

    /// Deletes a product or tool; 409 while tasks use it.
    func delete(_ kind: CatalogKind, id: Int64, by caller: Caller) async throws {
        do {
            try await editing { transaction in
                guard
                    let row = try await transaction.query(
                        "DELETE FROM \(unescaped: kind.table) WHERE id = \(id) RETURNING name, version"
                    ).first()
                else { throw StoreError.notFound("no \(kind.rawValue) \(id)") }
                let (name, version) = try row.decode((String, String).self)
                try await transaction.audit(caller, kind.deleteAction, .catalog(kind, id), "\(name) \(version)")
            }
        } catch let error as StoreError where error.kind == .conflict {
            throw StoreError.conflict("\(kind.rawValue) \(id) has tasks; it cannot be deleted")
        }
    }

    // MARK: Links

    func setLinks(productID: Int64, toolIDs: [Int64], by caller: Caller) async throws -> [Tool] {
        let unique = Array(Set(toolIDs)).sorted()
        try await database.transaction { transaction in
            guard
                try await transaction.query("SELECT id FROM products WHERE id = \(productID) FOR UPDATE")
                    .first() != nil
            else { throw StoreError.notFound("no product \(productID)") }
            let known = Set(
                try await transaction.query("SELECT id FROM tools WHERE id = ANY(\(unique))")
                    .collect(Int64.self)
            )
            if let missing = unique.first(where: { !known.contains($0) }) {
                throw StoreError.invalid("tool_ids: no tool \(missing)")
            }
            try await transaction.query(
                "DELETE FROM product_tools WHERE product_id = \(productID) AND NOT (tool_id = ANY(\(unique)))"
            )
            try await transaction.query(
                """
                INSERT INTO product_tools (product_id, tool_id) SELECT \(productID), unnest(\(unique)::bigint[])
                ON CONFLICT DO NOTHING
                """
            )
            let detail = unique.isEmpty ? "no tools" : "tools " + unique.map(String.init).joined(separator: ", ")
            try await transaction.audit(caller, .productTools, .catalog(.product, productID), detail)
        }
        return try await linkedTools(productID: productID)
    }

    func linkedTools(productID: Int64) async throws -> [Tool] {
        _ = try await item(Product.self, id: productID)
        return try await database.query(
            """
            SELECT \(unescaped: Tool.columns(alias: "t"))
            FROM tools t JOIN product_tools pt ON pt.tool_id = t.id WHERE pt.product_id = \(productID)
            ORDER BY t.name, t.version
            """
        ).all().map(Tool.init)
    }

    // MARK: Resolution

    /// Runs a change to products or tools in a transaction; every controller forgets the products and tools it
    /// has cached: the others when the notification sent in the transaction arrives, this one once it committed.
    private func editing<Result: Sendable>(_ body: (Transaction) async throws -> Result) async throws -> Result {
        defer { cache.forgetAll() }
        return try await database.transaction(notifying: Notifications.catalogEdited, body)
    }

    /// The product or tool a submission names, from the cache when it is there.
    func resolve<Details: StoredCatalogDetails>(_: CatalogItem<Details>.Type, _ reference: ItemReference) async throws -> CatalogItem<Details> {
        if let key = CacheKey(Details.kind, reference), let cached = cache.value(key), let item = Details.item(in: cached) { return item }
        let generation = cache.generation
        let item = try await lookUp(CatalogItem<Details>.self, reference)
        cache.remember(Details.cached(item), asOf: generation)
        return item
    }

    private func lookUp<Details: StoredCatalogDetails>(_: CatalogItem<Details>.Type, _ reference: ItemReference) async throws -> CatalogItem<Details>
    {
        let kind = Details.kind.rawValue
        if let id = reference.id {
            do { return try await item(CatalogItem<Details>.self, id: id) } catch let error as StoreError where error.kind == .notFound {
                throw StoreError.invalid("\(kind): no \(kind) \(id)")
            }
        }
        guard let name = reference.name, let version = reference.version else {
            throw StoreError.invalid("\(kind): give id, or name and version")
        }
        guard
            let row = try await database.query(
                """
                SELECT \(unescaped: CatalogItem<Details>.columns()) FROM \(unescaped: Details.kind.table)
                WHERE name = \(name) AND version = \(version)
                """
            ).first()
        else { throw StoreError.invalid("\(kind): no \(kind) \(name) \(version)") }
        return try CatalogItem<Details>(row)
    }

    // MARK: Artifacts

    func setArtifact(kind: CatalogKind, id: Int64, artifact: Artifact, by caller: Caller) async throws {
        try await editing { transaction in
            let rows = try await transaction.query(
                """
                UPDATE \(unescaped: kind.table) SET artifact_filename = \(artifact.filename), artifact_size = \(artifact.size),
                    artifact_sha256 = \(artifact.sha256), updated_at = now()
                WHERE id = \(id) RETURNING id
                """
            ).collect(Int64.self)
            guard !rows.isEmpty else { throw StoreError.notFound("no \(kind.rawValue) \(id)") }
            let detail = "\(artifact.filename), \(artifact.size) bytes, sha256 \(artifact.sha256.prefix(12))…"
            try await transaction.audit(caller, kind.artifactAction, .catalog(kind, id), detail)
        }
    }

    func artifact(kind: CatalogKind, id: Int64) async throws -> Artifact? {
        switch kind {
        case .product: try await item(Product.self, id: id).artifact
        case .tool: try await item(Tool.self, id: id).artifact
        }
    }
}
