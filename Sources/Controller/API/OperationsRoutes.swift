import Foundation
import Hummingbird
import NIOCore

/// `/healthz`, `/readyz`, `/metrics` and the OpenAPI document.
struct OperationsRoutes {
    let services: ControllerServices

    func addRoutes(to router: Router<AppRequestContext>) {
        router.get("/healthz") { _, _ in
            Response(status: .ok, headers: [.contentType: "text/plain; charset=utf-8"], body: .init(byteBuffer: ByteBuffer(string: "ok\n")))
        }
        router.get("/readyz") { _, context in
            do {
                let pending = try await Migrator().pending(services.database)
                guard pending.isEmpty else {
                    throw AppError(.serviceUnavailable, "database schema not migrated (pending: \(pending))")
                }
                return Response(
                    status: .ok,
                    headers: [.contentType: "text/plain; charset=utf-8"],
                    body: .init(byteBuffer: ByteBuffer(string: "ready\n"))
                )
            } catch let error as AppError {
                throw error
            } catch {
                context.logger.warning("not ready: \(error)")
                throw AppError(.serviceUnavailable, "database unreachable")
            }
        }
        router.get("/metrics") { _, _ in
            services.metrics.leaseWaiters.set(Double(services.waiters.count))
            var buffer = ByteBuffer()
            buffer.writeBytes(services.metrics.registry.emitToBuffer())
            return Response(
                status: .ok,
                headers: [.contentType: "text/plain; version=0.0.4; charset=utf-8"],
                body: .init(byteBuffer: buffer)
            )
        }
        router.get("/api/v1/openapi.json") { _, _ in
            let data = try OpenAPIDocument.json()
            return Response(
                status: .ok,
                headers: [.contentType: "application/json; charset=utf-8"],
                body: .init(byteBuffer: ByteBuffer(bytes: data))
            )
        }
    }
}
