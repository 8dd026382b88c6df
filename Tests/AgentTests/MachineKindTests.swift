import ConfigFile
import Foundation
import Testing
import WireProtocol

@testable import testfleet_agent

@Suite("Node labels on the agent")
struct MachineKindTests {
    typealias Evidence = MachineKind.Evidence

    @Test("systemd-detect-virt decides first: none is hardware, any hypervisor a virtual machine")
    func detectVirt() {
        #expect(MachineKind.decide(Evidence(detectVirt: "none\n", productName: "KVM")) == .physical)
        #expect(MachineKind.decide(Evidence(detectVirt: "kvm\n", productName: "PowerEdge R740")) == .virtual)
        #expect(MachineKind.decide(Evidence(detectVirt: "microsoft")) == .virtual)
        #expect(MachineKind.decide(Evidence(detectVirt: "vmware", cpuinfo: "flags\t: fpu vme")) == .virtual)
    }

    @Test("without systemd, DMI names the hypervisor; a known vendor's hardware is physical")
    func dmi() {
        let samples: [(String?, String?, MachineKind)] = [
            ("Standard PC (Q35 + ICH9, 2009)", "QEMU", .virtual),
            ("VirtualBox", "innotek GmbH", .virtual),
            ("VMware Virtual Platform", "VMware, Inc.", .virtual),
            ("Virtual Machine", "Microsoft Corporation", .virtual),
            ("HVM domU", "Xen", .virtual),
            ("Google Compute Engine", "Google", .virtual),
            ("KVM", "Red Hat", .virtual),
            ("OpenStack Compute", "OpenStack Foundation", .virtual),
            ("PowerEdge R740", "Dell Inc.", .physical),
            ("ThinkPad X1 Carbon Gen 9", "LENOVO", .physical),
            ("Macmini9,1", "Apple Inc.", .physical),
            (nil, "Supermicro", .physical),
        ]
        for (product, vendor, kind) in samples {
            // The CPU flag would say otherwise: DMI goes first.
            let evidence = Evidence(productName: product, sysVendor: vendor, cpuinfo: "flags\t\t: fpu hypervisor")
            #expect(MachineKind.decide(evidence) == kind, "\(product ?? "-") / \(vendor ?? "-")")
        }
    }

    @Test("without systemd or DMI, the hypervisor CPU flag decides; with nothing at all, physical")
    func cpuinfo() {
        let virtualCPU = """
            processor\t: 0
            model name\t: Intel Xeon Processor (Cascadelake)
            flags\t\t: fpu vme de pse tsc msr pae mce cx8 apic sep mtrr hypervisor lahf_lm abm
            """
        let hardware = """
            processor\t: 0
            model name\t: AMD Ryzen 9 5950X 16-Core Processor
            flags\t\t: fpu vme de pse tsc msr pae mce cx8 apic sep mtrr svm
            """
        let arm = "processor\t: 0\nFeatures\t: fp asimd evtstrm aes pmull sha1 sha2 crc32\n"
        #expect(MachineKind.decide(Evidence(cpuinfo: virtualCPU)) == .virtual)
        #expect(MachineKind.decide(Evidence(cpuinfo: hardware)) == .physical)
        #expect(MachineKind.decide(Evidence(cpuinfo: arm)) == .physical)
        // A model name that mentions the word is not the flag.
        #expect(MachineKind.decide(Evidence(cpuinfo: "model name\t: hypervisor\nflags\t\t: fpu")) == .physical)
        #expect(MachineKind.decide(Evidence(detectVirt: "  ", productName: " \n", sysVendor: "")) == .physical)
        #expect(MachineKind.decide(Evidence()) == .physical)
    }

    @Test("this machine's evidence is read and decided without failing")
    func thisMachine() async {
        let evidence = await MachineKind.gather()
        #expect(MachineKind.decide(evidence) == (await MachineKind.detect()))
    }

    @Test("the agent adds os:, arch: and kind: to its config file's labels, unless the file sets one")
    func composed() {
        #expect(
            AgentLabels.compose(configured: ["lab-b", "gpu"], os: "linux", arch: "x86_64", kind: .virtual)
                == ["arch:x86_64", "gpu", "kind:virtual", "lab-b", "os:linux"]
        )
        #expect(
            AgentLabels.compose(configured: ["kind:physical", "gpu", "gpu"], os: "Linux", arch: "aarch64", kind: .virtual)
                == ["arch:aarch64", "gpu", "kind:physical", "os:linux"]
        )
        #expect(AgentLabels.compose(configured: [], os: "", arch: "", kind: .physical) == ["kind:physical"])
        let here = AgentLabels.collect(configured: [], kind: .physical)
        #expect(here.contains("os:linux") && here.contains { $0.hasPrefix("arch:") })
    }

    @Test("labels in the config file: a list of strings, checked, written back")
    func configFile() throws {
        let base = "controller = \"https://ctl\"\nname = \"n\"\n"
        let config = try AgentConfiguration.parse(try TOML.parse(base + "labels = [\"gpu\", \"lab-b\"]\n"))
        #expect(config.labels == ["gpu", "lab-b"])
        #expect(try AgentConfiguration.parse(try TOML.parse(config.render())).labels == ["gpu", "lab-b"])
        #expect(try AgentConfiguration.parse(try TOML.parse(AgentConfiguration(controller: "c", name: "n").render())).labels == [])
        for bad in ["labels = \"gpu\"", "labels = [1, 2]", "labels = [\"two words\"]", "labels = [\"\"]", "labels = [\"a,b\"]"] {
            #expect(throws: AgentConfiguration.Failure.self, "\(bad)") {
                try AgentConfiguration.parse(try TOML.parse(base + bad + "\n"))
            }
        }
    }
}
