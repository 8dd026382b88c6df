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

    /// The start time of a running process, in clock ticks since boot (field 22 of `/proc/<pid>/stat`). One read
    /// into a buffer on the stack: the agent asks for every case it starts.
    static func startTicks(_ pid: pid_t) -> UInt64? {
        let file = open("/proc/\(pid)/stat", O_RDONLY | O_CLOEXEC)
        guard file >= 0 else { return nil }
        defer { close(file) }
        return withUnsafeTemporaryAllocation(of: UInt8.self, capacity: 4096) { buffer in
            let count = read(file, buffer.baseAddress!, buffer.count)
            return count > 0 ? startTicks(statLine: UnsafeBufferPointer(rebasing: buffer[..<count])) : nil
        }
    }

    /// Field 22 of a `/proc/<pid>/stat` line. The command name, field 2 in parentheses, can hold spaces and
    /// parentheses itself: the fields after the last ")" start with the state, field 3.
    static func startTicks(statLine line: UnsafeBufferPointer<UInt8>) -> UInt64? {
        guard let end = line.lastIndex(of: UInt8(ascii: ")")) else { return nil }
        var field = 2
        var inField = false
        var value: UInt64 = 0
        for byte in line[(end + 1)...] {
            if byte == UInt8(ascii: " ") || byte == UInt8(ascii: "\n") {
                if inField && field == 22 { return value }
                inField = false
                continue
            }
            if !inField {
                inField = true
                field += 1
            }
            guard field == 22 else { continue }
            guard (UInt8(ascii: "0")...UInt8(ascii: "9")).contains(byte) else { return nil }
            let (tens, overflowed) = value.multipliedReportingOverflow(by: 10)
            guard !overflowed, tens <= UInt64.max - UInt64(byte - UInt8(ascii: "0")) else { return nil }
            value = tens + UInt64(byte - UInt8(ascii: "0"))
        }
        return inField && field == 22 ? value : nil
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
