import ArgumentParser
import Foundation
import SeqRec

struct RunnerCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "runner",
        abstract: "Run sequence-recommendation experiments described in YAML.",
        discussion: """
            runner [run] FILE... [--set key.path=value]... [--point run-name]... [--quiet] [--restart] [--replace]
            runner validate FILE... [--set key.path=value]... [--format yaml|json]
            runner plan FILE... [--set key.path=value]... [--all] [--force] [--replace] [--format F]
            runner plan FILE... --format slurm [--time LIMIT] [--partition NAME] ...
            runner sweep FILE... [--set key.path=value]... [--jobs N] [--force] [--replace]
            runner tune FILE [--set key.path=value]... [--jobs N] [--trial N]
            runner recommend RUN_DIR --users ID,...|--all-users|--history ID,... [-k N]
            runner evaluate RUN_DIR [--set evaluation.key=value]... [--split test|validation]

            Each FILE is an experiment (keys: docs/configuration.md). A file with a
            `grid:` key runs once per combination of its values; `--set grid.KEY=[...]`
            gives an axis other values (a --set of a key the grid varies is refused).
            A run interrupted or killed continues after its last complete epoch when
            started again with the same config. A finished run (report status ok)
            stays until a new attempt is ok itself; one of another config is replaced
            only with --replace. Two runs into one output directory are refused.

            EXAMPLES:
              runner experiments/lstm50.yaml
              runner experiments/gru50.yaml experiments/rnn50.yaml --quiet
              runner experiments/lstm50.yaml --set training.epochs=5
              runner validate experiments/*.yaml
              runner validate experiments/lstm50.yaml --format json
              runner plan experiments/cells.yaml
              runner plan experiments/cells.yaml --format slurm --set training.threads=4
              runner sweep experiments/cells.yaml --jobs 2
              runner sweep experiments/cells.yaml --set 'grid.seed=[1]'
              runner tune experiments/tune-lstm50.yaml --jobs 2
              runner experiments/lstm50.yaml --set model.hidden_size=128 --replace
              runner compare results --output results
              runner recommend results/lstm50 --users 196,186 -k 10
              runner evaluate results/lstm50 --set 'evaluation.candidates={sampled: 100}'
              runner data movielens-100k

            EXIT CODES:
              0  every run finished with status ok (validate: all files valid)
              1  a run failed, diverged or was interrupted, or could not use
                 its output directory
              2  a bad config or bad usage (nothing is run or written)
            """,
        subcommands: [Run.self, Validate.self, Plan.self, Sweep.self, Tune.self, Compare.self, Recommend.self, Evaluate.self, DataCommand.self, CheckRun.self],
        defaultSubcommand: Run.self
    )
}

/// Flags shared by commands that load experiments.
struct ConfigOptions: ParsableArguments {
    @Argument(help: ArgumentHelp("Experiment YAML files.", valueName: "file"),
              completion: .file(extensions: ["yaml", "yml"]))
    var files: [String]

    @Option(name: .customLong("set"),
            help: ArgumentHelp("Override a key after `extends:`; repeatable (e.g. --set model.hidden_size=128). --set grid.KEY=[v1,v2] gives a grid axis other values.",
                               valueName: "key.path=value"))
    var overrides: [String] = []
}

func writeToStandardOutput(_ text: String) {
    FileHandle.standardOutput.write(Data(text.utf8))
}

func writeToStandardError(_ text: String) {
    FileHandle.standardError.write(Data(text.utf8))
}

extension RunnerCommand {
    struct Run: ParsableCommand {
        static let configuration = CommandConfiguration(
            abstract: "Run experiments; write <output.dir>/report.json (default).")

        @OptionGroup var config: ConfigOptions

        @Flag(name: .long, help: "Silence progress output.")
        var quiet = false

        @Flag(name: .long, help: "Print only one line per epoch, and notes, each starting with the run's name (what `runner sweep` shows of each point).")
        var epochLines = false

        @Option(name: .customLong("point"),
                help: ArgumentHelp("Run only the grid point with this run name, as `runner plan` prints it; repeatable.",
                                   valueName: "run-name"))
        var points: [String] = []

        @Flag(name: .long, help: "Start at epoch 1 even when the output directory holds a saved training state of the same config (by default a run continues after its last complete epoch).")
        var restart = false

        @Flag(name: .long, help: "Replace the finished run (report status ok) of another config in an output directory; without it such a run is refused, naming the keys that differ.")
        var replace = false

        func run() throws {
            // Every file is validated before anything runs, so a bad file writes nothing.
            let runs: [PreparedRun]
            let prepared = ConfigCommandLine.prepareRuns(paths: config.files, overrides: config.overrides,
                                                          check: MemoryBudget.configCheck)
            switch prepared.flatMap({ PointSelection.select($0, names: points) }) {
            case .success(let selected): runs = selected
            case .failure(let error):
                writeToStandardError(error.description + "\n")
                throw ExitCode(ExitStatus.badConfig)
            }
            // So is every directory holding the finished run of another config (--replace).
            if !replace {
                let problems = runs.compactMap(SweepPlanner.replacementDiagnostic)
                if !problems.isEmpty {
                    writeToStandardError(ConfigError(problems).description + "\n")
                    throw ExitCode(ExitStatus.badConfig)
                }
            }
            // This process owns the signals (SIGINT/SIGTERM -> an interrupted report) and one
            // dataset cache, so that grid points sharing a dataset load it once.
            Interruption.install()
            let datasets = DatasetCache()
            var failed = false
            for run in runs {
                let outcome = ExperimentRunner.run(run.point.spec,
                                                   options: RunOptions(quiet: quiet, epochLines: epochLines, configPath: run.configPath,
                                                                      restart: restart, replace: replace),
                                                   datasets: datasets)
                if outcome.exitCode != ExitStatus.ok {
                    failed = true
                    writeToStandardError("\(run.point.spec.name): \(outcome.status.rawValue): \(outcome.message.escapedForTerminalByLine)\n")
                    // Ctrl-C stops the whole batch, not just the current run.
                    if outcome.status == .interrupted { break }
                } else if !quiet, runs.count > 1 {
                    // ExperimentRunner reports each run; a one-line summary helps in a grid.
                    print("\(run.point.spec.name): \(outcome.status.rawValue) -> \(outcome.reportPath)")
                }
            }
            if failed { throw ExitCode(ExitStatus.runFailed) }
        }
    }

    struct Validate: ParsableCommand {
        static let configuration = CommandConfiguration(
            abstract: "Check files and print their resolved configuration.")

        @OptionGroup var config: ConfigOptions

        @Option(help: "Output format of the resolved configuration.")
        var format: ResolvedFormat = .yaml

        func run() throws {
            let outcome = ConfigCommandLine.validate(
                paths: config.files, overrides: config.overrides,
                format: format, check: MemoryBudget.configCheck)
            print(outcome.output, terminator: "")
            writeToStandardError(outcome.errors)
            if outcome.exitCode != ExitStatus.ok { throw ExitCode(outcome.exitCode) }
        }
    }

    struct Plan: ParsableCommand {
        static let configuration = CommandConfiguration(
            abstract: "List the points of grid files, and the runner command that runs each.",
            discussion: """
                A point is running when a live process holds <output.dir>/.lock (it is not
                run again, even with --force). Otherwise it is done when
                <output.dir>/report.json has status ok and the point's config hash; every
                other point is pending (missing, failed, diverged, interrupted, unreadable,
                changed, or forced with --force). A changed point holds the finished run of
                another config: the plan is refused, naming the keys that differ, unless
                --replace is given (its command then carries --replace).

                FORMATS:
                  lines     STATE<TAB>OUTPUT_DIR<TAB>COMMAND, one line per pending point
                  commands  COMMAND only (for GNU parallel)
                  make      a makefile fragment; one rule per report.json (make sweep)
                  slurm     a SLURM job array, one task per pending point (for a tune
                            file: per trial not ended, --max-parallel at a time, default 4,
                            which is also the search's --jobs): writes
                            <grid dir>/slurm/sweep.sbatch and sweep.plan (task logs go to
                            <grid dir>/slurm/%A_%a.log) and prints the sbatch command

                SLURM: --cpus-per-task defaults to the points' training.threads; a point
                without them trains with its task's SLURM_CPUS_PER_TASK. --mem defaults to
                the memory estimate of the largest point, plus 25% and 512 MiB. A task
                gets SIGTERM --signal-grace seconds before its --time limit, writes an
                interrupted report and requeues itself (docs/sweeps.md).

                EXAMPLES:
                  runner plan experiments/cells.yaml
                  runner plan experiments/cells.yaml --all --set training.epochs=5
                  runner plan experiments/cells.yaml --set 'grid.model.cell=[lstm, gru]' --set 'grid.seed=[1]'
                  runner plan experiments/cells.yaml --format commands | parallel -j 2
                  runner plan experiments/cells.yaml --format make > .build/sweep.mk
                  runner plan experiments/cells.yaml --format slurm --set training.threads=4 \\
                    --time 2:00:00 --max-parallel 8 --mem 8G
                """)

        @OptionGroup var config: ConfigOptions

        @Flag(help: "Treat every point as pending.")
        var force = false

        @Flag(help: "Replace the finished runs of other configs (changed points); without it the plan is refused.")
        var replace = false

        @Flag(help: "List done points too (lines, commands).")
        var all = false

        @Option(help: "Output format.")
        var format: PlanFormat = .lines

        @Option(help: ArgumentHelp("The runner executable to print in commands (default: as invoked; slurm: made absolute).",
                                   valueName: "path"))
        var runner: String?

        @Option(help: ArgumentHelp("slurm: the partition (default: the cluster's default).", valueName: "name"))
        var partition: String?

        @Option(help: ArgumentHelp("slurm: each task's time limit, as sbatch --time takes it (e.g. 2:00:00, 1-12:00:00).",
                                   valueName: "limit"))
        var time: String?

        @Option(help: ArgumentHelp("slurm: CPUs per task (default: the largest training.threads of the points).",
                                   valueName: "n"))
        var cpusPerTask: Int?

        @Option(help: ArgumentHelp("slurm: how many tasks run at once (--array=...%N; default: no cap).", valueName: "n"))
        var maxParallel: Int?

        @Option(help: ArgumentHelp("slurm: seconds before the time limit at which a task gets SIGTERM.", valueName: "seconds"))
        var signalGrace = SlurmOptions.defaultSignalGrace

        @Option(help: ArgumentHelp("slurm: how often a task stopped by SIGTERM requeues itself.", valueName: "n"))
        var maxRequeues = SlurmOptions.defaultMaxRequeues

        @Option(help: ArgumentHelp("slurm: an extra #SBATCH line, e.g. --sbatch-line=--constraint=avx2; repeatable.",
                                   valueName: "option"))
        var sbatchLine: [String] = []

        @Option(help: ArgumentHelp("slurm: each task's memory, as sbatch --mem takes it (e.g. 8G; default: the largest point's memory estimate plus 25% and 512 MiB).",
                                   valueName: "size"))
        var mem: String?

        func validate() throws {
            guard format != .slurm else {
                if all { throw ValidationError("--all: --format slurm submits pending points only; use --force to rerun done points") }
                return
            }
            let given = [("--partition", partition != nil), ("--time", time != nil), ("--cpus-per-task", cpusPerTask != nil),
                         ("--max-parallel", maxParallel != nil),
                         ("--signal-grace", signalGrace != SlurmOptions.defaultSignalGrace),
                         ("--max-requeues", maxRequeues != SlurmOptions.defaultMaxRequeues),
                         ("--sbatch-line", !sbatchLine.isEmpty), ("--mem", mem != nil)].filter(\.1).map(\.0)
            if let flag = given.first {
                throw ValidationError("\(flag): only with --format slurm, found --format \(format.rawValue)")
            }
        }

        func run() throws {
            if let path = config.files.first, ConfigLoader.isTuneFile(path: path) { return try planTune(path) }
            let plan = try loadPlan(config, force: force, replace: replace)
            if format == .slurm { return try writeSlurmArray(plan) }
            let text: String
            do {
                text = try PlanRendering.render(plan, format: format, runner: runner ?? CommandLine.arguments[0],
                                                includeDone: all)
            } catch {
                writeToStandardError("\(error)".escapedForTerminalByLine + "\n")
                throw ExitCode(ExitStatus.badConfig)
            }
            print(text, terminator: "")
            writeToStandardError("runner plan: \(PlanRendering.summary(plan))\n")
        }

        /// A tune file: its trials that have not ended as a job array (TuneSlurmArray.swift).
        private func planTune(_ path: String) throws {
            guard config.files.count == 1, format == .slurm else {
                writeToStandardError("runner plan: \(path.escapedForTerminal) is a search: plan it alone with --format slurm (a job array of its trials), or run it with 'runner tune'\n")
                throw ExitCode(ExitStatus.badConfig)
            }
            let file = try loadTuneFile(path, overrides: config.overrides)
            guard let trials = file.tune.trials else {
                writeToStandardError("runner plan: \(path.escapedForTerminal): expected tune.trials (the array's size) for --format slurm, found only total_epochs\n")
                throw ExitCode(ExitStatus.badConfig)
            }
            let jobs = maxParallel ?? SlurmArray.defaultTuneJobs
            if let problem = TuneRunner.identityProblem(file, jobs: jobs) {
                writeToStandardError("runner plan: \(problem.escapedForTerminal)\n")
                throw ExitCode(ExitStatus.badConfig)
            }
            let directory = SearchDirectory(path: file.base.output.dir)
            let pending = (0..<trials).filter { directory.record($0)?.state.hasEnded != true }
            var options = SlurmOptions(partition: partition, timeLimit: time, cpusPerTask: cpusPerTask, maxParallel: jobs,
                                       signalGrace: signalGrace, maxRequeues: maxRequeues, sbatchLines: sbatchLine, memory: mem)
            if mem == nil, let mebibytes = MemoryBudget.jobMemoryMiB([file.base], threads: cpusPerTask ?? file.base.training.threads ?? 1) {
                options.memory = "\(mebibytes)M"
            }
            let array: SlurmArray?
            do {
                array = try SlurmArray.makeTune(file, trials: pending, jobs: jobs,
                                                runner: runner ?? Bundle.main.executablePath ?? CommandLine.arguments[0],
                                                workingDirectory: FileManager.default.currentDirectoryPath, options: options)
            } catch {
                writeToStandardError("\(error)".escapedForTerminalByLine + "\n")
                throw ExitCode(ExitStatus.badConfig)
            }
            writeToStandardError("runner plan: search \(file.base.name): \(trials - pending.count) of \(trials) trials ended\n")
            guard let array else {
                writeToStandardError("runner plan: nothing pending, no job array written\n")
                return
            }
            for note in array.notes { writeToStandardError("runner plan: note: \(note)\n") }
            do {
                try array.write()
            } catch {
                writeToStandardError("runner plan: cannot write \(array.scriptPath): \(error.localizedDescription)\n")
                throw ExitCode(ExitStatus.runFailed)
            }
            writeToStandardError("runner plan: wrote \(array.scriptPath) (\(array.taskCount) task\(array.taskCount == 1 ? "" : "s")) and \(array.planPath)\n")
            print(array.submitCommand)
        }

        /// Writes the array script and the plan lines; prints the sbatch command on stdout.
        private func writeSlurmArray(_ plan: SweepPlan) throws {
            var options = SlurmOptions(partition: partition, timeLimit: time, cpusPerTask: cpusPerTask, maxParallel: maxParallel,
                                       signalGrace: signalGrace, maxRequeues: maxRequeues, sbatchLines: sbatchLine, memory: mem)
            var memoryNote: String?
            if mem == nil {
                // The memory guard's estimate sizes the request; a file dataset's catalogue is
                // unknown until it is read, so there the user says.
                let threads = cpusPerTask ?? plan.pending.compactMap(\.spec.training.threads).max() ?? 1
                if let mebibytes = MemoryBudget.jobMemoryMiB(plan.pending.map(\.spec), threads: threads) {
                    options.memory = "\(mebibytes)M"
                } else {
                    memoryNote = "no --mem line: a point reads its own data file, whose size is unknown before it is read; pass --mem (e.g. --mem 8G)"
                }
            }
            let array: SlurmArray?
            guard WorkingDirectory.isUTF8 else {
                writeToStandardError("runner plan --format slurm: expected a current directory whose path is UTF-8 (the script names it in --chdir), found another; run it from a directory with a UTF-8 path\n")
                throw ExitCode(ExitStatus.badConfig)
            }
            do {
                array = try SlurmArray.make(plan: plan, runner: runner ?? Bundle.main.executablePath ?? CommandLine.arguments[0],
                                            workingDirectory: FileManager.default.currentDirectoryPath,
                                            options: options)
            } catch {
                writeToStandardError("\(error)".escapedForTerminalByLine + "\n")
                throw ExitCode(ExitStatus.badConfig)
            }
            writeToStandardError("runner plan: \(PlanRendering.summary(plan))\n")
            guard let array else {
                writeToStandardError("runner plan: nothing pending, no job array written\n")
                return
            }
            for note in array.notes + (memoryNote.map { [$0] } ?? []) { writeToStandardError("runner plan: note: \(note)\n") }
            do {
                try array.write()
            } catch let error as DirectoryCreationError {
                writeToStandardError("runner plan: cannot create \(array.logDirectory.escapedForTerminal): \(error.reason.escapedForTerminal)\n")
                throw ExitCode(ExitStatus.runFailed)
            } catch {
                writeToStandardError("runner plan: cannot write \(array.scriptPath): \(error.localizedDescription)\n")
                throw ExitCode(ExitStatus.runFailed)
            }
            writeToStandardError("runner plan: wrote \(array.scriptPath) (\(array.taskCount) task\(array.taskCount == 1 ? "" : "s")) and \(array.planPath)\n")
            print(array.submitCommand)
        }
    }

    struct Sweep: ParsableCommand {
        static let configuration = CommandConfiguration(
            abstract: "Run the pending points of grid files, N runner processes at a time.",
            discussion: """
                Skips done points (as `runner plan` shows them) unless --force is given, and
                points another process is running. Each point runs in its own runner
                process, which prints one line per epoch starting with its name (on stderr;
                not with --quiet); one line with the status, the time and the first test
                metric is printed as each finishes (on stdout). Ctrl-C is forwarded to the
                running points, which write interrupted reports; if the sweep is killed,
                its points die with it (Linux). Rerunning the sweep runs what is missing.
                A point holding the finished run of another config (changed) is refused,
                naming the keys that differ, unless --replace is given. Exits 1 if any point
                failed.

                EXAMPLES:
                  runner sweep experiments/cells.yaml --jobs 2
                  runner sweep experiments/cells.yaml --set 'grid.seed=[1]' --set training.epochs=3
                """)

        @OptionGroup var config: ConfigOptions

        @Option(name: [.customShort("j"), .long], help: "How many points run at once.")
        var jobs = 1

        @Flag(help: "Run every point, done or not.")
        var force = false

        @Flag(help: "Print only a line per finished point and the summary, not the points' epoch lines.")
        var quiet = false

        @Flag(help: "Replace the finished runs of other configs (changed points); without it the sweep is refused.")
        var replace = false

        func validate() throws {
            guard jobs >= 1 else { throw ValidationError("--jobs: expected at least 1, found \(jobs)") }
        }

        func run() throws {
            let plan = try loadPlan(config, force: force, replace: replace)
            let pending = plan.pending.count
            // Unbuffered output throughout, so that lines appear in order and as points
            // finish, even when stdout is a pipe or a file.
            let running = pending == 0 ? "nothing to run" : "running \(pending), \(min(jobs, pending)) at a time"
            writeToStandardOutput("sweep: \(PlanRendering.summary(plan)); \(running)\n")
            if jobs > 1, plan.pending.contains(where: { $0.spec.training.threads == nil }) {
                writeToStandardError("sweep: note: each point uses every CPU it may use (training.threads unset); with --jobs \(jobs), consider --set training.threads=1\n")
            }
            let executable = Bundle.main.executablePath ?? CommandLine.arguments[0]
            let clock = Date()
            SweepSignals.install()
            for point in plan.points {
                if case .running = point.state { writeToStandardOutput("sweep: skipping \(point.outputDirectory): \(point.state.label)\n") }
            }
            let outcome = SweepRunner.run(plan, executable: executable, jobs: jobs, epochLines: !quiet, skippedRunning: { point, pid in
                let state = PointState.running(pid: pid)
                writeToStandardOutput("sweep: skipping \(point.outputDirectory): \(state.label)\n")
            }, finished: { result in
                writeToStandardOutput(result.line + "\n")
            })
            var summary = String(format: "sweep: %d ran (%d ok, %d failed), %d skipped, %.1fs",
                                 outcome.results.count, outcome.results.count - outcome.failedCount,
                                 outcome.failedCount, outcome.skipped, Date().timeIntervalSince(clock))
            if let signal = outcome.interruptedBy {
                summary += "; interrupted by signal \(signal), \(outcome.notStarted) not started"
            }
            writeToStandardOutput(summary + "\n")
            if !outcome.succeeded { throw ExitCode(ExitStatus.runFailed) }
        }
    }

    struct Compare: ParsableCommand {
        static let configuration = CommandConfiguration(
            abstract: "Compare reports: comparison.md/.csv tables with significance, and an HTML report.",
            discussion: """
                Reads every report.json under the given paths (directories are searched
                recursively), groups seeds of the same configuration, and runs paired tests
                (t-test, Wilcoxon signed-rank) between configurations that differ in one key.
                Given search directories (`runner tune`'s output.dir), it writes a table of
                their trials instead (report.html: the first search's objective by trial).

                EXAMPLE:
                  runner compare results/cells --output results
                """)

        @Argument(help: ArgumentHelp("Report files or directories.", valueName: "path"), completion: .file())
        var paths: [String]

        @Option(help: ArgumentHelp("Directory for comparison.md, comparison.csv and report.html.", valueName: "dir"))
        var output = "results"

        @Flag(help: "Do not write the HTML report.")
        var noHTML = false

        func run() throws {
            if !paths.isEmpty, paths.allSatisfy(SearchComparison.isSearchDirectory) { return try compareSearches() }
            let comparison: Comparison
            var problems = 0
            do {
                // One unreadable report does not stop the comparison of the others.
                let runs = try ComparisonBuilder.loadRuns(paths: paths) { path, error in
                    writeToStandardError("runner compare: warning: skipped \(path.escapedForTerminal): \("\(error)".escapedForTerminal)\n")
                    problems += 1
                }
                guard !runs.isEmpty else {
                    writeToStandardError("runner compare: none of the reports could be read\n")
                    throw ExitCode(ExitStatus.runFailed)
                }
                comparison = ComparisonBuilder.compare(runs)
            } catch let exit as ExitCode {
                throw exit
            } catch {
                writeToStandardError("runner compare: \("\(error)".escapedForTerminal)\n")
                throw ExitCode(ExitStatus.badConfig)
            }
            for item in comparison.excluded where item.isStale {
                writeToStandardError("runner compare: note: left out \(item.run.displayPath.escapedForTerminal): \(item.reason.escapedForTerminal)\n")
            }
            for item in comparison.excluded where item.isInvalid {
                writeToStandardError("runner compare: warning: left out \(item.run.displayPath.escapedForTerminal): \(item.reason.escapedForTerminal)\n")
                problems += 1
            }
            let directory = WorkingDirectory.url(output)
            let markdown = directory.appendingPathComponent("comparison.md")
            let html = noHTML ? nil : directory.appendingPathComponent("report.html")
            try ComparisonWriter.write(comparison, markdownTo: markdown,
                                       csvTo: directory.appendingPathComponent("comparison.csv"), htmlTo: html)
            print(comparison.markdown(), terminator: "")
            writeToStandardError("wrote \(markdown.path), comparison.csv\(html == nil ? "" : ", report.html")\n")
            if problems > 0 {
                writeToStandardError("runner compare: \(problems) report\(problems == 1 ? "" : "s") skipped or left out (above)\n")
                throw ExitCode(ExitStatus.runFailed)
            }
        }

        /// Search directories (`runner tune`'s): a table of trials each, and a chart of the
        /// objective against the trial with the best so far.
        private func compareSearches() throws {
            var searches: [SearchComparison] = []
            for path in paths {
                do {
                    searches.append(try SearchComparison(directory: path))
                } catch {
                    writeToStandardError("runner compare: cannot read the search in \(path.escapedForTerminal): \("\(error)".escapedForTerminal)\n")
                    throw ExitCode(ExitStatus.runFailed)
                }
            }
            let markdown = searches.map { $0.markdown() }.joined(separator: "\n")
            let directory = WorkingDirectory.url(output)
            do {
                try DirectoryCreation.create(directory.path)
                try Data(markdown.utf8).write(to: directory.appendingPathComponent("comparison.md"), options: .atomic)
                if !noHTML, let first = searches.first {
                    try Data(first.html().utf8).write(to: directory.appendingPathComponent("report.html"), options: .atomic)
                }
            } catch {
                writeToStandardError("runner compare: cannot write to \(directory.path.escapedForTerminal): \(error)\n")
                throw ExitCode(ExitStatus.runFailed)
            }
            print(markdown, terminator: "")
            writeToStandardError("wrote \(directory.appendingPathComponent("comparison.md").path)\(noHTML ? "" : ", report.html")\n")
        }
    }

    struct DataCommand: ParsableCommand {
        static let configuration = CommandConfiguration(
            commandName: "data",
            abstract: "Download and verify a built-in dataset into the data cache (what `make data` runs).")

        @Argument(help: "Built-in dataset name.", completion: .list(builtInDatasetNames))
        var name = "movielens-100k"

        @Option(help: ArgumentHelp("Cache directory (default: $SEQREC_DATA_DIR, else data/).", valueName: "dir"))
        var cacheDir: String?

        func run() throws {
            // An unknown name is bad usage (exit 2), not a failed download.
            guard builtInDatasetNames.contains(name) else {
                writeToStandardError("runner data: \(DataError.unknownBuiltin(name: name))\n")
                throw ExitCode(ExitStatus.badConfig)
            }
            do {
                let url = try DatasetLoader.acquire(
                    builtin: name, cacheDirectory: DatasetLoader.cacheDirectory(configured: cacheDir),
                    log: { writeToStandardError($0 + "\n") })
                print(url.path)
            } catch {
                writeToStandardError("runner data: \("\(error)".escapedForTerminalByLine)\n")
                throw ExitCode(ExitStatus.runFailed)
            }
        }
    }
}

extension ResolvedFormat: @retroactive ExpressibleByArgument {}

extension PlanFormat: @retroactive ExpressibleByArgument {}

/// Loads the plan for `plan` and `sweep`; a bad config exits 2 with every error.
func loadPlan(_ config: ConfigOptions, force: Bool, replace: Bool) throws -> SweepPlan {
    do {
        return try SweepPlanner.plan(paths: config.files, overrides: config.overrides, force: force, replace: replace)
    } catch {
        writeToStandardError(error.description + "\n")
        throw ExitCode(ExitStatus.badConfig)
    }
}
