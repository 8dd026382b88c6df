import ControllerClient
import Crypto
import Foundation

/// A controller the tests talk to over HTTPS: in this process (``TestController``) or in a process of its own
/// (``RemoteController``).
protocol ControllerEndpoint: Sendable {
    var url: String { get }
    /// A client holding an admin API token.
    var admin: ControllerClient { get }
    /// The admin API token `admin` sends.
    var adminToken: String { get }
    /// SHA-256 of the controller's CA, for enrolling agents.
    var fingerprint: String { get }
    /// The controller's CA certificate.
    var caPEM: String { get }
}

extension ControllerEndpoint {
    /// A client of this controller with `bearer` as its credential.
    func client(bearer: String?) throws -> ControllerClient {
        TestClients.keep(try ControllerClient(baseURL: url, caCertificatePEM: caPEM, bearer: bearer))
    }
}

extension TestController: ControllerEndpoint {}

/// A controller started as its own `testfleet-controller serve` process.
struct RemoteController: ControllerEndpoint {
    let url: String
    let admin: ControllerClient
    let adminToken: String
    let fingerprint: String
    let caPEM: String

    init(url: String, client: ControllerClient, adminToken: String, dataDirectory: URL) throws {
        self.url = url
        self.admin = client
        self.adminToken = adminToken
        let pem = try String(contentsOf: dataDirectory.appendingPathComponent("tls/ca.crt"), encoding: .utf8)
        caPEM = pem
        let base64 = pem.split(separator: "\n").filter { !$0.hasPrefix("-----") }.joined()
        guard let der = Data(base64Encoded: base64) else { throw TestFailure("unreadable CA certificate") }
        fingerprint = SHA256.hash(data: der).map { String(format: "%02x", $0) }.joined()
    }
}
