import Foundation

/// CPU time read from `/proc`, in milliseconds: where the machine's cores went during a phase.
struct CPUTime: Sendable {
    /// Clock ticks per second of `/proc`'s counters (USER_HZ).
    static let ticksPerSecond = Double(sysconf(Int32(_SC_CLK_TCK)))

    /// A process's own CPU time (and the part of it spent in the kernel) and that of its children it has waited for
    /// (for an agent: the cases' shells).
    static func process(_ pid: Int32) -> (own: Double, system: Double, children: Double)? {
        guard let stat = try? String(contentsOfFile: "/proc/\(pid)/stat", encoding: .utf8),
            let end = stat.lastIndex(of: ")")
        else { return nil }
        // After the command name: state is field 3; utime, stime, cutime, cstime are fields 14 to 17.
        let ticks = stat[stat.index(after: end)...].split(separator: " ").map(String.init)
        guard ticks.count > 14, let user = Double(ticks[11]), let system = Double(ticks[12]),
            let childUser = Double(ticks[13]), let childSystem = Double(ticks[14])
        else { return nil }
        return ((user + system) * 1000 / ticksPerSecond, system * 1000 / ticksPerSecond, (childUser + childSystem) * 1000 / ticksPerSecond)
    }

    /// How many times a process's threads have given up a core so far, waiting or made to (`voluntary_ctxt_switches`
    /// and `nonvoluntary_ctxt_switches` of each `/proc/<pid>/task/*/status`); threads that have ended are not counted.
    static func switches(_ pid: Int32) -> Double? {
        guard let threads = try? FileManager.default.contentsOfDirectory(atPath: "/proc/\(pid)/task") else { return nil }
        var total = 0.0
        for thread in threads {
            guard let status = try? String(contentsOfFile: "/proc/\(pid)/task/\(thread)/status", encoding: .utf8) else { continue }
            for line in status.split(separator: "\n") where line.contains("ctxt_switches:") {
                total += Double(line.split(separator: "\t").last?.trimmingCharacters(in: .whitespaces) ?? "") ?? 0
            }
        }
        return total
    }

    /// Busy time of all cores together since boot (everything but idle and I/O wait), and the part of it a
    /// hypervisor gave to other machines (steal): the cores were not ours then.
    static func machine() -> (busy: Double, steal: Double)? {
        guard let stat = try? String(contentsOfFile: "/proc/stat", encoding: .utf8),
            let line = stat.split(separator: "\n").first, line.hasPrefix("cpu ")
        else { return nil }
        let counters = line.split(separator: " ").dropFirst().compactMap { Double($0) }
        guard counters.count >= 8 else { return nil }
        // user nice system idle iowait irq softirq steal …; guest time is already inside user.
        let busy = counters.prefix(8).reduce(0, +) - counters[3] - counters[4]
        return (busy * 1000 / ticksPerSecond, counters[7] * 1000 / ticksPerSecond)
    }

    /// CPU time of a PostgreSQL server's processes: every process named `postgres` now running, with the children
    /// each has waited for (the postmaster's ended backends), so that a backend that ends takes nothing away.
    static func postgres() -> Double {
        let pids = (try? FileManager.default.contentsOfDirectory(atPath: "/proc"))?.compactMap { Int32($0) } ?? []
        return pids.reduce(0) { total, pid in
            guard let stat = try? String(contentsOfFile: "/proc/\(pid)/stat", encoding: .utf8), stat.contains("(postgres)"),
                let time = process(pid)
            else { return total }
            return total + time.own + time.children
        }
    }
}
