import ControllerClient

/// What a downloaded artifact must be: its size and SHA-256, where known.
struct ArtifactCheck: Equatable {
    var size: Int64?
    var sha256: String?

    /// Throws a message naming both sides when the download is not what was expected.
    func verify(_ got: ControllerClient.Download, label: String) throws {
        let sizeMatches = size.map { $0 == got.size } ?? true
        let hashMatches = sha256.map { $0.lowercased() == got.sha256.lowercased() } ?? true
        guard sizeMatches && hashMatches else {
            let expected = [size.map { "\($0) bytes" }, sha256.map { "SHA-256 \($0)" }].compactMap { $0 }.joined(separator: " with ")
            throw AgentError("checksum mismatch for \(label): expected \(expected), got \(got.size) bytes with SHA-256 \(got.sha256)")
        }
    }
}
