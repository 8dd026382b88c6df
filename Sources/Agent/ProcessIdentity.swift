import Foundation

/// Who a process number stood for: the boot it ran in and its start time since boot, from `/proc`.
struct ProcessIdentity: Equatable, Sendable {
    var bootID: String
    var startTicks: UInt64

    init(bootID: String, startTicks: UInt64) {
        self.bootID = bootID
        self.startTicks = startTicks
    }

    /// Parses `<boot id> <start ticks>`.
    init?(_ text: String) {
        let parts = text.split(separator: " ")
        guard parts.count == 2, let ticks = UInt64(parts[1]) else { return nil }
        self.init(bootID: String(parts[0]), startTicks: ticks)
    }

    var description: String { "\(bootID) \(startTicks)" }

    static func currentBootID() -> String? { bootID }

    /// The boot this process runs in: it does not change while the process lives.
    private static let bootID: String? = (try? String(contentsOfFile: "/proc/sys/kernel/random/boot_id", encoding: .utf8))?
        .trimmingCharacters(in: .whitespacesAndNewlines)

    /// The start time of a running process, in clock ticks since boot (field 22 of `/proc/<pid>/stat`).
    static func startTicks(_ pid: pid_t) -> UInt64? {
        guard let stat = try? String(contentsOfFile: "/proc/\(pid)/stat", encoding: .utf8),
            let end = stat.lastIndex(of: ")")
        else { return nil }
        // The command name can hold spaces; the fields after it start with the state, field 3.
        let fields = stat[stat.index(after: end)...].split(separator: " ")
        return fields.count > 19 ? UInt64(fields[19]) : nil
    }

    static func of(_ pid: pid_t) -> String? {
        guard let boot = currentBootID(), let ticks = startTicks(pid) else { return nil }
        return ProcessIdentity(bootID: boot, startTicks: ticks).description
    }

    /// Whether process group `group` is still the one recorded: same boot, and its leader either gone (the
    /// number stays taken while members of its group live) or the very process that was recorded.
    static func stillOurs(_ group: pid_t, recorded: ProcessIdentity) -> Bool {
        guard currentBootID() == recorded.bootID else { return false }
        guard let ticks = startTicks(group) else { return true }
        return ticks == recorded.startTicks
    }
}
