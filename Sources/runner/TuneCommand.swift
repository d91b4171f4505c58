import ArgumentParser
import Foundation
import SeqRec

extension RunnerCommand {
    struct Tune: ParsableCommand {
        static let configuration = CommandConfiguration(
            abstract: "Search hyperparameters: run the trials of a tune file (docs/tuning.md).",
            discussion: """
                A tune file is an experiment with a `tune:` section (the keys to search and
                their ranges, the validation objective, the budget, the sampler, the pruner
                and a seed). Each trial is an ordinary run in <output.dir>/trials/<n>/ with
                its own config.yaml (extending the tune file), computing validation metrics
                only. Trials run N at a time, each in its own runner process; trial n is
                sampled from the trials numbered n - N and below, so the same file, seed and
                --jobs give the same trials. A trial whose run fails, whose settings make an
                invalid config, or whose process is killed is recorded as failed and the
                search goes on; if every trial fails, it exits 1 without best.yaml. Ctrl-C
                or SIGTERM is forwarded to the running trials (exit 1). A rerun continues
                the search: ended trials (failed ones too) are kept, interrupted ones resume
                from their checkpoints. A changed tune file or --jobs over an existing
                search is refused. Results: <output.dir>/trials.json and best.yaml (the
                best settings over three seeds: run it for test metrics).

                EXAMPLES:
                  runner tune experiments/tune-lstm50.yaml
                  runner tune experiments/tune-lstm50.yaml --jobs 2 --set training.threads=1
                  runner tune experiments/tune-lstm50.yaml --trial 3    (one trial: what a SLURM task runs)
                """)

        @OptionGroup var config: ConfigOptions

        @Option(name: [.customShort("j"), .long], help: "How many trials run at once (also which earlier trials a trial is sampled from).")
        var jobs = 1

        @Option(help: ArgumentHelp("Run only this trial (0-based) in this process, as a SLURM array task does.", valueName: "n"))
        var trial: Int?

        @Flag(help: "Print only a line per ended trial and the best, not the trials' epoch lines.")
        var quiet = false

        @Flag(help: .hidden)
        var epochLines = false

        /// Set by `runner tune` on its trials' processes: the parent prints the trial lines.
        @Flag(help: .hidden)
        var searchChild = false

        func validate() throws {
            guard jobs >= 1 else { throw ValidationError("--jobs: expected at least 1, found \(jobs)") }
            guard config.files.count == 1 else { throw ValidationError("expected one tune file, found \(config.files.count)") }
            if let trial, trial < 0 || trial >= TuneSpec.maxTrials {
                throw ValidationError("--trial: expected a trial number from 0 to \(TuneSpec.maxTrials - 1), found \(trial)")
            }
        }

        func run() throws {
            let path = config.files[0]
            let file = try loadTuneFile(path, overrides: config.overrides)
            if let problem = MemoryBudget.configCheck(file.base) {
                writeToStandardError(ConfigError([ConfigDiagnostic(origin: path, keyPath: problem.keyPath, problem.message)]).description + "\n")
                throw ExitCode(ExitStatus.badConfig)
            }
            if let problem = TuneRunner.identityProblem(file, jobs: jobs) {
                writeToStandardError("runner tune: \(problem.escapedForTerminal)\n")
                throw ExitCode(ExitStatus.badConfig)
            }
            let objective = file.tune.objective.description
            if let trial { return try runTrial(file, number: trial, objective: objective) }

            SweepSignals.install()
            let budget = [file.tune.trials.map { "\($0) trials" }, file.tune.totalEpochs.map { "\($0) epochs" }].compactMap { $0 }
            writeToStandardOutput("tune: \(file.base.name): \(file.tune.space.count) keys, budget \(budget.joined(separator: " or ")), \(jobs) at a time -> \(file.base.output.dir)\n")
            let executable = Bundle.main.executablePath ?? CommandLine.arguments[0]
            let outcome = TuneRunner.run(file, jobs: jobs, executable: executable, childArguments: { number in
                ["tune", path, "--trial", "\(number)", "--jobs", "\(jobs)", "--search-child", quiet ? "--quiet" : "--epoch-lines"]
                    + config.overrides.flatMap { ["--set", $0] }
            }, trialEnded: { record, kept in
                var lines = SearchResults.line(record, objective: objective) + (kept ? "  (kept)" : "") + "\n"
                if let failure = SearchResults.failureLine(record) { lines += failure.escapedForTerminalByLine + "\n" }
                writeToStandardOutput(lines)
            })
            if let summary = outcome.summary {
                let search = summary.trials.reduce(0.0) { $0 + ($1.searchSeconds ?? 0) }
                let waits = summary.trials.reduce(0.0) { $0 + ($1.waitSeconds ?? 0) }
                let failed = summary.trials.filter { $0.state == .failed }.count
                var line = String(format: "tune: %d trials%@, %d epochs, %.1fs; the search's own work in the trials: %.2fs bookkeeping, %.2fs waiting for lower trials",
                                  summary.trials.count, failed > 0 ? " (\(failed) failed)" : "", summary.epochsUsed,
                                  outcome.seconds, search - waits, waits)
                if let best = summary.best, let record = summary.trials.first(where: { $0.number == best }) {
                    line += "\nbest: " + SearchResults.line(record, objective: objective)
                    line += "\n  -> \(file.base.output.dir)/\(SearchDirectory.bestFile) (runner run it for test metrics over 3 seeds)"
                }
                writeToStandardOutput(line + "\n")
            }
            if let signal = outcome.interruptedBy {
                writeToStandardError("tune: interrupted by signal \(signal); run the same command again to continue\n")
            }
            if let problem = outcome.problem { writeToStandardError("tune: \(problem.escapedForTerminal)\n") }
            if !outcome.succeeded { throw ExitCode(ExitStatus.runFailed) }
        }

        private func runTrial(_ file: TuneFile, number: Int, objective: String) throws {
            Interruption.install()
            let outcome = TuneTrial.run(file, number: number, jobs: jobs,
                                        options: RunOptions(quiet: quiet, epochLines: epochLines), datasets: DatasetCache())
            switch outcome {
            case .ended(let record):
                if !searchChild {
                    writeToStandardOutput(SearchResults.line(record, objective: objective) + "\n")
                    if let failure = SearchResults.failureLine(record) { writeToStandardError(failure.escapedForTerminalByLine + "\n") }
                }
                // As `runner run` for a failed run (a SLURM task then shows as failed).
                if record.state == .failed { throw ExitCode(ExitStatus.runFailed) }
            case .budgetExhausted(let reason):
                if searchChild { break }
                writeToStandardOutput("trial \(number): not run, the budget is spent (\(reason))\n")
            case .interrupted:
                writeToStandardError("trial \(number): interrupted; run it again to resume\n")
                throw ExitCode(ExitStatus.runFailed)
            case .unusable(let problem):
                writeToStandardError("trial \(number): \(problem.escapedForTerminalByLine)\n")
                throw ExitCode(ExitStatus.runFailed)
            }
        }
    }
}

/// The tune file at `path` with the `--set` flags applied; a config error is printed and exits 2.
func loadTuneFile(_ path: String, overrides: [String]) throws -> TuneFile {
    do {
        return try ConfigLoader.loadTune(path: path, overrides: overrides)
    } catch {
        writeToStandardError(error.description + "\n")
        throw ExitCode(ExitStatus.badConfig)
    }
}
