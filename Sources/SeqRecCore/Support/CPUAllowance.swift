// How many CPUs this process may use, and what says so. The machine's core count overstates
// it wherever the process is confined: `taskset` or a container's cpuset (the affinity
// mask), a CPU quota (cgroup v2 `cpu.max`, v1 `cpu.cfs_quota_us` / `cpu.cfs_period_us`,
// rounded up), or a SLURM allocation (`SLURM_CPUS_PER_TASK`). The allowance is the smallest
// of those that apply; `training.threads: null` means that many worker threads.

import Foundation

package struct CPUAllowance: Sendable, Equatable {
    /// What decided a thread count, as reports record it (`provenance.threads_source`).
    package enum Source: String, Sendable, Codable, CaseIterable {
        /// `training.threads` in the config.
        case config
        /// The CPUs of the process's affinity mask (taskset, cpuset).
        case affinity
        /// The cgroup CPU quota.
        case cgroup
        /// `SLURM_CPUS_PER_TASK`.
        case slurm
        /// The machine's online cores (nothing narrower applies).
        case cores
    }

    package var count: Int
    package var source: Source

    package init(count: Int, source: Source) {
        self.count = count
        self.source = source
    }

    /// The allowance of this process.
    package static func current(environment: [String: String] = ProcessInfo.processInfo.environment) -> CPUAllowance {
        let cores = max(ProcessInfo.processInfo.processorCount, 1)
        return narrowest(cores: cores, affinity: affinityCount(), cgroup: cgroupQuota(),
                         slurm: environment["SLURM_CPUS_PER_TASK"].flatMap(slurmCPUs))
    }

    /// The worker threads of a run: `requested` (the config), else the allowance, at most
    /// `ThreadLimit.maximum`.
    package static func threads(requested: Int?) -> CPUAllowance {
        if let requested { return CPUAllowance(count: max(requested, 1), source: .config) }
        var allowance = current()
        allowance.count = min(allowance.count, ThreadLimit.maximum)
        return allowance
    }

    /// The smallest limit; on a tie the more specific source names it (SLURM binds its tasks
    /// with an affinity mask or a cgroup too, and "slurm" says why).
    static func narrowest(cores: Int, affinity: Int?, cgroup: Int?, slurm: Int?) -> CPUAllowance {
        var best = CPUAllowance(count: cores, source: .cores)
        if let affinity, affinity >= 1, affinity < best.count { best = CPUAllowance(count: affinity, source: .affinity) }
        if let cgroup, cgroup >= 1, cgroup < best.count { best = CPUAllowance(count: cgroup, source: .cgroup) }
        if let slurm, slurm >= 1, slurm <= best.count { best = CPUAllowance(count: slurm, source: .slurm) }
        return best
    }

    // MARK: - Sources

    /// `SLURM_CPUS_PER_TASK`: a positive integer, else nil.
    static func slurmCPUs(_ text: String) -> Int? {
        guard let value = Int(text.trimmingCharacters(in: .whitespaces)), value >= 1 else { return nil }
        return value
    }

    /// The CPUs in the affinity mask, from `Cpus_allowed_list` in /proc/self/status (Linux).
    static func affinityCount() -> Int? {
        guard let status = try? String(contentsOfFile: "/proc/self/status", encoding: .utf8),
              let line = status.split(separator: "\n").first(where: { $0.hasPrefix("Cpus_allowed_list:") }) else { return nil }
        return cpuListCount(String(line.dropFirst("Cpus_allowed_list:".count)))
    }

    /// The CPUs of a kernel CPU list such as `0-3,8,10-11` (7), or nil if it is not one.
    static func cpuListCount(_ list: String) -> Int? {
        var count = 0
        for part in list.trimmingCharacters(in: .whitespacesAndNewlines).split(separator: ",", omittingEmptySubsequences: false) {
            let bounds = part.split(separator: "-", omittingEmptySubsequences: false).map { Int($0) }
            switch bounds.count {
            case 1:
                guard bounds[0] != nil else { return nil }
                count += 1
            case 2:
                guard let low = bounds[0], let high = bounds[1], high >= low else { return nil }
                count += high - low + 1
            default: return nil
            }
        }
        return count > 0 ? count : nil
    }

    /// The tightest CPU quota of this process's cgroup and its ancestors, rounded up to
    /// whole CPUs; nil when none is set.
    static func cgroupQuota(root: String = "/sys/fs/cgroup") -> Int? {
        guard let membership = try? String(contentsOfFile: "/proc/self/cgroup", encoding: .utf8) else { return nil }
        var tightest: Int?
        func consider(_ cpus: Int?) {
            if let cpus { tightest = min(tightest ?? cpus, cpus) }
        }
        for line in membership.split(separator: "\n") {
            let fields = line.split(separator: ":", maxSplits: 2, omittingEmptySubsequences: false)
            guard fields.count == 3 else { continue }
            let controllers = fields[1].split(separator: ",")
            for directory in ancestors(of: String(fields[2])) {
                if fields[0] == "0" && fields[1].isEmpty {
                    consider(read(root + directory + "/cpu.max").flatMap(quotaV2))
                } else if controllers.contains("cpu") {
                    for mount in ["cpu,cpuacct", "cpu", "cpuacct,cpu"] {
                        let base = root + "/" + mount + directory
                        if let quota = read(base + "/cpu.cfs_quota_us"), let period = read(base + "/cpu.cfs_period_us") {
                            consider(quotaV1(quota: quota, period: period))
                            break
                        }
                    }
                }
            }
        }
        return tightest
    }

    /// cgroup v2 `cpu.max`: `max 100000` (no quota) or `QUOTA PERIOD`.
    static func quotaV2(_ text: String) -> Int? {
        let fields = text.split(separator: " ")
        guard fields.count == 2, let quota = Double(fields[0]), let period = Double(fields[1]) else { return nil }
        return wholeCPUs(quota: quota, period: period)
    }

    /// cgroup v1 `cpu.cfs_quota_us` (-1: no quota) over `cpu.cfs_period_us`.
    static func quotaV1(quota: String, period: String) -> Int? {
        guard let quota = Double(quota), let period = Double(period) else { return nil }
        return wholeCPUs(quota: quota, period: period)
    }

    private static func wholeCPUs(quota: Double, period: Double) -> Int? {
        guard quota > 0, period > 0, (quota / period).isFinite else { return nil }
        return max(Int((quota / period).rounded(.up)), 1)
    }

    /// `/a/b` -> [`/a/b`, `/a`, ``]: a limit on any ancestor cgroup applies too.
    private static func ancestors(of path: String) -> [String] {
        var result: [String] = []
        var components = path.split(separator: "/").map(String.init)
        while true {
            result.append(components.isEmpty ? "" : "/" + components.joined(separator: "/"))
            if components.isEmpty { return result }
            components.removeLast()
        }
    }

    private static func read(_ path: String) -> String? {
        // Only regular files under /sys/fs/cgroup and /proc are read here; they never block.
        (try? String(contentsOfFile: path, encoding: .utf8))?.trimmingCharacters(in: .whitespacesAndNewlines)
    }
}
