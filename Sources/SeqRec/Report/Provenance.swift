// Where and with what a run was made: git state, toolchain, OS, CPU, threads, BLAS kernels,
// seqrec's own kernels.

import Foundation

package struct GitState: Sendable, Equatable, Codable {
    package var commit: String
    /// True when `git status --porcelain` lists anything (modified, staged or untracked,
    /// ignored files excluded).
    package var dirty: Bool

    package init(commit: String, dirty: Bool) {
        self.commit = commit
        self.dirty = dirty
    }
}

package struct Provenance: Sendable, Equatable, Codable {
    /// seqrec's release number (`SeqRecVersion.number`); nil in reports of older versions.
    package var seqrecVersion: String?
    /// The git state of the working directory; nil when not run inside a git checkout or git
    /// is missing.
    package var git: GitState?
    /// Swift compiler version that built this binary, e.g. `6.3`, determined at compile time.
    package var swiftVersion: String
    /// `compile-time`: how `swift_version` was determined.
    package var swiftVersionSource: String
    /// Operating system, e.g. `Ubuntu 24.04.1 LTS (Linux 6.8.0)` or `macOS 14.5`.
    package var os: String
    /// CPU model name, nil when unknown.
    package var cpu: String?
    /// Logical cores available to the process.
    package var cores: Int
    /// Worker threads the run used.
    package var threads: Int
    /// What set `threads` (`CPUAllowance.Source`: config, affinity, cgroup, slurm, cores);
    /// nil in reports of older versions.
    package var threadsSource: String?
    /// The BLAS, its release and kernels, and who chose them; nil in reports of older versions.
    package var blas: BLASKernelInfo?
    /// seqrec's own hot kernels (KernelDispatch): their path, width, instructions and who chose
    /// them; nil in reports of older versions.
    package var kernels: KernelInfo?

    package init(git: GitState?, swiftVersion: String, swiftVersionSource: String, os: String, cpu: String?,
                cores: Int, threads: Int, blas: BLASKernelInfo? = nil, kernels: KernelInfo? = nil) {
        self.seqrecVersion = SeqRecVersion.number
        self.git = git
        self.swiftVersion = swiftVersion
        self.swiftVersionSource = swiftVersionSource
        self.os = os
        self.cpu = cpu
        self.cores = cores
        self.threads = threads
        self.blas = blas
        self.kernels = kernels
    }

    enum CodingKeys: String, CodingKey {
        case git, os, cpu, cores, threads, blas, kernels
        case threadsSource = "threads_source"
        case seqrecVersion = "seqrec_version"
        case swiftVersion = "swift_version"
        case swiftVersionSource = "swift_version_source"
    }

    /// Captures the current machine. `directory` is where git is asked (default: the
    /// working directory); `threads` is what the run uses.
    package static func capture(threads: Int, threadsSource: CPUAllowance.Source? = nil, directory: URL? = nil) -> Provenance {
        var provenance = Provenance(git: gitState(in: directory), swiftVersion: compilerVersion, swiftVersionSource: "compile-time",
                                    os: operatingSystem(), cpu: cpuModel(), cores: ProcessInfo.processInfo.activeProcessorCount,
                                    threads: threads, blas: BLASKernels.current, kernels: KernelDispatch.current)
        provenance.threadsSource = threadsSource?.rawValue
        return provenance
    }

    /// The compiler version this file was built with (to the minor version).
    package static var compilerVersion: String {
        #if compiler(>=7.0)
        return ">=7.0"
        #elseif compiler(>=6.4)
        return "6.4"
        #elseif compiler(>=6.3)
        return "6.3"
        #elseif compiler(>=6.2)
        return "6.2"
        #elseif compiler(>=6.1)
        return "6.1"
        #else
        return "6.0"
        #endif
    }

    /// HEAD commit and dirty flag, or nil outside a checkout / without git.
    package static func gitState(in directory: URL? = nil) -> GitState? {
        guard let head = runGit(["rev-parse", "HEAD"], in: directory), !head.isEmpty,
              let status = runGit(["status", "--porcelain"], in: directory) else { return nil }
        return GitState(commit: head, dirty: !status.isEmpty)
    }

    /// Runs `git ARGS`; trimmed stdout, or nil on any failure.
    private static func runGit(_ arguments: [String], in directory: URL?) -> String? {
        var fullArguments: [String] = []
        if let directory { fullArguments += ["-C", directory.path] }
        guard let output = CommandOutput.run("git", fullArguments + arguments) else { return nil }
        return String(decoding: output, as: UTF8.self).trimmingCharacters(in: .whitespacesAndNewlines)
    }

    static func operatingSystem() -> String {
        #if os(Linux)
        var name = "Linux"
        if let release = try? String(contentsOfFile: "/etc/os-release", encoding: .utf8) {
            for line in release.split(separator: "\n") where line.hasPrefix("PRETTY_NAME=") {
                name = String(line.dropFirst("PRETTY_NAME=".count)).trimmingCharacters(in: CharacterSet(charactersIn: "\""))
            }
        }
        if let kernel = try? String(contentsOfFile: "/proc/sys/kernel/osrelease", encoding: .utf8) {
            name += " (Linux \(kernel.trimmingCharacters(in: .whitespacesAndNewlines)))"
        }
        return name
        #else
        let version = ProcessInfo.processInfo.operatingSystemVersion
        return "macOS \(version.majorVersion).\(version.minorVersion).\(version.patchVersion)"
        #endif
    }

    static func cpuModel() -> String? {
        #if os(Linux)
        guard let info = try? String(contentsOfFile: "/proc/cpuinfo", encoding: .utf8) else { return nil }
        for line in info.split(separator: "\n") where line.hasPrefix("model name") {
            if let colon = line.firstIndex(of: ":") {
                return line[line.index(after: colon)...].trimmingCharacters(in: .whitespaces)
            }
        }
        return nil
        #else
        var size = 0
        guard sysctlbyname("machdep.cpu.brand_string", nil, &size, nil, 0) == 0, size > 0 else { return nil }
        var buffer = [CChar](repeating: 0, count: size)
        guard sysctlbyname("machdep.cpu.brand_string", &buffer, &size, nil, 0) == 0 else { return nil }
        return String(decoding: buffer.prefix { $0 != 0 }.map { UInt8(bitPattern: $0) }, as: UTF8.self)
        #endif
    }
}
