// What a sweep would do: every point of the given files, whether it is done, and the
// runner arguments that reproduce it. The arguments name the file and select the point
// with `--point RUN_NAME`; the user's `--set` flags follow. `runner run` loads the file
// with the same flags and picks that point, so it resolves to the very same spec (name,
// output dir, config hash) as the plan saw.

import Foundation

/// One point of a plan.
public struct PlannedPoint: Sendable {
    /// The YAML file, as given on the command line.
    package var configPath: String
    package var point: GridPoint
    public var state: PointState
    /// Runner arguments (after the executable) that run exactly this point.
    package var arguments: [String]

    public var spec: ExperimentSpec { point.spec }
    public var outputDirectory: String { point.spec.output.dir }
    /// `<output.dir>/report.json`, relative when the output dir is (as make targets must be).
    package var reportPath: String {
        (point.spec.output.dir as NSString).appendingPathComponent(ReportWriter.reportFileName)
    }
}

public struct SweepPlan: Sendable {
    /// Every point, in file order then grid order.
    public var points: [PlannedPoint]

    public var pending: [PlannedPoint] { points.filter(\.state.isPending) }
    package var doneCount: Int { points.count { $0.state.isDone } }
    /// Points another process is running now (their run directory is locked).
    package var runningCount: Int { points.count - doneCount - pending.count }

    public init(points: [PlannedPoint]) {
        self.points = points
    }
}

public enum SweepPlanner {
    /// Loads every file (grids expand; no two points may share an output directory, as for
    /// every command) and applies the skip rule. Throws every config problem at once.
    /// A point whose output directory holds the finished run of another config is refused
    /// (every such point, with the keys that differ) unless `replace`; with it, that point's
    /// command carries `--replace`.
    public static func plan(paths: [String], overrides: [String], force: Bool, replace: Bool = false) throws(ConfigError) -> SweepPlan {
        let runs: [PreparedRun]
        switch ConfigCommandLine.prepareRuns(paths: paths, overrides: overrides) {
        case .success(let prepared): runs = prepared
        case .failure(let error): throw error
        }
        let states = runs.map { SkipRule.state(of: $0.point.spec, force: force) }
        // A point another process is running is left alone anyway.
        let replacing = zip(runs, states).map { run, state in
            if case .running = state { return false }
            return replacementProblem(run) != nil
        }
        if !replace {
            let problems = zip(runs, replacing).filter(\.1).compactMap { replacementDiagnostic($0.0) }
            if !problems.isEmpty { throw ConfigError(problems) }
        }
        return SweepPlan(points: runs.indices.map { index in
            let run = runs[index]
            return PlannedPoint(configPath: run.configPath, point: run.point, state: states[index],
                                arguments: runArguments(configPath: run.configPath, point: run.point, overrides: overrides,
                                                        replace: replacing[index]))
        })
    }

    /// `run FILE [--point RUN_NAME] [--set k=v]... [--replace]`; a file without a grid needs no `--point`.
    package static func runArguments(configPath: String, point: GridPoint, overrides: [String], replace: Bool = false) -> [String] {
        var arguments = ["run", configPath]
        if !point.varied.isEmpty { arguments += ["--point", point.runName] }
        for assignment in overrides { arguments += ["--set", assignment] }
        if replace { arguments.append("--replace") }
        return arguments
    }

    /// The rule `run`, `sweep` and `plan` share: a run into a directory holding the finished
    /// run (status ok) of another config would replace it, so it needs `--replace`. The
    /// problem for `run`, as a config error naming the file (point) and the keys that differ.
    public static func replacementDiagnostic(_ run: PreparedRun) -> ConfigDiagnostic? {
        replacementProblem(run).map { ConfigDiagnostic(origin: run.label, keyPath: "output.dir", $0) }
    }

    static func replacementProblem(_ run: PreparedRun) -> String? {
        let spec = run.point.spec
        guard let config = try? JSONDecoder().decode(JSONValue.self, from: Data(spec.resolvedJSON().utf8)) else { return nil }
        return RunResult.replacementProblem(directory: spec.output.dir, config: config, configHash: spec.configHash)
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
