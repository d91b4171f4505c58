import Foundation
import Testing
@testable import SeqRec
@testable import SeqRecCore
@testable import SeqRecNumerics

// `training.threads: null` means the CPUs the process may use, not the machine's cores:
// the affinity mask, a cgroup CPU quota and SLURM_CPUS_PER_TASK narrow it, and the report
// records which one decided. SLURM scripts give each task its allocation and its memory.

@Test func cpuListsQuotasAndSlurmParse() {
    #expect(CPUAllowance.cpuListCount("0-3,8,10-11") == 7)
    #expect(CPUAllowance.cpuListCount("\t0\n") == 1)
    for bad in ["", "a", "3-1", "1-2-3", "1,,2"] { #expect(CPUAllowance.cpuListCount(bad) == nil, "\(bad)") }
    #expect(CPUAllowance.quotaV2("max 100000") == nil)
    #expect(CPUAllowance.quotaV2("150000 100000") == 2)  // 1.5 CPUs round up
    #expect(CPUAllowance.quotaV2("400000 100000") == 4)
    #expect(CPUAllowance.quotaV1(quota: "-1", period: "100000") == nil)
    #expect(CPUAllowance.quotaV1(quota: "50000", period: "100000") == 1)
    #expect(CPUAllowance.slurmCPUs("4") == 4)
    for bad in ["0", "-2", "four", ""] { #expect(CPUAllowance.slurmCPUs(bad) == nil, "\(bad)") }
}

@Test func theNarrowestLimitDecidesAndIsNamed() {
    func allowance(_ affinity: Int?, _ cgroup: Int?, _ slurm: Int?) -> CPUAllowance {
        CPUAllowance.narrowest(cores: 64, affinity: affinity, cgroup: cgroup, slurm: slurm)
    }
    #expect(allowance(nil, nil, nil) == CPUAllowance(count: 64, source: .cores))
    #expect(allowance(64, nil, nil) == CPUAllowance(count: 64, source: .cores))
    #expect(allowance(8, nil, nil) == CPUAllowance(count: 8, source: .affinity))
    #expect(allowance(8, 2, nil) == CPUAllowance(count: 2, source: .cgroup))
    // A 64-core node with a 4-CPU allocation: 4 workers, and SLURM named on a tie.
    #expect(allowance(4, nil, 4) == CPUAllowance(count: 4, source: .slurm))
    #expect(allowance(64, nil, 4) == CPUAllowance(count: 4, source: .slurm))
    #expect(allowance(2, nil, 4) == CPUAllowance(count: 2, source: .affinity))
    #expect(CPUAllowance.threads(requested: 3) == CPUAllowance(count: 3, source: .config))
}

private let pointConfig = """
    dataset:
      synthetic: {users: 30, items: 20, length: 10, lag: 4, keys: 2}
      min_user_interactions: 1
    split: {max_length: 6}
    model: {cell: pop}
    evaluation: {metrics: [hr@5]}
    output: {checkpoint: false}

    """

/// Runs `command` (a shell line, `RUNNER` standing for the built runner) on the config and
/// returns the report's provenance.
private func provenance(_ command: String, environment: [String: String] = [:]) throws -> Provenance {
    let scratch = try SweepFixtures.makeScratch()
    defer { try? FileManager.default.removeItem(at: scratch) }
    try pointConfig.write(to: scratch.appendingPathComponent("point.yaml"), atomically: true, encoding: .utf8)
    let line = command.replacingOccurrences(of: "RUNNER", with: "'\(ConfigFixtures.runnerBinary.path)'")
    let finished = try SweepFixtures.launch("/bin/sh", ["-c", line + " point.yaml --quiet --set output.dir=out"],
                                            scratch: scratch, in: scratch, environment: environment).wait()
    #expect(finished.status == 0, "\(finished.stderr)")
    return try ReportReader.read(scratch.appendingPathComponent("out/report.json")).provenance
}

private let tasksetAvailable = FileManager.default.isExecutableFile(atPath: "/usr/bin/taskset")
    && ProcessInfo.processInfo.processorCount >= 2

@Test(.enabled(if: SweepFixtures.runnerIsBuilt && tasksetAvailable))
func defaultThreadsFollowTheAffinityMask() throws {
    let pinned = try provenance("taskset -c 0 RUNNER", environment: ["SLURM_CPUS_PER_TASK": ""])
    #expect(pinned.threads == 1)
    #expect(pinned.threadsSource == "affinity")
}

@Test(.enabled(if: SweepFixtures.runnerIsBuilt))
func defaultThreadsFollowSlurmAndTheConfigWins() throws {
    let slurm = try provenance("RUNNER", environment: ["SLURM_CPUS_PER_TASK": "1"])
    #expect(slurm.threads == 1 && slurm.threadsSource == "slurm")
    let configured = try provenance("RUNNER --set training.threads=3", environment: ["SLURM_CPUS_PER_TASK": "1"])
    #expect(configured.threads == 3 && configured.threadsSource == "config")
}

// MARK: - SLURM

@Test func slurmScriptsCarryTheMemoryLine() throws {
    let path = ConfigFixtures.temporaryFile(pointConfig)
    let plan = try SweepPlanner.plan(paths: [path], overrides: ["output.dir=\(FileManager.default.temporaryDirectory.path)/seqrec-mem-\(UUID().uuidString)"], force: true)
    func script(_ options: SlurmOptions) throws -> String {
        try #require(try SlurmArray.make(plan: plan, runner: "/r", workingDirectory: "/w", options: options)).script
    }
    #expect(try script(SlurmOptions(cpusPerTask: 4, memory: "1234M")).contains("#SBATCH --cpus-per-task=4\n"))
    #expect(try script(SlurmOptions(cpusPerTask: 4, memory: "1234M")).contains("#SBATCH --mem=1234M\n"))
    // An explicit --sbatch-line for memory replaces the estimate's line.
    let replaced = try script(SlurmOptions(cpusPerTask: 4, sbatchLines: ["--mem=8G"], memory: "1234M"))
    #expect(replaced.contains("#SBATCH --mem=8G\n") && !replaced.contains("--mem=1234M"))
    #expect(!(try script(SlurmOptions(cpusPerTask: 4))).contains("--mem"))

    // The estimate: the spec's known catalogue, plus a quarter and 512 MiB; unknown for a data file.
    let spec = try ConfigLoader.load(path: path, overrides: ["model.cell=gru"])
    let estimate = try #require(MemoryEstimate(spec, numItems: 20, threads: 4, evaluationCases: 60))
    let mebibytes = try #require(MemoryBudget.jobMemoryMiB([spec], threads: 4))
    #expect(mebibytes == Int(((estimate.totalBytes * 1.25 + 512 * 1_048_576) / 1_048_576).rounded(.up)))
    var file = spec
    file.dataset = DatasetSpec()
    file.dataset.path = "interactions.csv"
    #expect(MemoryBudget.jobMemoryMiB([spec, file], threads: 4) == nil)
}

@Test(.enabled(if: SweepFixtures.runnerIsBuilt))
func planWritesTheMemoryEstimateOrTheGivenMemory() throws {
    let scratch = try SweepFixtures.makeScratch()
    defer { try? FileManager.default.removeItem(at: scratch) }
    try pointConfig.write(to: scratch.appendingPathComponent("point.yaml"), atomically: true, encoding: .utf8)
    let script = scratch.appendingPathComponent("out/slurm/sweep.sbatch")
    let estimated = try SweepFixtures.launch(ConfigFixtures.runnerBinary.path,
                                             ["plan", "point.yaml", "--format", "slurm", "--cpus-per-task", "2", "--set", "output.dir=out"],
                                             scratch: scratch, in: scratch).wait()
    #expect(estimated.status == 0, "\(estimated.stderr)")
    let text = ConfigFixtures.read(script)
    #expect(text.contains("#SBATCH --cpus-per-task=2\n"))
    #expect(text.range(of: #"#SBATCH --mem=[0-9]+M\n"#, options: .regularExpression) != nil, "\(text)")
    let given = try SweepFixtures.launch(ConfigFixtures.runnerBinary.path,
                                         ["plan", "point.yaml", "--format", "slurm", "--cpus-per-task", "2", "--mem", "6G", "--set", "output.dir=out"],
                                         scratch: scratch, in: scratch).wait()
    #expect(given.status == 0, "\(given.stderr)")
    #expect(ConfigFixtures.read(script).contains("#SBATCH --mem=6G\n"))
    let bad = try SweepFixtures.launch(ConfigFixtures.runnerBinary.path, ["plan", "point.yaml", "--mem", "6G"],
                                       scratch: scratch, in: scratch).wait()
    #expect(bad.status == 2 && bad.stderr.hasPrefix("Error: --mem: only with --format slurm, found --format lines"), "\(bad.stderr)")
}
