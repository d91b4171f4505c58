import Foundation
import Testing
@testable import SeqRec
@testable import SeqRecCore
@testable import SeqRecNumerics

// `runner tune` on the seconds-long synthetic experiment (Tests/Fixtures/tune/tiny-tune.yaml:
// 6 trials of at most 4 epochs, random search, successive halving after epochs 1 and 3),
// through the built binary: trials are ordinary runs without test metrics, pruning follows
// the pruner's rule over the lower trials, the same file gives the same trials, a search
// interrupted (between trials and inside one) continues to what an uninterrupted one gives,
// best.yaml is a valid config over the tune file, and a changed search is refused.

private let tuneFile = "Tests/Fixtures/tune/tiny-tune.yaml"

/// A trial as two searches must agree on it (its timing and wording left out).
struct TrialOutcomeKey: Equatable, CustomStringConvertible {
    var number: Int
    var settings: [TrialSetting]
    var state: TrialRecord.State
    var intermediate: [TrialRecord.EpochValue]
    var objective: Double?
    var epochsUsed: Int
    var prunedAfterEpoch: Int?

    init(_ record: TrialRecord) {
        (number, settings, state, intermediate) = (record.number, record.settings, record.state, record.intermediate)
        (objective, epochsUsed, prunedAfterEpoch) = (record.objective, record.epochsUsed, record.prunedAfterEpoch)
    }

    var description: String { "\(number) \(state) \(epochsUsed) \(objective ?? .nan) \(settings.map(\.value))" }
}

private func isStopped(_ pid: pid_t) -> Bool {
    guard let stat = try? String(contentsOfFile: "/proc/\(pid)/stat", encoding: .utf8),
          let close = stat.lastIndex(of: ")") else { return false }
    return stat[stat.index(after: close)...].split(separator: " ").first == "T"
}

@Suite(.serialized, .enabled(if: SweepFixtures.runnerIsBuilt))
struct TuneEndToEndTests {
    private func tune(_ output: URL, _ extra: [String] = [], file: String = tuneFile, scratch: URL) throws -> SweepFixtures.Finished {
        try SweepFixtures.runner(["tune", file, "--quiet", "--set", "output.dir=\(output.path)"] + extra, scratch: scratch)
    }

    private func summary(_ output: URL) throws -> SearchSummary {
        try JSONDecoder().decode(SearchSummary.self, from: Data(contentsOf: output.appendingPathComponent("trials.json")))
    }

    @Test func trialsAreOrdinaryRunsWithoutTestMetricsAndPruningFollowsTheRule() throws {
        let scratch = try SweepFixtures.makeScratch()
        defer { try? FileManager.default.removeItem(at: scratch) }
        let output = scratch.appendingPathComponent("search")
        let finished = try tune(output, scratch: scratch)
        try #require(finished.status == 0, "stdout: \(finished.stdout) stderr: \(finished.stderr)")
        let result = try summary(output)
        #expect(result.trials.map(\.number) == Array(0..<6))
        #expect(finished.stdout.split(separator: "\n").filter { $0.hasPrefix("trial ") }.count == 6, "\(finished.stdout)")

        let pruner = ASHAPruner(minEpochs: 1, reductionFactor: 3)
        for trial in result.trials {
            let directory = output.appendingPathComponent("trials/\(trial.number)")
            // An ordinary run of its own config, which extends the tune file.
            let configPath = directory.appendingPathComponent("config.yaml").path
            let configText = try String(contentsOfFile: configPath, encoding: .utf8)
            #expect(configText.contains("extends: \"\(ConfigFixtures.repositoryRoot.path)/\(tuneFile)\""), "\(configText)")
            let spec = try ConfigLoader.load(path: configPath)
            let report = try ReportReader.read(directory.appendingPathComponent("report.json"))
            #expect(report.status == .ok && report.configHash == spec.configHash && report.name == "tiny-tune-trial-\(trial.number)")
            #expect(spec.output.dir == directory.path)
            let values = Dictionary(uniqueKeysWithValues: trial.settings.map { ($0.key, $0.value) })
            #expect(spec.model.cell.rawValue == values["model.cell"])
            #expect("\(spec.model.hiddenSize)" == values["model.hidden_size"])
            #expect(spec.training.optimizer.learningRate == Double(values["training.optimizer.learning_rate"] ?? ""))
            // Validation only: no test metrics, and the report says so.
            #expect(report.test == nil && report.validation != nil)
            #expect(report.message?.hasSuffix(ExperimentRunner.validationOnlyNote) == true, "\(report.message ?? "")")
            #expect(!FileManager.default.fileExists(atPath: directory.appendingPathComponent("per_user.tsv").path))
            // The record agrees with the report.
            #expect(trial.epochsUsed == report.history.count)
            #expect(trial.intermediate.map(\.value) == report.history.compactMap { $0.validation?["ndcg@10"] })
            // Pruned exactly where the pruner says, given the lower trials' values at that epoch.
            let expectedStop = [1, 3].first { epoch in
                guard let value = trial.value(atEpoch: epoch) else { return false }
                let competitors = result.trials.filter { $0.number < trial.number }.compactMap { $0.value(atEpoch: epoch) }
                return pruner.shouldStop(epoch: epoch, value: value, competitors: competitors, direction: .maximize)
            }
            #expect(trial.prunedAfterEpoch == expectedStop, "trial \(trial.number)")
            if let epoch = expectedStop {
                #expect(trial.state == .pruned && trial.epochsUsed == epoch)
                #expect(report.message?.hasPrefix("pruned after epoch \(epoch) by the search") == true)
            } else {
                #expect(trial.state == .complete && trial.epochsUsed == 4)
            }
        }
        #expect(result.trials.contains { $0.state == .pruned }, "no trial was pruned: \(result.trials.map(TrialOutcomeKey.init))")

        // best.yaml: the best complete trial's settings over the tune file, three seeds.
        let complete = result.trials.filter { $0.state == .complete }
        let best = try #require(complete.max { ($0.objective ?? -1) < ($1.objective ?? -1) })
        #expect(result.best == best.number)
        let bestPath = output.appendingPathComponent("best.yaml").path
        let validated = try SweepFixtures.runner(["validate", bestPath], scratch: scratch)
        #expect(validated.status == 0, "\(validated.stderr)")
        let points = try ConfigLoader.loadGrid(path: bestPath)
        #expect(points.map(\.spec.seed) == [7, 8, 9])
        let trialSpec = try ConfigLoader.load(path: output.appendingPathComponent("trials/\(best.number)/config.yaml").path)
        for point in points {
            #expect(point.spec.model == trialSpec.model && point.spec.training == trialSpec.training)
            #expect(point.spec.output.dir.hasPrefix(output.appendingPathComponent("best").path))
        }

        // compare on the search directory: a row per trial, the best marked; the chart's two lines.
        let compared = scratch.appendingPathComponent("compared")
        let compare = try SweepFixtures.runner(["compare", output.path, "--output", compared.path], scratch: scratch)
        #expect(compare.status == 0, "\(compare.stderr)")
        let rows = compare.stdout.split(separator: "\n").filter { $0.hasPrefix("| ") && !$0.hasPrefix("| trial") && !$0.hasPrefix("| ---") }
        #expect(rows.count == 6, "\(compare.stdout)")
        for (row, trial) in zip(rows, result.trials) {
            let objective = trial.objective.map { String(format: "%.4f", $0) } ?? "-"
            let state = trial.state.rawValue + (trial.prunedAfterEpoch.map { " after epoch \($0)" } ?? "")
            #expect(row.hasPrefix("| \(trial.number) | ") && row.contains("| \(state) | \(trial.epochsUsed) | \(objective)"), "\(row)")
            #expect(row.hasSuffix("(best) |") == (trial.number == best.number))
        }
        let html = try String(contentsOf: compared.appendingPathComponent("report.html"), encoding: .utf8)
        #expect(html.contains("data-series=\"trial\"") && html.contains("data-series=\"best so far\""))
    }

    @Test func theSameFileSeedAndJobsGiveTheSameTrials() throws {
        let scratch = try SweepFixtures.makeScratch()
        defer { try? FileManager.default.removeItem(at: scratch) }
        let first = scratch.appendingPathComponent("first"), second = scratch.appendingPathComponent("second")
        for output in [first, second] {
            let finished = try tune(output, ["--jobs", "2"], scratch: scratch)
            try #require(finished.status == 0, "stdout: \(finished.stdout) stderr: \(finished.stderr)")
        }
        let a = try summary(first), b = try summary(second)
        #expect(a.trials.count == 6)
        #expect(a.trials.map(TrialOutcomeKey.init) == b.trials.map(TrialOutcomeKey.init))
        #expect(a.best == b.best)
    }

    @Test func aSearchInterruptedBetweenAndInsideTrialsContinuesToTheUninterruptedResult() throws {
        let scratch = try SweepFixtures.makeScratch()
        defer { try? FileManager.default.removeItem(at: scratch) }
        let reference = scratch.appendingPathComponent("reference")
        let uninterrupted = try tune(reference, scratch: scratch)
        try #require(uninterrupted.status == 0, "stdout: \(uninterrupted.stdout) stderr: \(uninterrupted.stderr)")
        let expected = try summary(reference)
        // The trial to kill inside: the first after trial 0 that trains past its second epoch.
        let victim = try #require(expected.trials.first { $0.number > 0 && $0.epochsUsed >= 3 }).number

        let output = scratch.appendingPathComponent("interrupted")
        let flags = ["tune", tuneFile, "--quiet", "--set", "output.dir=\(output.path)"]
        // The trials below it run (a search stopped between trials)...
        for number in 0..<victim {
            let single = try SweepFixtures.runner(flags + ["--trial", "\(number)"], scratch: scratch)
            try #require(single.status == 0, "\(single.stderr)")
        }
        // ... then it is killed just before its second training state (after epoch 2) is in place.
        let killed = try SweepFixtures.launch(ConfigFixtures.runnerBinary.path, flags + ["--trial", "\(victim)"], scratch: scratch,
                                              environment: ["SEQREC_CRASH_HOOK": "stop:before-rename:state.safetensors:2"])
        let pid = killed.process.processIdentifier
        defer { kill(pid, SIGKILL) }
        try #require(waitFor(60) { isStopped(pid) }, "the hook did not stop the trial: \(killed.stderr)")
        kill(pid, SIGKILL)
        killed.process.waitUntilExit()
        let left = try #require(SearchDirectory(path: output.path).record(victim))
        #expect(left.state == .running && left.lastEpoch == 2)

        let rest = try tune(output, scratch: scratch)
        try #require(rest.status == 0, "stdout: \(rest.stdout) stderr: \(rest.stderr)")
        #expect(rest.stdout.split(separator: "\n").filter { $0.hasSuffix("(kept)") }.count == victim)
        let resumed = try ReportReader.read(output.appendingPathComponent("trials/\(victim)/report.json"))
        #expect(resumed.resumedFromEpoch == 1)
        let continued = try summary(output)
        #expect(continued.trials.map(TrialOutcomeKey.init) == expected.trials.map(TrialOutcomeKey.init))
        #expect(continued.best == expected.best)
    }

    @Test func theSlurmArraysTasksStartedAllAtOnceInReverseGiveTheTrialsOfRunnerTune() throws {
        let scratch = try SweepFixtures.makeScratch()
        defer { try? FileManager.default.removeItem(at: scratch) }
        let reference = scratch.appendingPathComponent("reference")
        let local = try tune(reference, ["--jobs", "2"], scratch: scratch)
        try #require(local.status == 0, "stdout: \(local.stdout) stderr: \(local.stderr)")

        let output = scratch.appendingPathComponent("array")
        let plan = try SweepFixtures.runner(["plan", tuneFile, "--format", "slurm", "--max-parallel", "2",
                                             "--set", "output.dir=\(output.path)"], scratch: scratch)
        try #require(plan.status == 0, "\(plan.stderr)")
        let lines = try String(contentsOf: output.appendingPathComponent("slurm/sweep.plan"), encoding: .utf8)
            .split(separator: "\n").map(String.init)
        #expect(lines.count == 6 && lines.allSatisfy { $0.contains(" --jobs 2") })
        // Every task at once, the last first: trials wait for the ones they depend on.
        let tasks = try lines.reversed().map { try SweepFixtures.launch("/bin/sh", ["-c", $0], scratch: scratch) }
        for task in tasks {
            let ended = task.wait()
            #expect(ended.status == 0, "\(ended.stderr)")
        }
        #expect(try summary(output).trials.map(TrialOutcomeKey.init) == summary(reference).trials.map(TrialOutcomeKey.init))
    }

    @Test func anEpochBudgetStopsStartingTrialsOnceTheTrialsBelowHaveSpentIt() throws {
        let scratch = try SweepFixtures.makeScratch()
        defer { try? FileManager.default.removeItem(at: scratch) }
        var text = try String(contentsOfFile: tuneFile, encoding: .utf8)
        text = text.replacingOccurrences(of: "extends: ../e2e/tiny.yaml", with: "extends: \(ConfigFixtures.fixtures.path)/e2e/tiny.yaml")
            .replacingOccurrences(of: "  trials: 6", with: "  total_epochs: 7")
        let budgeted = scratch.appendingPathComponent("budget.yaml")
        try text.write(to: budgeted, atomically: true, encoding: .utf8)
        let output = scratch.appendingPathComponent("search")
        let finished = try tune(output, file: budgeted.path, scratch: scratch)
        try #require(finished.status == 0, "stdout: \(finished.stdout) stderr: \(finished.stderr)")
        let trials = try summary(output).trials
        // With --jobs 1, trial n runs when trials 0..<n used fewer than 7 epochs, and the
        // search ends at the first trial for which they did not.
        for trial in trials {
            #expect(trials.filter { $0.number < trial.number }.reduce(0) { $0 + $1.epochsUsed } < 7, "trial \(trial.number)")
        }
        #expect(trials.reduce(0) { $0 + $1.epochsUsed } >= 7)
        #expect(trials.count >= 2 && trials.allSatisfy { $0.state.hasEnded })
        // The next trial alone (a SLURM task) says why it does not run.
        let next = try tune(output, ["--trial", "\(trials.count)"], file: budgeted.path, scratch: scratch)
        let used = trials.reduce(0) { $0 + $1.epochsUsed }
        #expect(next.status == 0 && next.stdout == "trial \(trials.count): not run, the budget is spent "
            + "(trials 0-\(trials.count - 1) used \(used) of tune.total_epochs 7)\n", "\(next.stdout) \(next.stderr)")
    }

    @Test func aChangedSearchIsRefused() throws {
        let scratch = try SweepFixtures.makeScratch()
        defer { try? FileManager.default.removeItem(at: scratch) }
        let output = scratch.appendingPathComponent("search")
        let first = try tune(output, ["--trial", "0"], scratch: scratch)
        try #require(first.status == 0, "\(first.stderr)")

        let epochs = try tune(output, ["--set", "training.epochs=3"], scratch: scratch)
        #expect(epochs.status == 2)
        #expect(epochs.stderr.contains("holds a search of another tune file: the experiment (config hash "), "\(epochs.stderr)")
        let jobs = try tune(output, ["--jobs", "2"], scratch: scratch)
        #expect(jobs.status == 2)
        #expect(jobs.stderr.contains("--jobs (2, was 1: trials are sampled from the trials --jobs below them) changed"), "\(jobs.stderr)")
        // The same file with another seed.
        var text = try String(contentsOfFile: tuneFile, encoding: .utf8)
        text = text.replacingOccurrences(of: "extends: ../e2e/tiny.yaml", with: "extends: \(ConfigFixtures.fixtures.path)/e2e/tiny.yaml")
            .replacingOccurrences(of: "  seed: 3", with: "  seed: 4")
        let changed = scratch.appendingPathComponent("tiny-tune.yaml")
        try text.write(to: changed, atomically: true, encoding: .utf8)
        let seed = try tune(output, file: changed.path, scratch: scratch)
        #expect(seed.status == 2)
        #expect(seed.stderr.contains("the tune section (seed: 4; was seed: 3) changed"), "\(seed.stderr)")
        // Nothing ran: the search still has its one trial.
        #expect(SearchDirectory(path: output.path).records().map(\.number) == [0])
    }

    @Test func aTuneFileValidatesAndIsNotRunAsAnExperiment() throws {
        let scratch = try SweepFixtures.makeScratch()
        defer { try? FileManager.default.removeItem(at: scratch) }
        let validated = try SweepFixtures.runner(["validate", tuneFile], scratch: scratch)
        #expect(validated.status == 0, "\(validated.stderr)")
        #expect(validated.stdout.contains("#   space model.cell: choice [lstm, gru]"), "\(validated.stdout)")
        let run = try SweepFixtures.runner(["run", tuneFile], scratch: scratch)
        #expect(run.status == 2)
        #expect(run.stderr.contains("tune: expected an experiment or a grid, found a hyperparameter search (run it with 'runner tune FILE'"), "\(run.stderr)")
    }

    @Test func planningASearchNeedsSlurmAloneAndATrialCount() throws {
        let scratch = try SweepFixtures.makeScratch()
        defer { try? FileManager.default.removeItem(at: scratch) }
        let asMake = try SweepFixtures.runner(["plan", tuneFile], scratch: scratch)
        #expect(asMake.status == 2)
        #expect(asMake.stderr == "runner plan: \(tuneFile) is a search: plan it alone with --format slurm (a job array of its trials), "
            + "or run it with 'runner tune'\n")
        let epochsOnly = scratch.appendingPathComponent("epochs-only.yaml")
        try """
            extends: \(ConfigFixtures.fixtures.appendingPathComponent("e2e/tiny.yaml").path)
            tune:
              objective: ndcg@10
              space:
                model.hidden_size: {integer: [4, 16]}
              total_epochs: 8
            """.write(to: epochsOnly, atomically: true, encoding: .utf8)
        let withoutTrials = try SweepFixtures.runner(["plan", epochsOnly.path, "--format", "slurm"], scratch: scratch)
        #expect(withoutTrials.status == 2)
        #expect(withoutTrials.stderr == "runner plan: \(epochsOnly.path): expected tune.trials (the array's size) for --format slurm, "
            + "found only total_epochs\n")
    }
}
