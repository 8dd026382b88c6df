import ArgumentParser
import AsyncSupport
import ControllerClient
import Foundation
import Logging
import ServiceLifecycle
import WireProtocol

/// `testfleet-agent`: enroll this machine, run cases, show status.
@main
struct AgentCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "testfleet-agent",
        abstract: "The Testfleet agent: takes cases from the controller and runs them on this machine.",
        version: TestfleetVersion.current,
        subcommands: [Enroll.self, Run.self, Status.self, InstallService.self]
    )

    static let defaultConfig = geteuid() == 0 ? "/etc/testfleet/agent.toml" : "agent.toml"
}

extension AgentCommand {
    struct Enroll: AsyncParsableCommand {
        static let configuration = CommandConfiguration(
            abstract: "Enroll this machine with a controller and write the agent's config file."
        )

        @Option(help: "The controller's URL, e.g. https://controller:8443.") var controller: String
        @Option(help: "An enrollment token from the controller.") var token: String
        @Option(name: .customLong("ca-sha256"), help: "SHA-256 fingerprint of the controller's CA certificate.")
        var caSHA256: String?
        @Option(help: "Config file to write.") var config: String = AgentCommand.defaultConfig
        @Option(help: "Node name (default: host name).") var name: String?
        @Option(help: "Cases to run at once.") var slots: Int = 1
        @Option(
            help: """
                The account the agent service runs as: as root, enroll gives it the files it writes \
                (default: \(ServiceAccount.defaultName) when that account exists).
                """
        )
        var user: String?

        func validate() throws {
            guard (1...1024).contains(slots) else { throw ValidationError("--slots must be from 1 to 1024") }
            guard let url = URL(string: controller), let scheme = url.scheme, ["http", "https"].contains(scheme),
                url.host != nil
            else { throw ValidationError("--controller must be an http(s) URL, e.g. https://controller:8443") }
            if scheme == "https" && caSHA256 == nil {
                throw ValidationError("--ca-sha256 is required with https: copy it from the enrollment command")
            }
        }

        func run() async throws {
            let url = URL(string: controller)!
            let configURL = URL(fileURLWithPath: config).standardizedFileURL
            let directory = configURL.deletingLastPathComponent()
            try FileManager.default.createDirectory(at: directory, withIntermediateDirectories: true)
            let stem = configURL.deletingPathExtension().lastPathComponent
            var caPEM: String?
            if url.scheme == "https" {
                do {
                    caPEM = try await CertificatePin.fetch(
                        host: url.host!,
                        port: url.port ?? 443,
                        expected: caSHA256 ?? ""
                    )
                } catch let mismatch as CertificatePin.Mismatch {
                    throw CleanExit.message("refusing to enroll: \(mismatch)")
                } catch {
                    throw CleanExit.message("cannot reach \(controller): \(error)")
                }
            }
            let client = try ControllerClient(baseURL: controller, caCertificatePEM: caPEM, bearer: nil)
            let nodeName = name ?? LocalFacts.hostname()
            let answer: EnrollResponse
            do {
                answer = try await AgentClient.enroll(
                    client: client,
                    token: token,
                    request: EnrollRequest(name: nodeName, facts: LocalFacts.collect(slots: slots))
                )
            } catch let error as ClientError {
                await client.shutdown()
                throw CleanExit.message("enrollment refused: \(error)")
            }
            await client.shutdown()
            var settings =
                (try? AgentConfiguration.load(path: configURL.path))
                ?? AgentConfiguration(controller: controller, name: answer.name)
            settings.controller = controller
            settings.name = answer.name
            settings.slots = slots
            settings.caFile = "\(stem)-ca.crt"
            settings.credentialFile = "\(stem).credential"
            if !FileManager.default.fileExists(atPath: configURL.path) {
                settings.dataDir = AgentConfiguration.defaultDataDir(configURL: configURL)
            }
            settings.path = configURL
            if let caPEM { try caPEM.write(to: settings.caURL, atomically: true, encoding: .utf8) }
            try writePrivate(settings.credentialURL, answer.credential + "\n")
            try writePrivate(configURL, settings.render())
            print("enrolled as node \(answer.name) (id \(answer.nodeId)); config written to \(configURL.path)")
            if let account = try serviceAccount() {
                try account.handOver(settings)
                print("gave the config, credential and data directory to \(account.name), the account the service runs as")
            }
            print("list what is installed here as [[product]] tables in it, then run: testfleet-agent run --config \(configURL.path)")
        }

        /// The account to give the files to: `--user`, else the service's default account when it exists; only
        /// root can give files away.
        private func serviceAccount() throws -> ServiceAccount? {
            guard geteuid() == 0 else {
                if let user { print("not root: the files stay yours, not \(user)'s") }
                return nil
            }
            guard let user else { return ServiceAccount(name: ServiceAccount.defaultName) }
            guard let account = ServiceAccount(name: user) else { throw CleanExit.message("no user \(user) on this machine") }
            return account
        }

        private func writePrivate(_ url: URL, _ text: String) throws {
            try? FileManager.default.removeItem(at: url)
            _ = FileManager.default.createFile(atPath: url.path, contents: Data(text.utf8), attributes: [.posixPermissions: 0o600])
        }
    }

    struct Run: AsyncParsableCommand {
        static let configuration = CommandConfiguration(abstract: "Take cases from the controller and run them.")

        @Option(help: "The agent's config file.") var config: String = AgentCommand.defaultConfig
        @Option(help: "trace, debug, info, notice, warning or error.") var logLevel: String = "info"

        func run() async throws {
            LoggingSystem.bootstrap { StreamLogHandler.standardError(label: $0) }
            var logger = Logger(label: "testfleet.agent")
            logger.logLevel = Logger.Level(rawValue: logLevel) ?? .info
            let settings: AgentConfiguration
            do {
                settings = try AgentConfiguration.load(path: config)
            } catch {
                throw CleanExit.message("\(error)")
            }
            let client = try ControllerClient(
                baseURL: settings.controller,
                caCertificatePEM: try settings.readCA(),
                bearer: try settings.readCredential(),
                maxConnections: settings.slots * 3 + 4
            )
            let service = AgentService(config: settings, client: AgentClient(client: client), logger: logger)
            let group = ServiceGroup(
                configuration: .init(
                    services: [.init(service: service)],
                    gracefulShutdownSignals: [.sigterm, .sigint],
                    logger: logger
                )
            )
            var failure: (any Error)?
            do {
                try await group.run()
            } catch {
                failure = error
            }
            // Closing TLS connections waits for the peer; the agent's work is done, so it waits briefly.
            _ = await finishes({ await client.shutdown() }, within: .seconds(1))
            if let refused = failure as? CredentialRefused {
                logger.critical("\(refused)")
                throw ExitCode(CredentialRefused.exitStatus)
            }
            if let failure { throw failure }
        }
    }

    struct Status: AsyncParsableCommand {
        static let configuration = CommandConfiguration(
            abstract: "Show enrollment, controller reachability, inventory and running cases."
        )

        @Option(help: "The agent's config file.") var config: String = AgentCommand.defaultConfig

        func run() async throws {
            let settings: AgentConfiguration
            do {
                settings = try AgentConfiguration.load(path: config)
            } catch {
                throw CleanExit.message("not enrolled: \(error)")
            }
            print("node:        \(settings.name)")
            print("controller:  \(settings.controller)")
            print("slots:       \(settings.slots)")
            let labels = AgentLabels.collect(configured: settings.labels, kind: await MachineKind.detect())
            print("labels:      \(labels.joined(separator: ", "))")
            print("config:      \(settings.path.path)")
            let client = try ControllerClient(
                baseURL: settings.controller,
                caCertificatePEM: try settings.readCA(),
                bearer: try settings.readCredential()
            )
            var failed = false
            do {
                let me = try await AgentClient(client: client).node()
                print(
                    "reachable:   yes; node \(me.node.id) is \(me.node.state.rawValue)"
                        + (me.node.stateReason.map { " (\($0))" } ?? "")
                )
                if me.node.runningCases.isEmpty {
                    print("running:     nothing")
                } else {
                    for item in me.node.runningCases {
                        print("running:     case \(item.caseId) \(item.name) of task \(item.taskId) (\(item.state.rawValue))")
                    }
                }
            } catch {
                print("reachable:   no: \(error)")
                failed = true
            }
            await client.shutdown()
            print("inventory:")
            if settings.products.isEmpty { print("  nothing listed: add [[product]] tables to the config file") }
            for product in settings.products {
                print("  \(product.name) \(product.version) at \(product.path)")
                for tool in product.tools { print("    tool \(tool.name) \(tool.version) at \(tool.path)") }
            }
            let pending = SpoolEntry.all(in: settings.spoolURL).count
            if pending > 0 { print("spool:       \(pending) case(s) with logs or results still to deliver") }
            if failed { throw ExitCode(1) }
        }
    }
}
