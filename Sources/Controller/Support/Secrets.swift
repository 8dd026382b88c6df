import Crypto
import Foundation

/// Random secrets and their stored form.
enum Secrets {
    /// A random URL-safe token of `bytes` random bytes (base64url, no padding).
    static func randomToken(bytes: Int = 32) -> String {
        var generator = SystemRandomNumberGenerator()
        let data = Data((0..<bytes).map { _ in UInt8.random(in: .min ... .max, using: &generator) })
        return data.base64EncodedString()
            .replacingOccurrences(of: "+", with: "-")
            .replacingOccurrences(of: "/", with: "_")
            .replacingOccurrences(of: "=", with: "")
    }

    /// A token with a recognizable kind prefix (`tfu_` user API token, `tfn_` node credential,
    /// `tfe_` enrollment token, `tfs_` session) and 256 random bits.
    static func token(kind: String) -> String {
        "\(kind)_\(randomToken(bytes: 32))"
    }

    /// The stored form of a high-entropy token: its SHA-256. Tokens carry 256 random bits, so a fast hash is
    /// enough and lets the controller look them up by hash.
    static func hash(_ token: String) -> Data {
        Data(SHA256.hash(data: Data(token.utf8)))
    }

    /// Writes a file only its owner can read.
    static func writePrivateFile(_ url: URL, contents: String) throws {
        let fileManager = FileManager.default
        try? fileManager.removeItem(at: url)
        guard fileManager.createFile(atPath: url.path, contents: nil, attributes: [.posixPermissions: 0o600]) else {
            throw CocoaError(.fileWriteNoPermission, userInfo: [NSFilePathErrorKey: url.path])
        }
        let handle = try FileHandle(forWritingTo: url)
        try handle.write(contentsOf: Data(contents.utf8))
        try handle.close()
    }

}
