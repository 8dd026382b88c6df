import ConfigFile
import Foundation
import Testing
import WireProtocol

@testable import testfleet_agent

@Suite("Agent configuration file")
struct AgentConfigurationTests {
    @Test("written, read back, with the inventory the admin added")
    func roundTrip() throws {
        var config = AgentConfiguration(controller: "https://ctl:8443", name: "node \"one\"")
        config.slots = 4
        config.workDir = "/scratch/work"
        config.archiveLimits.maxRatio = 1000
        config.products = [
            InventoryProduct(
                name: "shop",
                version: "1.0",
                path: "/opt/shop",
                tools: [InventoryTool(name: "pytest", version: "8", path: "/opt/pytest")]
            )
        ]
        let parsed = try AgentConfiguration.parse(try TOML.parse(config.render()))
        var expected = config
        expected.path = parsed.path
        #expect(parsed == expected)
    }

    @Test("a tool without a path is installed with its product; mistakes are reported with their place")
    func validation() throws {
        let text = """
            controller = "https://ctl"
            name = "n"

            [[product]]
            name = "p"
            version = "1"
            path = "/opt/p"

            [[product.tool]]
            name = "t"
            version = "2"
            """
        let config = try AgentConfiguration.parse(try TOML.parse(text))
        #expect(config.products[0].tools[0].path == "/opt/p")
        #expect(throws: AgentConfiguration.Failure.self) { try AgentConfiguration.parse(try TOML.parse("name = \"n\"")) }
        #expect(throws: AgentConfiguration.Failure.self) {
            try AgentConfiguration.parse(try TOML.parse("controller = \"x\"\nname = \"n\"\nslots = 0"))
        }
        #expect(throws: AgentConfiguration.Failure.self) {
            try AgentConfiguration.parse(try TOML.parse("controller = \"x\"\nname = \"n\"\ncolour = \"red\""))
        }
        #expect(throws: AgentConfiguration.Failure.self) {
            try AgentConfiguration.parse(try TOML.parse("controller = \"x\"\nname = \"n\"\n[[product]]\nname = \"p\""))
        }
        let limits = try AgentConfiguration.parse(try TOML.parse("controller = \"x\"\nname = \"n\"\nunpack_max_bytes = 1_048_576"))
        #expect(limits.archiveLimits == ArchiveLimits(maxBytes: 1 << 20))
        #expect(throws: AgentConfiguration.Failure.self) {
            try AgentConfiguration.parse(try TOML.parse("controller = \"x\"\nname = \"n\"\nunpack_max_ratio = 0"))
        }
    }

    @Test("relative paths are relative to the file's directory")
    func paths() {
        var config = AgentConfiguration(controller: "https://ctl", name: "n")
        config.path = URL(fileURLWithPath: "/etc/testfleet/agent.toml")
        config.caFile = "agent-ca.crt"
        config.dataDir = "/var/lib/testfleet-agent"
        #expect(config.caURL.path == "/etc/testfleet/agent-ca.crt")
        #expect(config.spoolURL.path == "/var/lib/testfleet-agent/spool")
        #expect(config.workURL.path == "/var/lib/testfleet-agent/work")
        config.dataDir = "agent-data/"
        config.workDir = "../scratch"
        #expect(config.dataURL.path == "/etc/testfleet/agent-data")
        #expect(config.spoolURL.path == "/etc/testfleet/agent-data/spool")
        #expect(config.workURL.path == "/etc/scratch")
        #expect((config.spoolURL.path + "/x", config.workURL.path + "/x") == ("/etc/testfleet/agent-data/spool/x", "/etc/scratch/x"))
    }
}
