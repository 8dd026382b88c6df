import Foundation

/// The account the agent service runs as, and giving it the agent's files: the config file, credential and
/// CA (kept 0600) and the data and work directories with everything in them. Only root can give files away.
struct ServiceAccount: Sendable {
    let name: String
    let uid: uid_t
    let gid: gid_t

    static let defaultName = "testfleet-agent"

    /// The account, or `nil` when there is none of that name.
    init?(name: String) {
        guard let entry = getpwnam(name) else { return nil }
        self.name = name
        self.uid = entry.pointee.pw_uid
        self.gid = entry.pointee.pw_gid
    }

    /// Creates the data and work directories and makes the account own them and the agent's files.
    /// Returns the paths it changed.
    @discardableResult
    func handOver(_ configuration: AgentConfiguration) throws -> [String] {
        let fileManager = FileManager.default
        for directory in [configuration.dataURL, configuration.workURL] {
            try fileManager.createDirectory(at: directory, withIntermediateDirectories: true, attributes: [.posixPermissions: 0o750])
        }
        var changed: [String] = []
        for file in [configuration.path, configuration.credentialURL, configuration.caURL]
        where fileManager.fileExists(atPath: file.path) {
            try own(file.path)
            changed.append(file.path)
        }
        for directory in [configuration.dataURL, configuration.workURL] {
            try own(directory.path)
            changed.append(directory.path)
            let entries = fileManager.enumerator(atPath: directory.path)
            while let entry = entries?.nextObject() as? String {
                try own(directory.appendingPathComponent(entry).path)
            }
        }
        return changed
    }

    private func own(_ path: String) throws {
        guard lchown(path, uid, gid) == 0 else {
            throw AgentError("cannot give \(path) to \(name): \(String(cString: strerror(errno)))")
        }
    }
}
