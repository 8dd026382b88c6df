import ArgumentParser
import Foundation
import Subprocess

extension AgentCommand {
    /// `testfleet-agent install-service`: the systemd unit for a tarball install (the package ships the same).
    struct InstallService: AsyncParsableCommand {
        static let configuration = CommandConfiguration(
            commandName: "install-service",
            abstract: "Install the agent as a systemd service: write the unit, give the account its files, enable it.",
            discussion: """
                Writes \(ServiceUnit.name) to the unit directory, gives the account the config file, credential \
                and data directory, then runs systemctl daemon-reload and systemctl enable when systemd runs \
                here. It does not start the service. With --print it only prints the unit.
                """
        )

        static let systemUnitDirectory = "/etc/systemd/system"

        @Option(help: "The agent's config file (written by enroll).") var config: String = AgentCommand.defaultConfig
        @Option(help: "The account the service runs as; it must exist.") var user: String = ServiceAccount.defaultName
        @Option(help: "Where to write the unit; systemctl is left alone unless it is the system's directory.")
        var unitDir: String = InstallService.systemUnitDirectory
        @Option(help: "The agent binary the unit runs (default: this one).") var executable: String?
        @Flag(help: "Print the unit and change nothing.") var print = false
        @Flag(help: "Assume what enroll would write for --config instead of reading it (for packaging, with --print).")
        var defaults = false
        @Flag(help: "Do not run systemctl daemon-reload and enable.") var noEnable = false

        func run() async throws {
            let configURL = URL(fileURLWithPath: config).standardizedFileURL
            let settings: AgentConfiguration
            if defaults {
                guard print else { throw CleanExit.message("--defaults only goes with --print") }
                var assumed = AgentConfiguration(controller: "", name: "")
                assumed.path = configURL
                assumed.dataDir = AgentConfiguration.defaultDataDir(configURL: configURL, asRoot: true)
                settings = assumed
            } else if FileManager.default.fileExists(atPath: configURL.path) {
                do {
                    settings = try AgentConfiguration.load(path: configURL.path)
                } catch {
                    throw CleanExit.message("\(error)")
                }
            } else {
                throw CleanExit.message("no config file \(configURL.path): enroll first (testfleet-agent enroll … --config \(config))")
            }
            let unit = ServiceUnit(executable: executable ?? Self.ownExecutable(), configuration: settings, user: user)
            if print {
                Swift.print(unit.render(), terminator: "")
                return
            }
            guard let account = ServiceAccount(name: user) else {
                throw CleanExit.message(
                    "no user \(user) on this machine: create it (useradd --system --user-group --home-dir "
                        + "\(settings.dataURL.path) --shell /usr/sbin/nologin \(user)) or pass --user"
                )
            }
            if geteuid() == 0 {
                let changed = try account.handOver(settings)
                Swift.print("gave \(changed.joined(separator: ", ")) to \(user)")
            } else if account.uid != geteuid() {
                Swift.print("not root: could not give the agent's files to \(user); do that as root")
            }
            let unitURL = URL(fileURLWithPath: unitDir).appendingPathComponent(ServiceUnit.name)
            do {
                try FileManager.default.createDirectory(atPath: unitDir, withIntermediateDirectories: true)
                try? FileManager.default.removeItem(at: unitURL)
                guard
                    FileManager.default.createFile(
                        atPath: unitURL.path,
                        contents: Data(unit.render().utf8),
                        attributes: [.posixPermissions: 0o644]
                    )
                else { throw AgentError("cannot create the file") }
            } catch {
                throw CleanExit.message("cannot write \(unitURL.path): \(error)")
            }
            Swift.print("wrote \(unitURL.path): runs \(unit.executable) as \(user) with \(settings.path.path)")
            try await enable(unitURL: unitURL)
        }

        /// `systemctl daemon-reload` and `enable` when systemd runs here and the unit is in its directory.
        private func enable(unitURL: URL) async throws {
            let standardDirectory = URL(fileURLWithPath: unitDir).standardizedFileURL.path == Self.systemUnitDirectory
            if noEnable || !standardDirectory {
                Swift.print("not enabled (\(noEnable ? "--no-enable" : "not the system's unit directory"))")
                return
            }
            guard FileManager.default.fileExists(atPath: "/run/systemd/system") else {
                Swift.print("systemd is not running here: not enabled; with systemd, run systemctl enable --now testfleet-agent")
                return
            }
            for arguments in [["daemon-reload"], ["enable", ServiceUnit.name]] {
                let result = try await Subprocess.run(
                    .name("systemctl"),
                    arguments: Arguments(arguments),
                    output: .string(limit: 65536),
                    error: .combinedWithOutput
                )
                let output = result.standardOutput.trimmingCharacters(in: .whitespacesAndNewlines)
                guard result.terminationStatus.isSuccess else {
                    throw CleanExit.message("systemctl \(arguments.joined(separator: " ")) failed: \(output)")
                }
                Swift.print("ran systemctl \(arguments.joined(separator: " "))" + (output.isEmpty ? "" : ": \(output)"))
            }
            Swift.print("enabled; start it now with: systemctl start testfleet-agent")
        }

        static func ownExecutable() -> String {
            (try? FileManager.default.destinationOfSymbolicLink(atPath: "/proc/self/exe")) ?? CommandLine.arguments[0]
        }
    }
}
