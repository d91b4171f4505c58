// What the `runner` CLI does with config files, kept in the library so it is testable
// without the executable: load every file (and grid), render `validate` output, and map
// outcomes to exit codes.

import Foundation

public enum ExitStatus {
    /// Every run finished with status ok; for `validate`, every file is valid.
    public static let ok: Int32 = 0
    /// A run failed, diverged or was interrupted.
    public static let runFailed: Int32 = 1
    /// A bad config or bad usage; nothing was run or written.
    public static let badConfig: Int32 = 2
}

public enum ResolvedFormat: String, Sendable, CaseIterable {
    case yaml, json
}

/// One experiment to run: the file it came from and its resolved (grid) point.
public struct PreparedRun: Sendable {
    public var configPath: String
    public var point: GridPoint

    /// `FILE`, or `FILE [run name]` for a grid point.
    public var label: String {
        point.varied.isEmpty ? configPath : "\(configPath) [\(point.runName)]"
    }
}

public enum ConfigCommandLine {
    /// A check of a valid spec that needs more than the config layer knows (the CLI passes
    /// the memory budget): the problem as (key path, message), or nil.
    public typealias SpecCheck = @Sendable (ExperimentSpec) -> (keyPath: String, message: String)?

    /// Loads every file (grids expand to their points), applies `check` to every point and
    /// checks that no two runs write one output directory (`distinctOutputs`). Either all
    /// runs, or the error text for every bad file. `run`, `sweep`, `plan` and (file by file,
    /// then across files) `validate` all come through here.
    public static func prepareRuns(paths: [String], overrides: [String],
                                   check: SpecCheck? = nil) -> Result<[PreparedRun], ConfigError> {
        var runs: [PreparedRun] = []
        var diagnostics = loadRuns(paths: paths, overrides: overrides, check: check, into: &runs)
        diagnostics += distinctOutputs(runs)
        return diagnostics.isEmpty ? .success(runs) : .failure(ConfigError(diagnostics))
    }

    /// Loads `paths` into `runs`; the problems found.
    private static func loadRuns(paths: [String], overrides: [String], check: SpecCheck?,
                                 into runs: inout [PreparedRun]) -> [ConfigDiagnostic] {
        var diagnostics: [ConfigDiagnostic] = []
        for path in paths {
            do {
                for point in try ConfigLoader.loadGrid(path: path, overrides: overrides) {
                    if let problem = check?(point.spec) {
                        let origin = point.varied.isEmpty ? path : "\(path) [\(point.runName)]"
                        diagnostics.append(ConfigDiagnostic(origin: origin, keyPath: problem.keyPath, problem.message))
                    } else {
                        runs.append(PreparedRun(configPath: path, point: point))
                    }
                }
            } catch {
                diagnostics += error.diagnostics
            }
        }
        return diagnostics
    }

    /// The one rule for runs sharing an output directory, whichever command loads them: two
    /// runs writing one directory would replace each other's report and model (and the second
    /// would be refused as a different config over a finished one), so the pair is a config
    /// error. Directories compare after `.`/`..` and symbolic links of existing parents are
    /// resolved (`results/x`, `./results/x` and `/abs/results/x` are one).
    package static func distinctOutputs(_ runs: [PreparedRun]) -> [ConfigDiagnostic] {
        var owners: [String: PreparedRun] = [:]
        var diagnostics: [ConfigDiagnostic] = []
        for run in runs {
            let directory = WorkingDirectory.url(run.point.spec.output.dir).standardizedFileURL.resolvingSymlinksInPath().path
            if let first = owners[directory] {
                diagnostics.append(ConfigDiagnostic(origin: run.configPath, keyPath: "output.dir",
                    "expected a distinct output directory per run, found '\(run.point.spec.output.dir)' for both \(first.label) and \(run.label)"))
            } else {
                owners[directory] = run
            }
        }
        return diagnostics
    }

    /// What `runner validate` prints and returns.
    public struct ValidationOutcome: Sendable {
        /// The resolved configs of the valid files (stdout).
        public var output: String
        /// Every error (stderr); empty when all files are valid.
        public var errors: String
        public var exitCode: Int32
    }

    public static func validate(paths: [String], overrides: [String], format: ResolvedFormat,
                                check: SpecCheck? = nil) -> ValidationOutcome {
        var runs: [PreparedRun] = []
        var errors: [String] = []
        var searches: [String: TuneSpec] = [:]
        for path in paths {
            if ConfigLoader.isTuneFile(path: path) {
                // A search: its experiment is checked like a run, its section as the search.
                do {
                    let file = try ConfigLoader.loadTune(path: path, overrides: overrides)
                    if let problem = check?(file.base) {
                        errors.append(ConfigError([ConfigDiagnostic(origin: path, keyPath: problem.keyPath, problem.message)]).description)
                    } else {
                        runs.append(PreparedRun(configPath: path, point: GridPoint(runName: file.base.name, varied: [], spec: file.base)))
                        searches[path] = file.tune
                    }
                } catch {
                    errors.append(error.description)
                }
                continue
            }
            switch prepareRuns(paths: [path], overrides: overrides, check: check) {
            case .success(let prepared): runs += prepared
            case .failure(let error): errors.append(error.description)
            }
        }
        // Across files too: the same rule `run`, `sweep` and `plan` apply.
        let shared = distinctOutputs(runs)
        if !shared.isEmpty { errors.append(ConfigError(shared).description) }
        let output: String
        switch format {
        case .yaml:
            output = runs.map { run in
                let label = run.point.varied.isEmpty ? run.configPath : "\(run.configPath) [\(run.point.runName)]"
                let search = searches[run.configPath].map { "# tune (the search; each trial is this experiment with its settings):\n" + $0.canonicalText.split(separator: "\n").map { "#   \($0)" }.joined(separator: "\n") + "\n" } ?? ""
                return "# \(label)\n# config hash: \(run.point.spec.configHash)\n" + search + run.point.spec.resolvedYAML()
            }.joined(separator: "---\n")
        case .json:
            if runs.count == 1, let only = runs.first {
                output = only.point.spec.resolvedJSON() + "\n"
            } else {
                let list = ConfigValue.list(runs.map(\.point.spec.configValue))
                output = runs.isEmpty ? "" : list.jsonText() + "\n"
            }
        }
        return ValidationOutcome(output: output,
                                 errors: errors.isEmpty ? "" : errors.joined(separator: "\n") + "\n",
                                 exitCode: errors.isEmpty ? ExitStatus.ok : ExitStatus.badConfig)
    }
}
