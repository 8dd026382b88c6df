extension Migration {
    /// A run its agent handed back as it shut down is marked, so that a case's retry limit counts only its
    /// infrastructure failures and its hand-backs are capped.
    static let handBacks = Migration(
        version: 7,
        name: "hand-backs",
        sql: """
            ALTER TABLE case_runs ADD COLUMN handed_back boolean NOT NULL DEFAULT false;
            """
    )
}
