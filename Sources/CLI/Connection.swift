import ControllerClient
import Foundation

/// Which controller to talk to, with which API token, trusting which CA.
///
/// Each comes from its flag, else its environment variable, else the login file. The file's token and CA
/// belong to the file's server: they are not sent to another server named by a flag or the environment.
struct Connection: Equatable, Sendable {
    var server: String
    var token: String?
    /// A PEM file with the CA to trust; `nil` trusts the system's roots.
    var caFile: String?

    /// What the command line said; `nil` where a flag was not given.
    struct Flags: Equatable, Sendable {
        var server: String?
        var token: String?
        var ca: String?
    }

    static func resolve(flags: Flags, environment: [String: String], file: CLIConfigFile?, filePath: String) throws -> Connection {
        func nonEmpty(_ value: String?) -> String? { value.flatMap { $0.isEmpty ? nil : $0 } }
        guard let server = nonEmpty(flags.server) ?? nonEmpty(environment["TESTFLEET_SERVER"]) ?? file?.server else {
            throw CLIError.usage("no controller: pass --server URL, set TESTFLEET_SERVER or run testfleet login --server URL")
        }
        let normalized = try normalize(server: server)
        let sameAsFile = file.map { (try? normalize(server: $0.server)) == normalized } ?? false
        let fileDirectory = URL(fileURLWithPath: filePath).deletingLastPathComponent()
        let fileCA = file?.ca.map { $0.hasPrefix("/") ? $0 : fileDirectory.appendingPathComponent($0).path }
        return Connection(
            server: normalized,
            token: nonEmpty(flags.token) ?? nonEmpty(environment["TESTFLEET_TOKEN"]) ?? (sameAsFile ? file?.token : nil),
            caFile: nonEmpty(flags.ca) ?? nonEmpty(environment["TESTFLEET_CA"]) ?? (sameAsFile ? fileCA : nil)
        )
    }

    /// An `http(s)://host[:port]` URL without a trailing slash.
    static func normalize(server: String) throws -> String {
        var text = server.trimmingCharacters(in: .whitespaces)
        while text.hasSuffix("/") { text.removeLast() }
        guard let url = URL(string: text), let scheme = url.scheme?.lowercased(), ["http", "https"].contains(scheme),
            let host = url.host, !host.isEmpty
        else {
            throw CLIError.usage("the controller must be an http(s) URL such as https://controller:8443, not \(server)")
        }
        return text
    }

    /// A client for this connection; `requireToken` fails early with what to do when there is no token.
    func client(requireToken: Bool = true) throws -> ControllerClient {
        if requireToken && token == nil {
            throw CLIError.usage(
                "no API token for \(server): run testfleet login --server \(server), pass --token or set TESTFLEET_TOKEN"
            )
        }
        var caPEM: String?
        if let caFile {
            do {
                caPEM = try String(contentsOfFile: caFile, encoding: .utf8)
            } catch {
                throw CLIError.usage("cannot read the CA file \(caFile): \(error.localizedDescription)")
            }
        }
        do {
            return try ControllerClient(baseURL: server, caCertificatePEM: caPEM, bearer: token, maxConnections: 4)
        } catch {
            throw CLIError.usage("\(caFile ?? "the CA file") is not a PEM certificate: \(error)")
        }
    }
}
