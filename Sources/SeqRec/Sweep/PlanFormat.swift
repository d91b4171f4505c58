// How `runner plan` prints a plan: tab-separated lines (state, output dir, command), bare
// commands (for GNU parallel), a makefile fragment, or (written to files, see SlurmArray)
// a SLURM job-array script.

public enum PlanFormat: String, Sendable, CaseIterable {
    case lines, commands, make, slurm
}

public enum PlanRendering {
    /// The shell command that runs one point; `runner` is the executable to print.
    public static func command(_ point: PlannedPoint, runner: String, quiet: Bool = false) -> String {
        ShellQuoting.command([runner] + point.arguments + (quiet ? ["--quiet"] : []))
    }

    /// `lines`/`commands`: pending points, or every point (done and running too) when `includeDone`.
    public static func render(_ plan: SweepPlan, format: PlanFormat, runner: String,
                              includeDone: Bool) throws(MakeFragmentError) -> String {
        let shown = includeDone ? plan.points : plan.pending
        switch format {
        case .lines:
            return shown.map { "\($0.listingLabel)\t\($0.outputDirectory)\t\(command($0, runner: runner))\n" }.joined()
        case .commands, .slurm:
            // slurm: the plan file's lines; the script itself comes from SlurmArray.
            return shown.map { command($0, runner: runner) + "\n" }.joined()
        case .make:
            return try MakeFragment.render(plan, runner: runner)
        }
    }

    /// `9 points: 3 done, 6 pending`, plus `, 1 running` when another process runs some.
    public static func summary(_ plan: SweepPlan) -> String {
        "\(plan.points.count) point\(plan.points.count == 1 ? "" : "s"): \(plan.doneCount) done, \(plan.pending.count) pending"
            + (plan.runningCount > 0 ? ", \(plan.runningCount) running" : "")
    }
}
