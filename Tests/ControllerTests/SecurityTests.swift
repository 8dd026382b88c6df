import ControllerClient
import Foundation
import Logging
import Synchronization
import Testing
import WireProtocol

@testable import testfleet_controller

/// Who may call what, and where secrets end up.
@Suite("Security")
struct SecurityTests {
    /// A path of the document with its parameters filled in.
    static func concrete(_ path: String) -> String {
        path.contains("/leases/")
            ? path.replacingOccurrences(of: "{id}", with: UUID().uuidString.lowercased())
            : path.replacingOccurrences(of: "{id}", with: "1").replacingOccurrences(of: "{n}", with: "1")
    }

    static func method(_ name: String) -> HTTPMethodName {
        switch name {
        case "POST": .POST
        case "PUT": .PUT
        case "PATCH": .PATCH
        case "DELETE": .DELETE
        default: .GET
        }
    }

    @Test("every route: no credentials 401, a wrong token 401, a member on admin routes 403, users and nodes kept apart")
    func everyRoute() async throws {
        try await withController { controller in
            let fixture = try await Fixture.make(controller, script: "true")
            _ = try await controller.admin.request(.POST, "/api/v1/users", json: UserInput(username: "mem", password: "member-password"))
            let basic = "Basic " + Data("mem:member-password".utf8).base64EncodedString()
            let anonymous = try controller.client(bearer: nil)
            let memberToken = try await anonymous.request(.POST, "/api/v1/tokens", json: TokenInput(), headers: [("Authorization", basic)])
                .decode(CreatedToken.self).token
            let member = try controller.client(bearer: memberToken)
            let wrong = try controller.client(bearer: "tfu_" + String(repeating: "A", count: 43))
            let wrongNode = try controller.client(bearer: "tfn_" + String(repeating: "B", count: 43))
            let node = try await SimulatedNode.enroll(controller, name: "sec", products: [fixture.simulatedInventory])
            for operation in OpenAPIDocument.operations where operation.access != .anyone && operation.access != .enrollment {
                let path = Self.concrete(operation.path)
                let method = Self.method(operation.method)
                let what = "\(operation.method) \(operation.path)"
                let body = operation.method == "GET" || operation.method == "DELETE" ? nil : "{}"
                #expect(try await anonymous.request(method, path, raw: body).status == 401, "\(what) without credentials")
                let client = operation.access == .node ? wrongNode : wrong
                #expect(try await client.request(method, path, raw: body).status == 401, "\(what) with a wrong token")
                switch operation.access {
                case .admin:
                    #expect(try await member.request(method, path, raw: body).status == 403, "\(what) as a member")
                case .node:
                    #expect(try await member.request(method, path, raw: body).status == 403, "\(what) with a user token")
                case .user:
                    #expect(try await node.client.request(method, path, raw: body).status == 403, "\(what) with a node credential")
                default:
                    break
                }
            }
        }
    }

    @Test("a node cannot touch another node's lease; expired sessions and revoked credentials are refused")
    func boundaries() async throws {
        try await withController { controller in
            let fixture = try await Fixture.make(controller, script: "true")
            let a = try await SimulatedNode.enroll(controller, name: "a", products: [fixture.simulatedInventory])
            let b = try await SimulatedNode.enroll(controller, name: "b", products: [fixture.simulatedInventory])
            _ = try await controller.submit(fixture.submission(["x"]))
            let lease = try #require(try await a.lease())
            #expect(try await b.heartbeat(lease).status == 403)
            #expect(try await b.log(lease, offset: 0, "intrusion").status == 403)
            #expect(try await b.finish(lease, .passed).status == 403)
            #expect(try await controller.log(lease.caseId).isEmpty)

            let anonymous = try controller.client(bearer: nil)
            let login = try await anonymous.request(
                .POST,
                "/api/v1/auth/login",
                json: LoginInput(username: "admin", password: TestController.adminPassword)
            )
            let cookie = String(try #require(login.header("Set-Cookie")).split(separator: ";")[0])
            #expect(try await anonymous.request(.GET, "/api/v1/auth/me", headers: [("Cookie", cookie)]).status == 200)
            try await controller.services.database.query("UPDATE sessions SET expires_at = now() - interval '1 second'")
            #expect(try await anonymous.request(.GET, "/api/v1/auth/me", headers: [("Cookie", cookie)]).status == 401)

            #expect(try await controller.admin.request(.DELETE, "/api/v1/nodes/\(a.id)").status == 204)
            let revoked = try await a.client.request(.POST, "/api/v1/agent/lease", json: LeaseRequest(waitS: 0))
            #expect(revoked.status == 401)
            #expect(try await a.finish(lease, .passed).status == 401)
        }
    }

    @Test("no token, credential or password appears in clear in a database dump or the controller's log")
    func secretsStayHashed() async throws {
        let lines = CollectedLog()
        try await withController(logHandler: CollectingLogHandler(lines: lines)) { controller in
            let fixture = try await Fixture.make(controller, script: "true")
            let password = "correct-horse-battery-staple"
            _ = try await controller.admin.request(.POST, "/api/v1/users", json: UserInput(username: "secretive", password: password))
            let anonymous = try controller.client(bearer: nil)
            let basic = "Basic " + Data("secretive:\(password)".utf8).base64EncodedString()
            let token = try await anonymous.request(.POST, "/api/v1/tokens", json: TokenInput(name: "ci"), headers: [("Authorization", basic)])
                .decode(CreatedToken.self).token
            let enrollment = try await controller.admin.request(.POST, "/api/v1/enrollment-tokens", json: EnrollmentTokenInput())
                .decode(EnrollmentToken.self).token!
            let node = try await SimulatedNode.enroll(controller, name: "dumped", products: [fixture.simulatedInventory])
            _ = try await controller.submit(fixture.submission(["one"]))
            let lease = try #require(try await node.lease())
            try await node.finish(lease, .passed)
            let login = try await anonymous.request(.POST, "/api/v1/auth/login", json: LoginInput(username: "secretive", password: password))
            let session = String(try #require(login.header("Set-Cookie")).split(separator: ";")[0].split(separator: "=")[1])

            let dumpTool = try #require(EmbeddedPostgres.locateBinaries()?.appendingPathComponent("pg_dump").path)
            let dump = try await ProcessRunner.run(
                dumpTool,
                ["--dbname=" + controller.databaseURL.replacingOccurrences(of: "?sslmode=disable", with: "")]
            )
            #expect(dump.status == 0, "\(dump.output.prefix(300))")
            #expect(dump.output.contains("CREATE TABLE public.api_tokens"))
            let secrets = [
                ("password", password), ("api token", token), ("admin token", controller.adminToken), ("enrollment token", enrollment),
                ("node credential", node.credential), ("session", session), ("admin password", TestController.adminPassword),
            ]
            for (what, secret) in secrets {
                #expect(!dump.output.contains(secret), "the \(what) is in the database dump")
                #expect(!lines.text.contains(secret), "the \(what) is in the controller's log")
            }
            #expect(lines.count > 0, "the controller logged nothing at all")
        }
    }
}

/// Log lines kept in memory, for looking at what the controller wrote.
final class CollectedLog: Sendable {
    private let lines = Mutex<[String]>([])

    func append(_ line: String) { lines.withLock { $0.append(line) } }
    var text: String { lines.withLock { $0.joined(separator: "\n") } }
    var count: Int { lines.withLock { $0.count } }
}

/// Writes every log event, with its metadata, into a ``CollectedLog``.
struct CollectingLogHandler: LogHandler {
    let lines: CollectedLog
    var metadata: Logger.Metadata = [:]
    var logLevel: Logger.Level = .trace

    subscript(metadataKey key: String) -> Logger.Metadata.Value? {
        get { metadata[key] }
        set { metadata[key] = newValue }
    }

    func log(event: LogEvent) {
        let merged = metadata.merging(event.metadata ?? [:]) { $1 }
        lines.append("\(event.level) \(event.message) \(merged)")
    }
}
