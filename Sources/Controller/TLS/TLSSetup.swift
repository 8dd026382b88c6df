import Crypto
import Foundation
import Logging
import NIOCore
import NIOSSL

/// The TLS the controller serves with: the operator's certificate and key, or its own CA's.
struct TLSSetup {
    var configuration: TLSConfiguration
    /// SHA-256 (hex) of the certificate agents should pin: the CA's, or the top of the operator's chain.
    var fingerprint: String
    /// Where the pinned certificate is, in PEM.
    var caCertificatePath: String

    static func prepare(_ config: ControllerConfiguration, logger: Logger) throws -> TLSSetup {
        if let certPath = config.tlsCertificate, let keyPath = config.tlsKey {
            let chain = try NIOSSLCertificate.fromPEMFile(certPath)
            guard let top = chain.last else {
                throw ConfigurationError("no certificate in \(certPath)")
            }
            let key = try NIOSSLPrivateKey(file: keyPath, format: .pem)
            let fingerprint = SHA256.hash(data: try top.toDERBytes()).map { String(format: "%02x", $0) }.joined()
            return TLSSetup(
                configuration: serverConfiguration(chain: chain, key: key),
                fingerprint: fingerprint,
                caCertificatePath: certPath
            )
        }
        if config.tlsCertificate != nil || config.tlsKey != nil {
            throw ConfigurationError("tls_cert and tls_key go together: give both or neither")
        }
        let authority = try CertificateAuthority.loadOrCreate(in: config.dataDirectory.appendingPathComponent("tls"))
        var names = ["localhost", "127.0.0.1", "::1"]
        names.append(contentsOf: Self.hostNames())
        names.append(contentsOf: config.tlsSubjectAlternativeNames)
        if let publicURL = config.publicURL, let host = URL(string: publicURL)?.host {
            names.append(host)
        }
        if config.host != "0.0.0.0" && config.host != "::" { names.append(config.host) }
        try authority.ensureServerCertificate(names: names)
        let chain =
            try NIOSSLCertificate.fromPEMFile(authority.files.serverCertificate.path)
            + NIOSSLCertificate.fromPEMFile(authority.files.caCertificate.path)
        let key = try NIOSSLPrivateKey(file: authority.files.serverKey.path, format: .pem)
        return TLSSetup(
            configuration: serverConfiguration(chain: chain, key: key),
            fingerprint: try authority.fingerprint,
            caCertificatePath: authority.files.caCertificate.path
        )
    }

    /// How long a connection the controller closes waits for the client's TLS close_notify before it is closed
    /// anyway. A client that drops the connection without answering leaves it waiting the whole time, and a graceful
    /// shutdown waits for every connection: with NIOSSL's default of five seconds, a stop would take five seconds
    /// longer than its work. It applies to every close the controller starts; a client gets the close_notify
    /// first either way, so a shorter wait only makes the end of an unanswered close less tidy.
    private static let closeNotifyWait = TimeAmount.milliseconds(500)

    /// The TLS to serve `chain` and `key` with.
    private static func serverConfiguration(chain: [NIOSSLCertificate], key: NIOSSLPrivateKey) -> TLSConfiguration {
        var configuration = TLSConfiguration.makeServerConfiguration(
            certificateChain: chain.map { .certificate($0) },
            privateKey: .privateKey(key)
        )
        configuration.shutdownTimeout = closeNotifyWait
        return configuration
    }

    /// This machine's host names: short and fully qualified.
    static func hostNames() -> [String] {
        var buffer = [CChar](repeating: 0, count: 256)
        guard gethostname(&buffer, buffer.count) == 0 else { return [] }
        let name = String(decoding: buffer.prefix { $0 != 0 }.map { UInt8(bitPattern: $0) }, as: UTF8.self)
        return name.isEmpty ? [] : [name]
    }
}
