import Foundation
import Testing

@testable import testfleet_agent

@Suite("The agent's systemd unit")
struct ServiceUnitTests {
    @Test("from the config: its path, the data and work directories writable, a stop timeout past the grace periods")
    func fromConfiguration() {
        var config = AgentConfiguration(controller: "https://ctl:8443", name: "n1")
        config.path = URL(fileURLWithPath: "/etc/testfleet/agent.toml")
        config.dataDir = "/var/lib/testfleet-agent"
        config.shutdownGraceSeconds = 120
        config.killGraceSeconds = 5
        let unit = ServiceUnit(executable: "/usr/bin/testfleet-agent", configuration: config, user: "testfleet-agent")
        let text = unit.render()
        for line in [
            "User=testfleet-agent", "ExecStart=/usr/bin/testfleet-agent run --config /etc/testfleet/agent.toml",
            "ConditionPathExists=/etc/testfleet/agent.toml", "ReadWritePaths=/var/lib/testfleet-agent", "TimeoutStopSec=155",
            "Restart=always", "RestartPreventExitStatus=78", "NoNewPrivileges=yes", "ProtectSystem=strict", "ProtectHome=yes", "PrivateTmp=yes",
            "KillMode=mixed",
            "WantedBy=multi-user.target",
        ] {
            #expect(text.split(separator: "\n").contains(Substring(line)), "\(line)")
        }
        // A work directory elsewhere is writable too.
        config.workDir = "/scratch/testfleet work"
        let elsewhere = ServiceUnit(executable: "/opt/tf/bin/testfleet-agent", configuration: config, user: "ci")
        #expect(elsewhere.render().contains("ReadWritePaths=/var/lib/testfleet-agent \"/scratch/testfleet work\"\n"))
    }

    @Test("words are quoted for systemd where needed; % is not a specifier")
    func quoting() {
        #expect(ServiceUnit.quote("/usr/bin/testfleet-agent") == "/usr/bin/testfleet-agent")
        #expect(ServiceUnit.quote("/opt/my agent/bin") == "\"/opt/my agent/bin\"")
        #expect(ServiceUnit.quote("/a\"b\\c") == "\"/a\\\"b\\\\c\"")
        #expect(ServiceUnit.quote("/data/100%") == "/data/100%%")
    }

    @Test("enroll's default data directory: /var/lib/testfleet-agent for root's /etc/testfleet, else beside the file")
    func defaultDataDirectory() {
        #expect(
            AgentConfiguration.defaultDataDir(configURL: URL(fileURLWithPath: "/etc/testfleet/agent.toml"), asRoot: true)
                == "/var/lib/testfleet-agent"
        )
        #expect(AgentConfiguration.defaultDataDir(configURL: URL(fileURLWithPath: "/etc/testfleet/agent.toml"), asRoot: false) == "agent-data")
        #expect(AgentConfiguration.defaultDataDir(configURL: URL(fileURLWithPath: "/home/me/lab.toml"), asRoot: true) == "lab-data")
    }
}
