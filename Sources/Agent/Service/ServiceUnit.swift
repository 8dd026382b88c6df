import Foundation

/// The agent's systemd unit. The `testfleet-agent` package ships it (rendered by `install-service --print`
/// at build time) and `install-service` writes it for a tarball install: one template for both.
///
/// The agent runs as its own user with the file system read-only except its data and work directories
/// (where test commands write), a private /tmp and no home directories. SIGTERM goes to the agent alone
/// (`KillMode=mixed`), which drains: running cases get their grace period, then are stopped and handed back.
struct ServiceUnit: Equatable, Sendable {
    var executable: String
    var config: String
    var user: String
    /// Directories the agent and its test commands may write to.
    var writablePaths: [String]
    /// Seconds systemd waits after SIGTERM before it kills what is left.
    var stopTimeoutSeconds: Int

    static let name = "testfleet-agent.service"

    init(executable: String, configuration: AgentConfiguration, user: String) {
        self.executable = executable
        self.config = configuration.path.path
        self.user = user
        var paths = [configuration.dataURL.path]
        let work = configuration.workURL.path
        if !work.hasPrefix(configuration.dataURL.path + "/") { paths.append(work) }
        self.writablePaths = paths
        self.stopTimeoutSeconds = configuration.shutdownGraceSeconds + configuration.killGraceSeconds + 30
    }

    func render() -> String {
        """
        # The Testfleet agent. Written by testfleet-agent install-service; the testfleet-agent package ships the same.
        [Unit]
        Description=Testfleet agent: runs the test cases this machine leases from the controller
        Wants=network-online.target
        After=network-online.target
        # Until enroll has written the config file, the service is skipped rather than failing over and over.
        ConditionPathExists=\(config.replacingOccurrences(of: "%", with: "%%"))

        [Service]
        Type=simple
        User=\(Self.quote(user))
        ExecStart=\(Self.quote(executable)) run --config \(Self.quote(config))
        # SIGTERM reaches the agent alone: it finishes or hands back running cases before it exits.
        KillMode=mixed
        TimeoutStopSec=\(stopTimeoutSeconds)
        Restart=always
        RestartSec=5
        # A node whose credential was revoked exits with this status: it stays stopped until enrolled again.
        RestartPreventExitStatus=\(CredentialRefused.exitStatus)
        NoNewPrivileges=yes
        ProtectSystem=strict
        ProtectHome=yes
        PrivateTmp=yes
        ReadWritePaths=\(writablePaths.map(Self.quote).joined(separator: " "))
        LimitNOFILE=65536

        [Install]
        WantedBy=multi-user.target

        """
    }

    /// A word for a unit file: quoted when it holds spaces, quotes or backslashes; `%` doubled (a specifier).
    static func quote(_ word: String) -> String {
        let escaped = word.replacingOccurrences(of: "%", with: "%%")
        guard escaped.contains(where: { $0 == " " || $0 == "\t" || $0 == "\"" || $0 == "\\" || $0 == "'" }) else {
            return escaped
        }
        return "\"" + escaped.replacingOccurrences(of: "\\", with: "\\\\").replacingOccurrences(of: "\"", with: "\\\"") + "\""
    }
}
