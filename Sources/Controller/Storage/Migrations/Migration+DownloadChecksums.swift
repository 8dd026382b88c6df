extension Migration {
    /// A product's or tool's download URL may carry the SHA-256 its download must have.
    static let downloadChecksums = Migration(
        version: 3,
        name: "download-checksums",
        sql: #"""
            ALTER TABLE products ADD COLUMN download_sha256 text CHECK (download_sha256 ~ '^[0-9a-f]{64}$');
            ALTER TABLE tools ADD COLUMN download_sha256 text CHECK (download_sha256 ~ '^[0-9a-f]{64}$');
            """#
    )
}
