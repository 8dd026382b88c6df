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

/// Products, test tools, their links and the products' test results.
struct CatalogRepository: Sendable {
    let database: Database
    /// Products and tools recently resolved for submissions.
    var cache = CatalogCache()

    enum CacheKey: Hashable, Sendable {
        case id(Kind, Int64)
        case name(Kind, String, version: String)

        /// The key of what a reference names: its id, else its name and version.
        init?(_ kind: Kind, _ reference: ItemReference) {
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

    enum Kind: String, Sendable {
        case product, tool

        var table: String { self == .product ? "products" : "tools" }
    }

    // MARK: Validation

    static func validateName(_ name: String, version: String, kind: Kind) throws {
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

    // MARK: Products

    static let productColumns = """
        id, name, version, download_url, download_sha256, install_script, artifact_filename, artifact_size,
        artifact_sha256, created_at, updated_at
        """

    static func product(_ row: PostgresRow) throws -> Product {
        let (id, name, version, url, urlSHA, script, filename, size, sha, created, updated) = try row.decode(
            (Int64, String, String, String?, String?, String?, String?, Int64?, String?, Date, Date).self
        )
        let artifact = filename.flatMap { f in size.flatMap { s in sha.map { Artifact(filename: f, size: s, sha256: $0) } } }
        return Product(
            id: id,
            name: name,
            version: version,
            downloadUrl: url,
            downloadSha256: urlSHA,
            installScript: script,
            artifact: artifact,
            createdAt: created,
            updatedAt: updated
        )
    }

    func createProduct(_ input: ProductInput, by caller: Caller) async throws -> Product {
        try Self.validateName(input.name, version: input.version, kind: .product)
        try Self.validateURL(input.downloadUrl)
        let checksum = try Self.downloadChecksum(input.downloadSha256, url: input.downloadUrl)
        do {
            return try await database.transaction { transaction in
                let row = try await transaction.query(
                    """
                    INSERT INTO products (name, version, download_url, download_sha256, install_script)
                    VALUES (\(input.name), \(input.version), \(input.downloadUrl), \(checksum), \(input.installScript))
                    RETURNING \(unescaped: Self.productColumns)
                    """
                ).first()!
                let product = try Self.product(row)
                // Nodes that already reported this product now match it.
                try await transaction.query(
                    """
                    UPDATE node_products SET product_id = \(product.id)
                    WHERE product_name = \(product.name) AND product_version = \(product.version) AND product_id IS NULL
                    """
                )
                try await transaction.query(
                    "SELECT pg_notify(\(Notifications.channel), \(Notifications.catalogChanged))"
                )
                try await transaction.audit(caller, .productCreate, .catalog(.product, product.id), "\(product.name) \(product.version)")
                return product
            }
        } catch let error as StoreError where error.kind == .conflict {
            throw StoreError.conflict("product \(input.name) \(input.version) already exists")
        }
    }

    func listProducts(_ pagination: Pagination, name: String?) async throws -> Page<Product> {
        let rows = try await database.query(
            """
            SELECT \(unescaped: Self.productColumns) FROM products
            WHERE id > \(pagination.after ?? 0) AND (\(name)::text IS NULL OR name = \(name))
            ORDER BY id LIMIT \(pagination.limit + 1)
            """
        ).all()
        return pagination.page(try rows.map(Self.product), id: \.id)
    }

    func product(id: Int64) async throws -> Product {
        guard
            let row = try await database.query(
                "SELECT \(unescaped: Self.productColumns) FROM products WHERE id = \(id)"
            ).first()
        else { throw StoreError.notFound("no product \(id)") }
        return try Self.product(row)
    }

    func updateProduct(id: Int64, _ input: ProductInput, by caller: Caller) async throws -> Product {
        try Self.validateName(input.name, version: input.version, kind: .product)
        try Self.validateURL(input.downloadUrl)
        let checksum = try Self.downloadChecksum(input.downloadSha256, url: input.downloadUrl)
        do {
            return try await editing { transaction in
                guard
                    let row = try await transaction.query(
                        """
                        UPDATE products SET name = \(input.name), version = \(input.version),
                            download_url = \(input.downloadUrl), download_sha256 = \(checksum), install_script = \(input.installScript),
                            updated_at = now()
                        WHERE id = \(id) RETURNING \(unescaped: Self.productColumns)
                        """
                    ).first()
                else { throw StoreError.notFound("no product \(id)") }
                let product = try Self.product(row)
                try await transaction.audit(caller, .productUpdate, .catalog(.product, id), "\(product.name) \(product.version)")
                return product
            }
        } catch let error as StoreError where error.kind == .conflict {
            throw StoreError.conflict("product \(input.name) \(input.version) already exists")
        }
    }

    /// Deletes a product or tool; 409 while tasks use it.
    func delete(_ kind: Kind, id: Int64, by caller: Caller) async throws {
        do {
            try await editing { transaction in
                guard
                    let row = try await transaction.query(
                        "DELETE FROM \(unescaped: kind.table) WHERE id = \(id) RETURNING name, version"
                    ).first()
                else { throw StoreError.notFound("no \(kind.rawValue) \(id)") }
                let (name, version) = try row.decode((String, String).self)
                try await transaction.audit(caller, kind == .product ? .productDelete : .toolDelete, .catalog(kind, id), "\(name) \(version)")
            }
        } catch let error as StoreError where error.kind == .conflict {
            throw StoreError.conflict("\(kind.rawValue) \(id) has tasks; it cannot be deleted")
        }
    }

    // MARK: Tools

    static let toolColumns = toolColumns(alias: nil)

    static func toolColumns(alias: String?) -> String {
        let prefix = alias.map { $0 + "." } ?? ""
        return [
            "id", "name", "version", "run_command", "default_timeout_s", "download_url", "download_sha256", "install_script",
            "artifact_filename", "artifact_size", "artifact_sha256", "created_at", "updated_at",
        ].map { prefix + $0 }.joined(separator: ", ")
    }

    static func tool(_ row: PostgresRow) throws -> Tool {
        let (id, name, version, command, timeout, url, urlSHA, script, filename, size, sha, created, updated) =
            try row.decode((Int64, String, String, String, Int, String?, String?, String?, String?, Int64?, String?, Date, Date).self)
        let artifact = filename.flatMap { f in size.flatMap { s in sha.map { Artifact(filename: f, size: s, sha256: $0) } } }
        return Tool(
            id: id,
            name: name,
            version: version,
            runCommand: command,
            defaultTimeoutS: timeout,
            downloadUrl: url,
            downloadSha256: urlSHA,
            installScript: script,
            artifact: artifact,
            createdAt: created,
            updatedAt: updated
        )
    }

    /// Checks a tool's fields; returns its download checksum, normalized.
    private static func validate(_ input: ToolInput) throws -> String? {
        try validateName(input.name, version: input.version, kind: .tool)
        try validateURL(input.downloadUrl)
        let checksum = try downloadChecksum(input.downloadSha256, url: input.downloadUrl)
        guard !input.runCommand.trimmingCharacters(in: .whitespaces).isEmpty else {
            throw StoreError.invalid("run_command: must not be empty")
        }
        guard input.runCommand.count <= 10000 else { throw StoreError.invalid("run_command: at most 10000 characters") }
        if let timeout = input.defaultTimeoutS, !(1...(7 * 86400)).contains(timeout) {
            throw StoreError.invalid("default_timeout_s: expected 1 to 604800, got \(timeout)")
        }
        return checksum
    }

    func createTool(_ input: ToolInput, by caller: Caller) async throws -> Tool {
        let checksum = try Self.validate(input)
        do {
            return try await database.transaction { transaction in
                let row = try await transaction.query(
                    """
                    INSERT INTO tools (name, version, run_command, default_timeout_s, download_url, download_sha256, install_script)
                    VALUES (\(input.name), \(input.version), \(input.runCommand), \(input.defaultTimeoutS ?? 600),
                            \(input.downloadUrl), \(checksum), \(input.installScript))
                    RETURNING \(unescaped: Self.toolColumns)
                    """
                ).first()!
                let tool = try Self.tool(row)
                try await transaction.query(
                    """
                    UPDATE node_tools SET tool_id = \(tool.id)
                    WHERE tool_name = \(tool.name) AND tool_version = \(tool.version) AND tool_id IS NULL
                    """
                )
                try await transaction.query(
                    "SELECT pg_notify(\(Notifications.channel), \(Notifications.catalogChanged))"
                )
                try await transaction.audit(caller, .toolCreate, .catalog(.tool, tool.id), "\(tool.name) \(tool.version)")
                return tool
            }
        } catch let error as StoreError where error.kind == .conflict {
            throw StoreError.conflict("tool \(input.name) \(input.version) already exists")
        }
    }

    func listTools(_ pagination: Pagination, name: String?) async throws -> Page<Tool> {
        let rows = try await database.query(
            """
            SELECT \(unescaped: Self.toolColumns) FROM tools
            WHERE id > \(pagination.after ?? 0) AND (\(name)::text IS NULL OR name = \(name))
            ORDER BY id LIMIT \(pagination.limit + 1)
            """
        ).all()
        return pagination.page(try rows.map(Self.tool), id: \.id)
    }

    func tool(id: Int64) async throws -> Tool {
        guard let row = try await database.query("SELECT \(unescaped: Self.toolColumns) FROM tools WHERE id = \(id)").first()
        else { throw StoreError.notFound("no tool \(id)") }
        return try Self.tool(row)
    }

    func updateTool(id: Int64, _ input: ToolInput, by caller: Caller) async throws -> Tool {
        let checksum = try Self.validate(input)
        do {
            return try await editing { transaction in
                guard
                    let row = try await transaction.query(
                        """
                        UPDATE tools SET name = \(input.name), version = \(input.version), run_command = \(input.runCommand),
                            default_timeout_s = coalesce(\(input.defaultTimeoutS), default_timeout_s),
                            download_url = \(input.downloadUrl), download_sha256 = \(checksum), install_script = \(input.installScript),
                            updated_at = now()
                        WHERE id = \(id) RETURNING \(unescaped: Self.toolColumns)
                        """
                    ).first()
                else { throw StoreError.notFound("no tool \(id)") }
                let tool = try Self.tool(row)
                try await transaction.audit(caller, .toolUpdate, .catalog(.tool, id), "\(tool.name) \(tool.version)")
                return tool
            }
        } catch let error as StoreError where error.kind == .conflict {
            throw StoreError.conflict("tool \(input.name) \(input.version) already exists")
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
        _ = try await product(id: productID)
        return try await database.query(
            """
            SELECT \(unescaped: Self.toolColumns(alias: "t"))
            FROM tools t JOIN product_tools pt ON pt.tool_id = t.id WHERE pt.product_id = \(productID)
            ORDER BY t.name, t.version
            """
        ).all().map(Self.tool)
    }

    // MARK: Resolution

    /// Runs a change to products or tools in a transaction; every controller forgets the products and tools it
    /// has cached: the others when the notification sent in the transaction arrives, this one once it committed.
    private func editing<Result: Sendable>(_ body: (Transaction) async throws -> Result) async throws -> Result {
        defer { cache.forgetAll() }
        return try await database.transaction(notifying: Notifications.catalogEdited, body)
    }

    func resolveProduct(_ reference: ItemReference) async throws -> Product {
        if let key = CacheKey(.product, reference), case .product(let product) = cache.value(key) { return product }
        let generation = cache.generation
        let product = try await lookUpProduct(reference)
        cache.remember(.product(product), asOf: generation)
        return product
    }

    private func lookUpProduct(_ reference: ItemReference) async throws -> Product {
        if let id = reference.id {
            do { return try await product(id: id) } catch let error as StoreError where error.kind == .notFound {
                throw StoreError.invalid("product: no product \(id)")
            }
        }
        guard let name = reference.name, let version = reference.version else {
            throw StoreError.invalid("product: give id, or name and version")
        }
        guard
            let row = try await database.query(
                "SELECT \(unescaped: Self.productColumns) FROM products WHERE name = \(name) AND version = \(version)"
            ).first()
        else { throw StoreError.invalid("product: no product \(name) \(version)") }
        return try Self.product(row)
    }

    func resolveTool(_ reference: ItemReference) async throws -> Tool {
        if let key = CacheKey(.tool, reference), case .tool(let tool) = cache.value(key) { return tool }
        let generation = cache.generation
        let tool = try await lookUpTool(reference)
        cache.remember(.tool(tool), asOf: generation)
        return tool
    }

    private func lookUpTool(_ reference: ItemReference) async throws -> Tool {
        if let id = reference.id {
            do { return try await tool(id: id) } catch let error as StoreError where error.kind == .notFound {
                throw StoreError.invalid("tool: no tool \(id)")
            }
        }
        guard let name = reference.name, let version = reference.version else {
            throw StoreError.invalid("tool: give id, or name and version")
        }
        guard
            let row = try await database.query(
                "SELECT \(unescaped: Self.toolColumns) FROM tools WHERE name = \(name) AND version = \(version)"
            ).first()
        else { throw StoreError.invalid("tool: no tool \(name) \(version)") }
        return try Self.tool(row)
    }

    // MARK: Artifacts

    func setArtifact(kind: Kind, id: Int64, artifact: Artifact, by caller: Caller) async throws {
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
            try await transaction.audit(caller, kind == .product ? .productArtifact : .toolArtifact, .catalog(kind, id), detail)
        }
    }

    func artifact(kind: Kind, id: Int64) async throws -> Artifact? {
        switch kind {
        case .product: try await product(id: id).artifact
        case .tool: try await tool(id: id).artifact
        }
    }
}
