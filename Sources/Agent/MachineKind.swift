import Foundation
import Subprocess

/// Whether this machine is real hardware or a virtual machine: its `kind:` label. Containers do not count: a
/// container on hardware runs on a physical machine.
enum MachineKind: String, Sendable {
    case physical, virtual

    /// What the machine says about itself; each part `nil` when it could not be read.
    struct Evidence: Sendable, Equatable {
        /// The answer of `systemd-detect-virt --vm`: `none` on hardware, else the hypervisor's name.
        var detectVirt: String?
        /// `/sys/class/dmi/id/product_name` and `sys_vendor`.
        var productName: String?
        var sysVendor: String?
        /// `/proc/cpuinfo`.
        var cpuinfo: String?
    }

    /// Words in DMI product names and vendors that only hypervisors use.
    static let hypervisorMarkers = [
        "kvm", "qemu", "vmware", "virtualbox", "innotek", "xen", "bochs", "parallels", "bhyve", "hyper-v",
        "virtual machine", "openstack", "google compute engine", "cloud hypervisor", "firecracker",
    ]

    /// The kind the evidence shows, asking in order of trust: `systemd-detect-virt`, then DMI, then the
    /// `hypervisor` CPU flag a hypervisor sets. With nothing to go by, the machine counts as physical.
    static func decide(_ evidence: Evidence) -> MachineKind {
        if let answer = evidence.detectVirt?.trimmingCharacters(in: .whitespacesAndNewlines).lowercased(),
            !answer.isEmpty
        {
            return answer == "none" ? .physical : .virtual
        }
        let dmi = [evidence.productName, evidence.sysVendor]
            .compactMap { $0?.trimmingCharacters(in: .whitespacesAndNewlines).lowercased() }
            .filter { !$0.isEmpty }
        if !dmi.isEmpty {
            return dmi.contains { text in hypervisorMarkers.contains { text.contains($0) } } ? .virtual : .physical
        }
        if let cpuinfo = evidence.cpuinfo {
            let flagged = cpuinfo.split(separator: "\n").contains { line in
                line.hasPrefix("flags") && line.split(separator: " ").contains("hypervisor")
            }
            return flagged ? .virtual : .physical
        }
        return .physical
    }

    /// This machine's kind.
    static func detect() async -> MachineKind {
        decide(await gather())
    }

    static func gather() async -> Evidence {
        func read(_ path: String) -> String? { try? String(contentsOfFile: path, encoding: .utf8) }
        return Evidence(
            detectVirt: await detectVirt(),
            productName: read("/sys/class/dmi/id/product_name"),
            sysVendor: read("/sys/class/dmi/id/sys_vendor"),
            cpuinfo: read("/proc/cpuinfo")
        )
    }

    /// The answer of `systemd-detect-virt --vm` (which exits 1 when it answers `none`); `nil` without systemd.
    private static func detectVirt() async -> String? {
        do {
            let result = try await Subprocess.run(
                .name("systemd-detect-virt"),
                arguments: ["--vm"],
                output: .string(limit: 4096),
                error: .discarded
            )
            let answer = result.standardOutput.trimmingCharacters(in: .whitespacesAndNewlines)
            return answer.isEmpty ? nil : answer
        } catch {
            return nil
        }
    }
}
