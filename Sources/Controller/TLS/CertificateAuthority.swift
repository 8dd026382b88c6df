import Crypto
import Foundation
import SwiftASN1
import X509

/// The controller's private certificate authority under `<data dir>/tls/`: created once, it signs the server
/// certificate, which is issued again when it lacks a requested name or nears its end.
struct CertificateAuthority {
    struct Files {
        var caCertificate: URL
        var caKey: URL
        var serverCertificate: URL
        var serverKey: URL

        init(directory: URL) {
            caCertificate = directory.appendingPathComponent("ca.crt")
            caKey = directory.appendingPathComponent("ca.key")
            serverCertificate = directory.appendingPathComponent("server.crt")
            serverKey = directory.appendingPathComponent("server.key")
        }
    }

    let files: Files
    let certificate: Certificate
    let key: P256.Signing.PrivateKey

    /// Loads the authority in `directory`, creating it when absent.
    static func loadOrCreate(in directory: URL, now: Date = Date()) throws -> CertificateAuthority {
        let files = Files(directory: directory)
        try FileManager.default.createDirectory(
            at: directory,
            withIntermediateDirectories: true,
            attributes: [.posixPermissions: 0o700]
        )
        if FileManager.default.fileExists(atPath: files.caCertificate.path),
            FileManager.default.fileExists(atPath: files.caKey.path)
        {
            let certificate = try Certificate(pemEncoded: String(contentsOf: files.caCertificate, encoding: .utf8))
            let key = try P256.Signing.PrivateKey(pemRepresentation: String(contentsOf: files.caKey, encoding: .utf8))
            return CertificateAuthority(files: files, certificate: certificate, key: key)
        }
        let key = P256.Signing.PrivateKey()
        let name = try DistinguishedName {
            OrganizationName("Testfleet")
            CommonName("Testfleet controller CA \(Secrets.randomToken(bytes: 4))")
        }
        let publicKey = Certificate.PublicKey(key.publicKey)
        let certificate = try Certificate(
            version: .v3,
            serialNumber: Certificate.SerialNumber(),
            publicKey: publicKey,
            notValidBefore: now.addingTimeInterval(-3600),
            notValidAfter: now.addingTimeInterval(20 * 365 * 86400),
            issuer: name,
            subject: name,
            signatureAlgorithm: .ecdsaWithSHA256,
            extensions: try Certificate.Extensions {
                Critical(BasicConstraints.isCertificateAuthority(maxPathLength: 0))
                Critical(KeyUsage(keyCertSign: true, cRLSign: true))
                SubjectKeyIdentifier(hash: publicKey)
            },
            issuerPrivateKey: Certificate.PrivateKey(key)
        )
        try Secrets.writePrivateFile(files.caKey, contents: key.pemRepresentation + "\n")
        try certificate.serializeAsPEM().pemString.appending("\n")
            .write(to: files.caCertificate, atomically: true, encoding: .utf8)
        return CertificateAuthority(files: files, certificate: certificate, key: key)
    }

    /// SHA-256 of the CA certificate's DER form, lowercase hex: what agents pin with `--ca-sha256`.
    var fingerprint: String {
        get throws {
            var serializer = DER.Serializer()
            try serializer.serialize(certificate)
            return SHA256.hash(data: serializer.serializedBytes).map { String(format: "%02x", $0) }.joined()
        }
    }

    /// Makes sure the server certificate exists, covers `names`, and has at least 30 days left; issues a new
    /// one otherwise.
    func ensureServerCertificate(names: [String], now: Date = Date()) throws {
        let wanted = Self.generalNames(names)
        if let pem = try? String(contentsOf: files.serverCertificate, encoding: .utf8),
            FileManager.default.fileExists(atPath: files.serverKey.path),
            let existing = try? Certificate(pemEncoded: pem),
            existing.notValidAfter > now.addingTimeInterval(30 * 86400),
            existing.issuer == certificate.subject,
            let sans = try? existing.extensions.subjectAlternativeNames,
            Set(wanted.map { "\($0)" }).isSubset(of: Set(sans.map { "\($0)" }))
        {
            return
        }
        let key = P256.Signing.PrivateKey()
        let publicKey = Certificate.PublicKey(key.publicKey)
        let subject = try DistinguishedName {
            OrganizationName("Testfleet")
            CommonName(names.first ?? "localhost")
        }
        let issuerKeyIdentifier = try certificate.extensions.subjectKeyIdentifier?.keyIdentifier
        let server = try Certificate(
            version: .v3,
            serialNumber: Certificate.SerialNumber(),
            publicKey: publicKey,
            notValidBefore: now.addingTimeInterval(-3600),
            notValidAfter: now.addingTimeInterval(825 * 86400),
            issuer: certificate.subject,
            subject: subject,
            signatureAlgorithm: .ecdsaWithSHA256,
            extensions: try Certificate.Extensions {
                Critical(BasicConstraints.notCertificateAuthority)
                Critical(KeyUsage(digitalSignature: true, keyEncipherment: true))
                try ExtendedKeyUsage([.serverAuth])
                SubjectAlternativeNames(wanted)
                SubjectKeyIdentifier(hash: publicKey)
                AuthorityKeyIdentifier(keyIdentifier: issuerKeyIdentifier)
            },
            issuerPrivateKey: Certificate.PrivateKey(self.key)
        )
        try Secrets.writePrivateFile(files.serverKey, contents: key.pemRepresentation + "\n")
        try server.serializeAsPEM().pemString.appending("\n")
            .write(to: files.serverCertificate, atomically: true, encoding: .utf8)
    }

    /// DNS names and IP addresses as subject alternative names, without repeats.
    static func generalNames(_ names: [String]) -> [GeneralName] {
        var seen: Set<String> = []
        var out: [GeneralName] = []
        for name in names where !name.isEmpty && seen.insert(name.lowercased()).inserted {
            if let bytes = ipv4Bytes(name) ?? ipv6Bytes(name) {
                out.append(.ipAddress(ASN1OctetString(contentBytes: ArraySlice(bytes))))
            } else {
                out.append(.dnsName(name.lowercased()))
            }
        }
        return out
    }

    private static func ipv4Bytes(_ text: String) -> [UInt8]? {
        var address = in_addr()
        return inet_pton(AF_INET, text, &address) == 1
            ? withUnsafeBytes(of: &address) { Array($0) } : nil
    }

    private static func ipv6Bytes(_ text: String) -> [UInt8]? {
        var address = in6_addr()
        return inet_pton(AF_INET6, text, &address) == 1
            ? withUnsafeBytes(of: &address) { Array($0) } : nil
    }
}
