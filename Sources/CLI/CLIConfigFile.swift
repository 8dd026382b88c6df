import ConfigFile
import Foundation

/// The file `testfleet login` writes (TOML, mode 0600): the controller, the API token and the CA to trust.
/// A relative `ca` is relative to the file's directory.
struct CLIConfigFile: Equatable, Sendable {
    var server: String
    var token: String?
    var ca: String?

    /// `$XDG_CONFIG_HOME/testfleet/cli.toml`, else `~/.config/testfleet/cli.toml`.
    static func defaultPath(environment: [String: String]) -> String {
        if let xdg = environment["XDG_CONFIG_HOME"], xdg.hasPrefix("/") {
            return xdg + "/testfleet/cli.toml"
        }
        let home = environment["HOME"] ?? FileManager.default.homeDirectoryForCurrentUser.path
        return home + "/.config/testfleet/cli.toml"
    }

    static func parse(_ text: String) throws -> CLIConfigFile { try parse(bytes: Data(text.utf8)) }

    static func parse(bytes: Data) throws -> CLIConfigFile {
        let table: TOMLTable
        do {
            table = try TOML.parse(bytes: bytes)
        } catch {
            throw CLIError.usage("\(error)")
        }
        if let unknown = table.keys.sorted().first(where: { !["server", "token", "ca"].contains($0) }) {
            throw CLIError.usage("unknown key \(unknown)")
        }
        func string(_ key: String) throws -> String? {
            guard let value = table[key] else { return nil }
            guard let text = value.string else { throw CLIError.usage("\(key) must be a string") }
            return text
        }
        guard let server = try string("server") else { throw CLIError.usage("missing server") }
        return CLIConfigFile(server: server, token: try string("token"), ca: try string("ca"))
    }

    func render() -> String {
        var text = "# Written by testfleet login. A relative ca is relative to this file's directory.\n"
        text += "server = \(TOML.quote(server))\n"
        if let token { text += "token = \(TOML.quote(token))\n" }
        if let ca { text += "ca = \(TOML.quote(ca))\n" }
        return text
    }

    /// The file at `path`, or `nil` when there is none.
    static func load(path: String) throws -> CLIConfigFile? {
        guard FileManager.default.fileExists(atPath: path) else { return nil }
        let bytes: Data
        do {
            bytes = try Data(contentsOf: URL(fileURLWithPath: path))
        } catch {
            throw CLIError.usage("cannot read \(path): \(error.localizedDescription)")
        }
        var info = stat()
        if stat(path, &info) == 0, info.st_mode & 0o077 != 0 {
            Console.note("testfleet: warning: \(path) holds an API token and is readable by others; run chmod 600 \(path)")
        }
        do {
            return try parse(bytes: bytes)
        } catch let error as CLIError {
            throw CLIError.usage("\(path): \(error.description)")
        }
    }

    /// Writes the file with mode 0600 (its directory 0700), replacing it whole.
    func write(path: String) throws {
        let url = URL(fileURLWithPath: path)
        try Self.writePrivate(Data(render().utf8), to: url)
    }

    /// Writes `data` to `url` readable by the owner only, through a temporary file renamed into place.
    static func writePrivate(_ data: Data, to url: URL) throws {
        let directory = url.deletingLastPathComponent()
        do {
            try FileManager.default.createDirectory(
                at: directory,
                withIntermediateDirectories: true,
                attributes: [.posixPermissions: 0o700]
            )
            let temporary = directory.appendingPathComponent(".\(url.lastPathComponent).\(getpid()).tmp")
            try? FileManager.default.removeItem(at: temporary)
            guard FileManager.default.createFile(atPath: temporary.path, contents: data, attributes: [.posixPermissions: 0o600]) else {
                throw CLIError.failure("cannot write \(temporary.path)")
            }
            guard rename(temporary.path, url.path) == 0 else {
                let reason = String(cString: strerror(errno))
                try? FileManager.default.removeItem(at: temporary)
                throw CLIError.failure("cannot write \(url.path): \(reason)")
            }
        } catch let error as CLIError {
            throw error
        } catch {
            throw CLIError.failure("cannot write \(url.path): \(error.localizedDescription)")
        }
    }
}
