import Foundation
import Testing
@testable import SeqRec
@testable import SeqRecCore
@testable import SeqRecNumerics

// `runner tune` when things go wrong, through the built binary and the seconds-long synthetic
// experiment (Tests/Fixtures/e2e/tiny.yaml): a trial whose settings fail at run time or make
// an invalid config, a trial whose process is killed, a search where every trial fails, a
// search stopped by SIGINT or SIGTERM and continued, and the messages of the other ways a
// search or a trial cannot run. Each asserts what the user sees word for word.

private let tinyExperiment = ConfigFixtures.fixtures.appendingPathComponent("e2e/tiny.yaml").path
private let tinyTune = "Tests/Fixtures/tune/tiny-tune.yaml"

/// Whether `pid` is stopped (state T in /proc): the crash hook stopped it.
private func processIsStopped(_ pid: pid_t) -> Bool {
    guard let stat = try? String(contentsOfFile: "/proc/\(pid)/stat", encoding: .utf8),
          let close = stat.lastIndex(of: ")") else { return false }
    return stat[stat.index(after: close)...].split(separator: " ").first == "T"
}

/// Which trial a `runner tune FILE --trial N` process runs (from /proc/PID/cmdline).
private func trialNumber(of pid: pid_t) -> Int? {
    guard let data = FileManager.default.contents(atPath: "/proc/\(pid)/cmdline") else { return nil }
    let words = data.split(separator: 0).map { String(decoding: $0, as: UTF8.self) }
    guard let flag = words.firstIndex(of: "--trial"), flag + 1 < words.count else { return nil }
    return Int(words[flag + 1])
}

@Suite(.serialized, .enabled(if: SweepFixtures.runnerIsBuilt))
struct TuneFailureTests {
    private func summary(_ output: URL) throws -> SearchSummary {
        try JSONDecoder().decode(SearchSummary.self, from: Data(contentsOf: output.appendingPathComponent("trials.json")))
    }

    /// A tune file over the tiny experiment in `scratch`, with `body` after its `extends`.
    private func tuneFile(_ name: String, _ body: String, scratch: URL) throws -> String {
        let url = scratch.appendingPathComponent("\(name).yaml")
        try "extends: \(tinyExperiment)\nname: \(name)\n\(body)".write(to: url, atomically: true, encoding: .utf8)
        return url.path
    }

    /// Starts `runner tune` and lets its trials' processes (which the crash hook stops at
    /// their second training state) go on: `onStopped` says, for each trial found stopped,
    /// whether to kill it (SIGKILL) rather than continue it (SIGCONT). Returns how it ended.
    private func tuneStoppingTrials(_ arguments: [String], scratch: URL,
                                    onStopped: (_ parent: pid_t, _ trial: Int) -> Bool) throws -> SweepFixtures.Finished {
        let search = try SweepFixtures.launch(ConfigFixtures.runnerBinary.path, ["tune"] + arguments, scratch: scratch,
                                              environment: ["SEQREC_CRASH_HOOK": "stop:before-rename:state.safetensors:2"])
        let parent = search.process.processIdentifier
        let deadline = Date().addingTimeInterval(240)
        while search.process.isRunning && Date() < deadline {
            for child in children(of: parent) where processIsStopped(child) {
                let killIt = trialNumber(of: child).map { onStopped(parent, $0) } ?? false
                kill(child, killIt ? SIGKILL : SIGCONT)
            }
            Thread.sleep(forTimeInterval: 0.02)
        }
        if search.process.isRunning {
            children(of: parent).forEach { kill($0, SIGKILL) }
            kill(parent, SIGKILL)
            Issue.record("runner tune did not end within 240 s: \(search.stdout) \(search.stderr)")
        }
        return search.wait()
    }

    // MARK: Failed trials

    /// Settings that make the run fail (a split without validation cases) or the config
    /// invalid (heads not dividing the width, though each range's ends alone are valid): those
    /// trials fail with their message, the others run, best.yaml is a complete trial's,
    /// compare shows the failed ones, and a rerun keeps them instead of running them again.
    @Test func trialsThatFailAreRecordedAndTheSearchGoesOn() throws {
        let scratch = try SweepFixtures.makeScratch()
        defer { try? FileManager.default.removeItem(at: scratch) }
        let file = try tuneFile("failing", """
            training: {epochs: 2, threads: 1}
            model: {cell: sasrec, embedding_size: 8, hidden_size: 8, heads: 1, blocks: 1}
            split: {method: user-ratio, ratios: [0.8, 0.1, 0.1]}
            tune:
              objective: ndcg@10
              space:
                model.hidden_size: {choice: [8, 6]}
                model.heads: {choice: [1, 4]}
                split.ratios: {choice: [[0.8, 0.1, 0.1], [0.8, 0.0, 0.2]]}
              trials: 8
              sampler: random
              seed: 5
            """, scratch: scratch)
        let output = scratch.appendingPathComponent("search")
        let flags = [file, "--quiet", "--set", "output.dir=\(output.path)"]
        let finished = try SweepFixtures.runner(["tune"] + flags, scratch: scratch)
        try #require(finished.status == 0, "stdout: \(finished.stdout) stderr: \(finished.stderr)")
        let result = try summary(output)
        #expect(result.trials.map(\.number) == Array(0..<8))

        let noValidation = "\(DataError.invalidSplit(reason: "user-ratio produced no validation cases"))"
        var expectedLines: [String] = []
        for trial in result.trials {
            let values = Dictionary(uniqueKeysWithValues: trial.settings.map { ($0.key, $0.value) })
            let configPath = output.appendingPathComponent("trials/\(trial.number)/config.yaml").path
            expectedLines.append(SearchResults.line(trial, objective: "ndcg@10"))
            #expect(trial.processEnd == nil, "trial \(trial.number): its own process recorded its end")
            if values["model.hidden_size"] == "6" && values["model.heads"] == "4" {
                // The config is checked before the data: the same error `runner run` gives.
                var configError = ""
                do { _ = try ConfigLoader.load(path: configPath) } catch { configError = "\(error)" }
                #expect(configError.contains("model.heads"), "\(configError)")
                #expect(trial.state == .failed && trial.message == "its config is invalid: \(configError)" && trial.epochsUsed == 0)
            } else if values["split.ratios"] == "[0.8, 0.0, 0.2]" {
                // No validation split: the run fails as it loads its data.
                #expect(trial.state == .failed && trial.message == noValidation && trial.epochsUsed == 0, "\(trial.message ?? "")")
                let report = try ReportReader.read(output.appendingPathComponent("trials/\(trial.number)/report.json"))
                #expect(report.status == .failed && report.message == noValidation)
            } else {
                #expect(trial.state == .complete && trial.epochsUsed == 2 && trial.objective != nil)
            }
            if trial.state == .failed {
                #expect(trial.objective == nil)
                expectedLines.append("  trial \(trial.number) failed: \(trial.message ?? "")")
            }
        }
        let failed = result.trials.filter { $0.state == .failed }
        try #require(result.trials.contains { $0.message?.hasPrefix("its config is invalid") == true }
                     && result.trials.contains { $0.message == noValidation } && result.trials.contains { $0.state == .complete },
                     "seed 5 no longer samples each kind of trial: \(result.trials.map(TrialOutcomeKey.init))")
        // A line per trial (and the failure under it), then the summary with the failed count.
        let lines = finished.stdout.split(separator: "\n", omittingEmptySubsequences: false).map(String.init)
        let expectedOutput = expectedLines.flatMap { $0.split(separator: "\n").map(String.init) }
        #expect(Array(lines.dropFirst().prefix(expectedOutput.count)) == expectedOutput, "\(finished.stdout)")
        #expect(finished.stdout.contains("\ntune: 8 trials (\(failed.count) failed), \(result.epochsUsed) epochs, "), "\(finished.stdout)")

        // best.yaml is the best complete trial's.
        let complete = result.trials.filter { $0.state == .complete }
        let best = try #require(complete.max { ($0.objective ?? -1) < ($1.objective ?? -1) })
        #expect(result.best == best.number)
        let bestText = try String(contentsOf: output.appendingPathComponent("best.yaml"), encoding: .utf8)
        #expect(bestText.contains("of the search 'failing': trial \(best.number), validation ndcg@10 "), "\(bestText)")

        // compare: the failed trials' rows and the count in the caption.
        let compare = try SweepFixtures.runner(["compare", output.path, "--output", scratch.appendingPathComponent("compared").path],
                                               scratch: scratch)
        #expect(compare.status == 0, "\(compare.stderr)")
        #expect(compare.stdout.contains("Search failing: 8 trials (\(complete.count) complete, 0 pruned, \(failed.count) failed), "),
                "\(compare.stdout)")
        for trial in failed {
            let settings = trial.settings.map(\.value).joined(separator: " | ")
            #expect(compare.stdout.contains("\n| \(trial.number) | \(settings) | failed | 0 | - |\n"), "\(compare.stdout)")
        }

        // A rerun keeps every trial (failed ones are not run again: Optuna does not retry).
        let recordsBefore = try failed.map { try Data(contentsOf: output.appendingPathComponent("trials/\($0.number)/trial.json")) }
        let rerun = try SweepFixtures.runner(["tune"] + flags, scratch: scratch)
        #expect(rerun.status == 0, "\(rerun.stderr)")
        #expect(rerun.stdout.split(separator: "\n").filter { $0.hasSuffix("(kept)") }.count == 8, "\(rerun.stdout)")
        #expect(try failed.map { try Data(contentsOf: output.appendingPathComponent("trials/\($0.number)/trial.json")) } == recordsBefore)
        // One failed trial alone, as a SLURM task runs it: its line, its message, exit 1 as `runner run`.
        let first = failed[0]
        let single = try SweepFixtures.runner(["tune"] + flags + ["--trial", "\(first.number)"], scratch: scratch)
        #expect(single.status == 1)
        #expect(single.stdout == SearchResults.line(first, objective: "ndcg@10") + "\n")
        #expect(single.stderr == "  trial \(first.number) failed: \(first.message ?? "")\n")
    }

    /// A trial whose process is killed (as the out-of-memory killer would) is failed with how
    /// its process ended; the trials after it run; a rerun does not run it again.
    @Test func aTrialWhoseProcessIsKilledFailsAndTheSearchGoesOn() throws {
        let scratch = try SweepFixtures.makeScratch()
        defer { try? FileManager.default.removeItem(at: scratch) }
        let file = try tuneFile("killed", """
            training: {epochs: 3, threads: 1}
            tune:
              objective: ndcg@10
              space:
                training.optimizer.learning_rate: {log_uniform: [0.001, 0.05]}
              trials: 3
              sampler: random
              seed: 1
            """, scratch: scratch)
        let output = scratch.appendingPathComponent("search")
        let flags = [file, "--quiet", "--set", "output.dir=\(output.path)"]
        // Trial 1 is killed after its second epoch; the others are let go on.
        let finished = try tuneStoppingTrials(flags, scratch: scratch) { _, trial in trial == 1 }
        #expect(finished.status == 0, "stdout: \(finished.stdout) stderr: \(finished.stderr)")
        let result = try summary(output)
        #expect(result.trials.map(\.state) == [.complete, .failed, .complete])
        let killed = result.trials[1]
        let message = "its process ended (signal 9) before the trial did, after 2 epochs; its run is in \(output.path)/trials/1"
        #expect(killed.processEnd == "signal 9" && killed.message == message && killed.epochsUsed == 2 && killed.objective == nil)
        #expect(result.epochsUsed == 3 + 2 + 3 && result.best != 1)
        #expect(finished.stdout.contains("\n" + SearchResults.line(killed, objective: "ndcg@10") + "\n  trial 1 failed: \(message)\n"),
                "\(finished.stdout)")

        let rerun = try SweepFixtures.runner(["tune"] + flags, scratch: scratch)
        #expect(rerun.status == 0, "\(rerun.stderr)")
        #expect(rerun.stdout.split(separator: "\n").filter { $0.hasSuffix("(kept)") }.count == 3, "\(rerun.stdout)")
        #expect(try summary(output).trials.map(TrialOutcomeKey.init) == result.trials.map(TrialOutcomeKey.init))
    }

    /// When every trial fails there is no best: the search says so and exits 1, with no best.yaml.
    @Test func aSearchWhoseTrialsAllFailEndsWithAnErrorAndNoBestFile() throws {
        let scratch = try SweepFixtures.makeScratch()
        defer { try? FileManager.default.removeItem(at: scratch) }
        let file = try tuneFile("all-fail", """
            split: {method: user-ratio, ratios: [0.8, 0.1, 0.1]}
            tune:
              objective: ndcg@10
              space:
                split.ratios: {choice: [[0.8, 0.0, 0.2], [0.9, 0.0, 0.1]]}
              trials: 2
              sampler: random
            """, scratch: scratch)
        let output = scratch.appendingPathComponent("search")
        let finished = try SweepFixtures.runner(["tune", file, "--quiet", "--set", "output.dir=\(output.path)"], scratch: scratch)
        #expect(finished.status == 1)
        #expect(finished.stderr == "tune: every trial failed (2 of 2), so there are no best settings and no best.yaml; "
            + "each trial's message is above and in \(output.path)/trials.json\n")
        let result = try summary(output)
        #expect(result.trials.map(\.state) == [.failed, .failed] && result.best == nil)
        #expect(!FileManager.default.fileExists(atPath: output.appendingPathComponent("best.yaml").path))
        for trial in result.trials {
            #expect(finished.stdout.contains(SearchResults.line(trial, objective: "ndcg@10") + "\n  trial \(trial.number) failed: "))
        }
        #expect(!finished.stdout.contains("\nbest: "))
    }

    // MARK: Signals

    /// SIGINT (Ctrl-C) or SIGTERM to `runner tune` while a trial trains: the trial stops with
    /// an interrupted report and its checkpoint, trials.json says it is running, the search
    /// exits 1 (as `runner run` and `runner sweep` on a signal) with its message; the same
    /// command then completes the search to the trials and best.yaml of an uninterrupted one.
    @Test(arguments: [(jobs: 1, signal: SIGINT), (jobs: 2, signal: SIGTERM)])
    func aSearchStoppedByASignalContinuesToTheUninterruptedResult(jobs: Int, signal: Int32) throws {
        let scratch = try SweepFixtures.makeScratch()
        defer { try? FileManager.default.removeItem(at: scratch) }
        let reference = scratch.appendingPathComponent("reference"), output = scratch.appendingPathComponent("interrupted")
        func flags(_ directory: URL) -> [String] { [tinyTune, "--quiet", "--jobs", "\(jobs)", "--set", "output.dir=\(directory.path)"] }
        let uninterrupted = try SweepFixtures.runner(["tune"] + flags(reference), scratch: scratch)
        try #require(uninterrupted.status == 0, "stdout: \(uninterrupted.stdout) stderr: \(uninterrupted.stderr)")
        // The search reports its own cost beside its wall time (its value is the machine's).
        let summaryLine = try #require(uninterrupted.stdout.split(separator: "\n").first { $0.hasPrefix("tune: 6 trials,") })
        #expect(summaryLine.wholeMatch(of: /tune: 6 trials, \d+ epochs, \d+\.\ds; the search's own work in the trials: \d+\.\d\ds bookkeeping, \d+\.\d\ds waiting for lower trials/) != nil,
                "\(summaryLine)")
        #expect(try summary(reference).trials.allSatisfy { $0.searchSeconds != nil && $0.waitSeconds != nil })

        // The first trial to reach its second training state is stopped there; then the signal.
        var signalled = false
        let stopped = try tuneStoppingTrials(flags(output), scratch: scratch) { parent, _ in
            if !signalled {
                kill(parent, signal)
                signalled = true
            }
            return false
        }
        try #require(signalled, "no trial reached its second epoch: \(stopped.stdout) \(stopped.stderr)")
        #expect(stopped.status == 1)
        #expect(stopped.stderr.hasSuffix("\ntune: interrupted by signal \(signal); run the same command again to continue\n"), "\(stopped.stderr)")
        let left = try summary(output)
        let running = left.trials.filter { $0.state == .running }
        #expect(!running.isEmpty, "\(left.trials.map(TrialOutcomeKey.init))")
        for trial in running {
            #expect(stopped.stderr.contains("trial \(trial.number): interrupted; run it again to resume\n"), "\(stopped.stderr)")
        }
        let resumable = try #require(running.first { $0.lastEpoch >= 2 })
        let trialDirectory = output.appendingPathComponent("trials/\(resumable.number)")
        #expect(try ReportReader.read(trialDirectory.appendingPathComponent("report.json")).status == .interrupted)
        #expect(FileManager.default.fileExists(atPath: trialDirectory.appendingPathComponent("state.safetensors").path))

        let rest = try SweepFixtures.runner(["tune"] + flags(output), scratch: scratch)
        try #require(rest.status == 0, "stdout: \(rest.stdout) stderr: \(rest.stderr)")
        #expect(try ReportReader.read(trialDirectory.appendingPathComponent("report.json")).resumedFromEpoch == resumable.lastEpoch)
        let expected = try summary(reference), continued = try summary(output)
        #expect(continued.trials.map(TrialOutcomeKey.init) == expected.trials.map(TrialOutcomeKey.init))
        #expect(continued.best == expected.best)
        let bestText = try String(contentsOf: output.appendingPathComponent("best.yaml"), encoding: .utf8)
        let referenceText = try String(contentsOf: reference.appendingPathComponent("best.yaml"), encoding: .utf8)
        #expect(bestText == referenceText.replacingOccurrences(of: reference.path, with: output.path))
    }

    // MARK: Other messages

    /// The ways a search or one trial cannot run, word for word.
    @Test func aSearchThatCannotRunSaysWhy() throws {
        let scratch = try SweepFixtures.makeScratch()
        defer { try? FileManager.default.removeItem(at: scratch) }
        let output = scratch.appendingPathComponent("search")
        let flags = [tinyTune, "--quiet", "--set", "output.dir=\(output.path)"]
        let usage = "Usage: runner tune <file> ... [--set <key.path=value> ...] [--jobs <jobs>] [--trial <n>] [--quiet]\n"
            + "  See 'runner tune --help' for more information.\n"
        let jobs = try SweepFixtures.runner(["tune"] + flags + ["--jobs", "0"], scratch: scratch)
        #expect(jobs.status == 2 && jobs.stderr == "Error: --jobs: expected at least 1, found 0\n" + usage, "\(jobs.stderr)")
        let trial = try SweepFixtures.runner(["tune"] + flags + ["--trial", "\(TuneSpec.maxTrials)"], scratch: scratch)
        #expect(trial.status == 2 && trial.stderr == "Error: --trial: expected a trial number from 0 to \(TuneSpec.maxTrials - 1), found \(TuneSpec.maxTrials)\n" + usage,
                "\(trial.stderr)")
        let two = try SweepFixtures.runner(["tune", tinyTune, tinyTune], scratch: scratch)
        #expect(two.status == 2 && two.stderr == "Error: expected one tune file, found 2\n" + usage, "\(two.stderr)")
        #expect(!FileManager.default.fileExists(atPath: output.path))

        // Past tune.trials: the trial is not run, and says so (a SLURM task past the budget).
        let past = try SweepFixtures.runner(["tune"] + flags + ["--trial", "6"], scratch: scratch)
        #expect(past.status == 0 && past.stderr.isEmpty)
        #expect(past.stdout == "trial 6: not run, the budget is spent (the search has 6 trials (tune.trials))\n")
        #expect(SearchDirectory(path: output.path).records().isEmpty)

        // Another process holds trial 0: the trial alone refuses, and the search stops at it.
        try FileManager.default.createDirectory(at: output.appendingPathComponent("trials/0"), withIntermediateDirectories: true)
        let trialLock = try RunDirectoryLock.acquire(directory: output.appendingPathComponent("trials/0").path)
        let held = try SweepFixtures.runner(["tune"] + flags + ["--trial", "0"], scratch: scratch)
        #expect(held.status == 1 && held.stderr == "trial 0: another process (pid \(getpid())) is running it\n", "\(held.stderr)")
        let stopped = try SweepFixtures.runner(["tune"] + flags, scratch: scratch)
        #expect(stopped.status == 1)
        #expect(stopped.stderr == "trial 0: another process (pid \(getpid())) is running it\n"
            + "tune: trial 0 ended without a result (exit 1); run `runner tune \(tinyTune)` again to continue the search\n",
                "\(stopped.stderr)")
        trialLock.release()
        #expect(SearchDirectory(path: output.path).records().isEmpty)

        // Another `runner tune` holds the search.
        let searchLock = try RunDirectoryLock.acquire(directory: output.path)
        let busy = try SweepFixtures.runner(["tune"] + flags, scratch: scratch)
        searchLock.release()
        #expect(busy.status == 1)
        #expect(busy.stderr == "tune: cannot run the search in '\(output.path)': "
            + "\(RunLockError.held(lockPath: RunDirectoryLock.lockPath(in: output.path), pid: getpid()))\n", "\(busy.stderr)")

        // An output.dir that cannot be made (under a file).
        let file = scratch.appendingPathComponent("a-file")
        try Data().write(to: file)
        let unwritable = try SweepFixtures.runner(["tune", tinyTune, "--quiet", "--set", "output.dir=\(file.path)/search"], scratch: scratch)
        #expect(unwritable.status == 2)
        #expect(unwritable.stderr == "runner tune: cannot write \(file.path)/search/search.json: cannot create report directory "
            + "'\(file.path)/search': '\(file.path)' is not a directory\n", "\(unwritable.stderr)")

        // An experiment too large for the memory guard is refused before any trial (the
        // estimate is the config's; what is available is the machine's).
        let huge = try SweepFixtures.runner(["tune"] + flags + ["--set", "model.hidden_size=100000", "--set", "model.embedding_size=100000"],
                                            scratch: scratch)
        #expect(huge.status == 2)
        #expect(huge.stderr.hasPrefix("\(tinyTune): error: the run needs about 4.3 TB of memory but "), "\(huge.stderr)")
        #expect(huge.stderr.hasSuffix(" is available (estimate for 40 items: 4.2 TB for 80.0 billion parameters with their gradients, "
            + "optimizer state and snapshots, 160.4 GB for activations and evaluation scores, 8.4 kB for the evaluation's per-user buffers); "
            + "reduce model.hidden_size, model.embedding_size, model.layers or model.blocks, training.batch_size or training.threads\n"),
                "\(huge.stderr)")

        // search.json that is not a search's record.
        try Data("{\"not\": 1}\n".utf8).write(to: output.appendingPathComponent("search.json"))
        let foreign = try SweepFixtures.runner(["tune"] + flags, scratch: scratch)
        #expect(foreign.status == 2)
        #expect(foreign.stderr == "runner tune: \(output.path)/search.json is not a search's record; give the search another output.dir\n",
                "\(foreign.stderr)")
    }

    /// `compare` on a search directory it cannot read names the file and what is wrong, and
    /// exits 1 as for reports it cannot read.
    @Test func compareOnASearchItCannotReadNamesTheFile() throws {
        let scratch = try SweepFixtures.makeScratch()
        defer { try? FileManager.default.removeItem(at: scratch) }
        let search = scratch.appendingPathComponent("search")
        try FileManager.default.createDirectory(at: search, withIntermediateDirectories: true)
        let identity = Data("{\"base_config_hash\": \"abc\", \"jobs\": 1, \"tune\": \"trials: 1\"}\n".utf8)
        var record = TrialRecord(number: 0, values: [.real(0.01)], settings: [TrialSetting(key: "training.optimizer.learning_rate", value: "0.01")])
        record.state = .complete
        record.objective = 0.25
        record.epochsUsed = 2
        let summary = SearchSummary(formatVersion: SearchSummary.currentFormatVersion, name: "s", objective: "ndcg@10",
                                    direction: .maximize, trials: [record], best: 0, epochsUsed: 2)
        let results = try JSONEncoder().encode(summary)
        #expect(SearchComparison.supportedFormatVersion == SearchSummary.currentFormatVersion)

        func compare(identity: Data?, results: Data?) throws -> SweepFixtures.Finished {
            for (name, data) in [("search.json", identity), ("trials.json", results)] {
                let url = search.appendingPathComponent(name)
                try? FileManager.default.removeItem(at: url)
                if let data { try data.write(to: url) }
            }
            return try SweepFixtures.runner(["compare", search.path, "--output", scratch.appendingPathComponent("out").path], scratch: scratch)
        }
        let prefix = "runner compare: cannot read the search in \(search.path): "
        let readable = try compare(identity: identity, results: results)
        #expect(readable.status == 0 && readable.stdout.contains("\n| 0 | 0.01 | complete | 2 | 0.2500 (best) |\n"), "\(readable.stdout)")

        let cases: [(identity: Data?, results: Data?, message: String)] = [
            (identity, Data("not json".utf8), "trials.json is not a search's results: The given data was not valid JSON."),
            (identity, results.prefix(results.count / 2), "trials.json is not a search's results: The given data was not valid JSON."),
            (identity, Data("{\"format_version\": 1, \"name\": \"s\"}".utf8),
             "trials.json is not a search's results: missing key 'objective' at top level"),
            (identity, Data(String(decoding: results, as: UTF8.self).replacingOccurrences(of: "\"format_version\":1", with: "\"format_version\":2").utf8),
             "trials.json has format_version 2, expected 1 to 1 (a newer seqrec wrote it?)"),
            (identity, nil, "trials.json is missing: no trial of the search has ended yet"),
            (nil, results, "search.json is missing: runner tune writes it as the search starts, so this is not a whole search directory"),
            (Data("[]".utf8), results, "search.json is not a search's record: wrong type at top level, expected Dictionary<String, Any>"),
        ]
        for item in cases {
            let result = try compare(identity: item.identity, results: item.results)
            #expect(result.status == 1)
            #expect(result.stderr == prefix + item.message + "\n", "\(result.stderr)")
            #expect(result.stdout.isEmpty)
        }

        // A file that exists but cannot be read as one: a directory in its place.
        for name in ["search.json", "trials.json"] {
            _ = try compare(identity: identity, results: results)
            let url = search.appendingPathComponent(name)
            try FileManager.default.removeItem(at: url)
            try FileManager.default.createDirectory(at: url, withIntermediateDirectories: false)
            let result = try SweepFixtures.runner(["compare", search.path, "--output", scratch.appendingPathComponent("out").path],
                                                  scratch: scratch)
            #expect(result.status == 1)
            #expect(result.stderr == prefix + "cannot read \(name): it is a directory\n", "\(result.stderr)")
            try FileManager.default.removeItem(at: url)
        }
    }
}

// MARK: - Failed trials in the sampler and the results (no binary)

/// Records of a search over one learning rate: trials 0-11 complete with made-up objectives,
/// and `failed` trials that recorded good-looking values at their epochs before failing.
private func recordsWithFailures(failed: [Int]) -> [TrialRecord] {
    (0..<(12 + failed.count)).map { number in
        let rate = 0.001 * Double(number + 1)
        var record = TrialRecord(number: number, values: [.real(rate)],
                                 settings: [TrialSetting(key: "training.optimizer.learning_rate", value: "\(rate)")])
        record.intermediate = [TrialRecord.EpochValue(epoch: 1, value: 0.9)]
        record.lastEpoch = 1
        record.epochsUsed = 1
        if failed.contains(number) {
            record.state = .failed
            record.objective = 0.99  // never written for a failed trial; here to show it is not read
        } else {
            record.state = .complete
            record.objective = Double((number * 7) % 12) / 20
        }
        return record
    }
}

/// Optuna's TPE ignores FAIL trials: records of failed trials, whatever they hold, change
/// nothing in the next trial's settings.
@Test func failedTrialsAreNotObservationsOfTheSampler() {
    let space = SearchSpace(parameters: [SearchParameter(key: "training.optimizer.learning_rate",
                                                         domain: .logUniform(low: 0.0001, high: 0.1))])
    let sampler = TPESampler(startupTrials: 5, candidates: 24)
    let withFailures = recordsWithFailures(failed: [3, 8, 13])
    let without = withFailures.filter { $0.state != .failed }
    #expect(withFailures.filter { $0.state == .failed }.allSatisfy { $0.observation.state == .failed && $0.observation.objective == nil })
    let next = sampler.suggest(trialNumber: 20, space: space, history: withFailures.map(\.observation), direction: .maximize, seed: 2)
    #expect(next == sampler.suggest(trialNumber: 20, space: space, history: without.map(\.observation), direction: .maximize, seed: 2))
    // The same records as complete ones would move it: the comparison above can fail.
    let asComplete = withFailures.map { record in
        var record = record
        record.state = .complete
        return record
    }
    #expect(next != sampler.suggest(trialNumber: 20, space: space, history: asComplete.map(\.observation), direction: .maximize, seed: 2))
}

/// best.yaml never points at a failed trial, even one with the best value on record.
@Test func theBestTrialIsNeverAFailedOne() throws {
    let file = try ConfigLoader.loadTune(path: ConfigFixtures.fixtures.appendingPathComponent("tune/tiny-tune.yaml").path)
    let settings = TuneSettings(file.tune)
    let records = recordsWithFailures(failed: [12])
    let summary = SearchResults.summary(file, settings: settings, records: records)
    let bestComplete = try #require(records.filter { $0.state == .complete }.max { ($0.objective ?? 0) < ($1.objective ?? 0) })
    #expect(summary.best == bestComplete.number && summary.best != 12)
    // Every trial failed: no best at all.
    let allFailed = SearchResults.summary(file, settings: settings, records: records.map { record in
        var record = record
        record.state = .failed
        return record
    })
    #expect(allFailed.best == nil)
}
