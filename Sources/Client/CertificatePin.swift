import Crypto
import Foundation
import NIOConcurrencyHelpers
import NIOCore
import NIOPosix
import NIOSSL
import NIOTLS

/// Fetches a controller's certificate chain and keeps the certificate whose SHA-256 (of its DER form)
/// matches a pinned fingerprint: how an agent learns which CA to trust when it enrolls.
public enum CertificatePin {
    public struct Mismatch: Error, CustomStringConvertible {
        public var presented: [String]
        public var expected: String

        public var description: String {
            "the controller's certificates do not match --ca-sha256 \(expected) (it presented: "
                + presented.joined(separator: ", ") + "); check the fingerprint printed by the controller"
        }
    }

    /// Lowercase hex without separators; accepts `AA:BB:…` forms too.
    public static func normalize(_ fingerprint: String) -> String {
        fingerprint.lowercased().filter { $0.isHexDigit }
    }

    public static func fingerprint(der: [UInt8]) -> String {
        SHA256.hash(data: der).map { String(format: "%02x", $0) }.joined()
    }

    /// Connects to `host:port`, and returns the presented certificate matching `expected` as PEM.
    public static func fetch(host: String, port: Int, expected: String) async throws -> String {
        let expected = normalize(expected)
        let found = FoundBox()
        var tls = TLSConfiguration.makeClientConfiguration()
        tls.certificateVerification = .noHostnameVerification
        let context = try NIOSSLContext(configuration: tls)
        let serverName = host.first?.isNumber == true || host.contains(":") ? nil : host
        // The watcher is in the pipeline before the connection exists: a handshake that completes at once is seen.
        let loop = MultiThreadedEventLoopGroup.singleton.next()
        let handshake = loop.makePromise(of: Void.self)
        let bootstrap = ClientBootstrap(group: loop)
            .connectTimeout(.seconds(10))
            .channelInitializer { channel in
                channel.eventLoop.makeCompletedFuture {
                    let handler = try NIOSSLClientHandler(
                        context: context,
                        serverHostname: serverName,
                        customVerificationCallback: { certificates, promise in
                            let prints = certificates.map { (try? fingerprint(der: $0.toDERBytes())) ?? "?" }
                            found.presented = prints
                            if let index = prints.firstIndex(of: expected) {
                                found.certificate = certificates[index]
                                promise.succeed(.certificateVerified)
                            } else {
                                promise.succeed(.failed)
                            }
                        }
                    )
                    try channel.pipeline.syncOperations.addHandlers(handler, HandshakeWatcher(promise: handshake))
                }
            }
        let channel: any Channel
        do {
            channel = try await bootstrap.connect(host: host, port: port).get()
        } catch {
            handshake.fail(error)
            throw error
        }
        let timeout = loop.scheduleTask(in: .seconds(30)) { handshake.fail(ChannelError.connectTimeout(.seconds(30))) }
        defer { timeout.cancel() }
        do {
            try await handshake.futureResult.get()
        } catch {
            try? await channel.close()
            if found.certificate == nil, !found.presented.isEmpty {
                throw Mismatch(presented: found.presented, expected: expected)
            }
            throw error
        }
        try? await channel.close()
        guard let certificate = found.certificate else {
            throw Mismatch(presented: found.presented, expected: expected)
        }
        let der = try certificate.toDERBytes()
        let base64 = Data(der).base64EncodedString(options: [.lineLength64Characters, .endLineWithLineFeed])
        return "-----BEGIN CERTIFICATE-----\n\(base64)\n-----END CERTIFICATE-----\n"
    }

    private final class FoundBox: @unchecked Sendable {
        private let lock = NIOLock()
        private var _certificate: NIOSSLCertificate?
        private var _presented: [String] = []

        var certificate: NIOSSLCertificate? {
            get { lock.withLock { _certificate } }
            set { lock.withLock { _certificate = newValue } }
        }

        var presented: [String] {
            get { lock.withLock { _presented } }
            set { lock.withLock { _presented = newValue } }
        }
    }

    /// Completes when the TLS handshake does, or fails with the channel.
    private final class HandshakeWatcher: ChannelInboundHandler, @unchecked Sendable {
        typealias InboundIn = ByteBuffer
        let promise: EventLoopPromise<Void>

        init(promise: EventLoopPromise<Void>) { self.promise = promise }

        func userInboundEventTriggered(context: ChannelHandlerContext, event: Any) {
            if case TLSUserEvent.handshakeCompleted = event { promise.succeed(()) }
            context.fireUserInboundEventTriggered(event)
        }

        func errorCaught(context: ChannelHandlerContext, error: any Error) {
            promise.fail(error)
            context.close(promise: nil)
        }

        func channelInactive(context: ChannelHandlerContext) {
            promise.fail(ChannelError.ioOnClosedChannel)
            context.fireChannelInactive()
        }
    }
}
