import Foundation
import Hummingbird
import WireProtocol

/// Enrollment tokens (admin): create with the ready `testfleet-agent enroll` command, list, revoke.
struct EnrollmentRoutes {
    let services: ControllerServices

    func addRoutes(to api: RouterGroup<AppRequestContext>) {
        api.post("enrollment-tokens") { request, context -> EditedResponse<EnrollmentToken> in
            let caller = try context.adminCaller()
            let input =
                try await AuthRoutes.optionalBody(EnrollmentTokenInput.self, request, context)
                ?? EnrollmentTokenInput()
            var (token, secret) = try await services.nodes.createEnrollmentToken(input, by: caller)
            token.token = secret
            token.command = enrollCommand(token: secret)
            return EditedResponse(status: .created, response: token)
        }
        api.get("enrollment-tokens") { request, context -> Page<EnrollmentToken> in
            _ = try context.requireAdmin()
            return try await services.nodes.listEnrollmentTokens(Pagination(request))
        }
        api.delete("enrollment-tokens/:id") { request, context -> Response in
            let caller = try context.adminCaller()
            try await services.nodes.revokeEnrollmentToken(id: try request.id(context), by: caller)
            return Response(status: .noContent)
        }
    }

    /// The line an admin runs on a test machine.
    func enrollCommand(token: String) -> String {
        var command = "testfleet-agent enroll --controller \(services.config.effectivePublicURL) --token \(token)"
        if let fingerprint = services.tlsFingerprint { command += " --ca-sha256 \(fingerprint)" }
        return command
    }
}
