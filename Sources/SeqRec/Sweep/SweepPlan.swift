// What a sweep would do: every point of the given files, whether it is done, and the
// runner arguments that reproduce it. The arguments name the file and select the point
// with `--point RUN_NAME`; the user's `--set` flags follow. `runner run` loads the file
// with the same flags and picks that point, so it resolves to the very same spec (name,
// output dir, config hash) as the plan saw.

import Foundation

/// One point of a plan.
public struct PlannedPoint: Sendable {
    /// The YAML file, as given on the command line.
    public var configPath: String
    public var point: GridPoint
    public var state: PointState
    /// Runner arguments (after the executable) that run exactly this point.
    public var arguments: [String]

    public var spec: ExperimentSpec { point.spec }
    public var outputDirectory: String { point.spec.output.dir }
    /// `<output.dir>/report.json`, relative when the output dir is (as make targets must be).
    public var reportPath: String {
        (point.spec.output.dir as NSString).appendingPathComponent(ReportWriter.reportFileName)
    }
}

public struct SweepPlan: Sendable {
    /// Every point, in file order then grid order.
    public var points: [PlannedPoint]

    public var pending: [PlannedPoint] { points.filter(\.state.isPending) }
    public var doneCount: Int { points.count { $0.state.isDone } }
    /// Points another process is running now (their run directory is locked).
    public var runningCount: Int { points.count - doneCount - pending.count }

    public init(points: [PlannedPoint]) {
        self.points = points
    }
}

public enum SweepPlanner {
    /// Loads every file (grids expand), checks that no two points share an output
    /// directory, and applies the skip rule. Throws every config problem at once.
    public static func plan(paths: [String], overrides: [String], force: Bool) throws(ConfigError) -> SweepPlan {
        let runs: [PreparedRun]
        switch ConfigCommandLine.prepareRuns(paths: paths, overrides: overrides) {
        case .success(let prepared): runs = prepared
        case .failure(let error): throw error
        }
        try checkDistinctOutputs(runs)
        return SweepPlan(points: runs.map { run in
            PlannedPoint(configPath: run.configPath, point: run.point,
                         state: SkipRule.state(of: run.point.spec, force: force),
                         arguments: runArguments(configPath: run.configPath, point: run.point, overrides: overrides))
        })
    }

    /// `run FILE [--point RUN_NAME] [--set k=v]...`; a file without a grid needs no `--point`.
    public static func runArguments(configPath: String, point: GridPoint, overrides: [String]) -> [String] {
        var arguments = ["run", configPath]
        if !point.varied.isEmpty { arguments += ["--point", point.runName] }
        for assignment in overrides { arguments += ["--set", assignment] }
        return arguments
    }

    /// Two points writing one directory would overwrite each other's report.
    static func checkDistinctOutputs(_ runs: [PreparedRun]) throws(ConfigError) {
        var owners: [String: PreparedRun] = [:]
        var diagnostics: [ConfigDiagnostic] = []
        for run in runs {
            let directory = WorkingDirectory.url(run.point.spec.output.dir).standardizedFileURL.path
            if let first = owners[directory] {
                diagnostics.append(ConfigDiagnostic(origin: run.configPath, keyPath: "output.dir",
                    "expected a distinct output directory per run, found '\(run.point.spec.output.dir)' for both \(describe(first)) and \(describe(run))"))
            } else {
                owners[directory] = run
            }
        }
        if !diagnostics.isEmpty { throw ConfigError(diagnostics) }
    }

    private static func describe(_ run: PreparedRun) -> String {
        run.point.varied.isEmpty ? run.configPath : "\(run.configPath) [\(run.point.runName)]"
    }
}

/// `runner run --point`: keeps the runs whose run name was asked for.
public enum PointSelection {
    /// Every name must match a point of at least one file; with no names, all runs stay.
    public static func select(_ runs: [PreparedRun], names: [String]) -> Result<[PreparedRun], ConfigError> {
        guard !names.isEmpty else { return .success(runs) }
        let wanted = Set(names)
        var diagnostics: [ConfigDiagnostic] = []
        for name in names where !runs.contains(where: { $0.point.runName == name }) {
            let available = runs.map(\.point.runName)
            let shown = available.prefix(5).joined(separator: "; ") + (available.count > 5 ? "; ..." : "")
            diagnostics.append(ConfigDiagnostic(origin: "--point \(name)",
                "expected the run name of a point (\(shown)), found no such point"))
        }
        if !diagnostics.isEmpty { return .failure(ConfigError(diagnostics)) }
        return .success(runs.filter { wanted.contains($0.point.runName) })
    }
}
