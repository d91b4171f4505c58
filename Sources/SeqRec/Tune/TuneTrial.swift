// One trial of a search, start to end, in its own process (`runner tune FILE --trial N`, which
// both `runner tune --jobs N` and a SLURM array task run):
//   1. a trial with a record continues with its recorded settings; otherwise it waits until
//      the trials numbered `jobs` and more below it have ended, checks the budget against
//      them, and samples its settings from them (so the same file, seed and --jobs give the
//      same trials whatever the timing);
//   2. it writes its config (extending the tune file) and runs it as an ordinary run, with
//      validation only (no test pass) and a hook after each epoch that records the objective
//      and, at the pruner's decision epochs, waits until every lower trial has recorded that
//      epoch or ended, and asks the pruner with their values;
//   3. it records how it ended and refreshes trials.json and best.yaml.

import Foundation

public enum TrialOutcome: Sendable {
    /// The trial has ended (now or before): complete, pruned or failed.
    case ended(TrialRecord)
    /// The budget was spent by the trials below it: this trial does not run.
    case budgetExhausted(String)
    /// Stopped by a signal before it ended; a rerun resumes it.
    case interrupted(TrialRecord?)
    /// Could not run at all (its directory, its config); nothing was recorded as its result.
    case unusable(String)
}

/// The record a running trial updates from its epoch hook (on the training thread only).
final class TrialProgress: @unchecked Sendable {
    var record: TrialRecord
    /// Seconds spent on the search's own work: waiting, deciding, writing records.
    var overheadSeconds = 0.0
    /// The part of `overheadSeconds` spent waiting for lower trials.
    var waitSeconds = 0.0

    init(record: TrialRecord) {
        self.record = record
    }
}

public enum TuneTrial {
    /// How often a waiting trial reads the records of the trials it waits for.
    static let pollInterval: useconds_t = 20_000

    public static func run(_ file: TuneFile, number: Int, jobs: Int, options: RunOptions,
                           datasets: DatasetCache) -> TrialOutcome {
        let settings = TuneSettings(file.tune)
        let directory = SearchDirectory(path: file.base.output.dir)
        let overheadStart = Date()
        do {
            try directory.claim(SearchIdentity(tune: file.tune.canonicalText, baseConfigHash: file.base.configHash, jobs: jobs))
        } catch {
            return .unusable(error.description)
        }
        if let holder = RunDirectoryLock.holder(of: directory.trialPath(number)) {
            return .unusable("another process (pid \(holder.pid.map(String.init) ?? "unknown")) is running it")
        }
        var record: TrialRecord
        var samplingWait = 0.0
        if let existing = directory.record(number) {
            if existing.state.hasEnded { return .ended(existing) }
            record = existing
        } else {
            if let trials = file.tune.trials, number >= trials {
                return .budgetExhausted("the search has \(trials) trials (tune.trials)")
            }
            // The trials it is sampled from: those `jobs` and more below it, once ended.
            let seen = max(0, number - jobs + 1)
            let waitStart = Date()
            guard let history = waitUntil(directory, trials: 0..<seen, where: { $0.state.hasEnded }) else {
                return .interrupted(nil)
            }
            samplingWait = Date().timeIntervalSince(waitStart)
            if let total = file.tune.totalEpochs {
                let used = history.reduce(0) { $0 + $1.epochsUsed }
                if used >= total {
                    return .budgetExhausted("trials 0-\(seen - 1) used \(used) of tune.total_epochs \(total)")
                }
            }
            let values = settings.sampler.suggest(trialNumber: number, space: settings.space, history: history.map(\.observation),
                                                  direction: settings.direction, seed: file.tune.seed)
            record = TrialRecord(number: number, values: values, settings: settings.settings(values))
            do {
                try directory.withLock { try directory.write(record) }
            } catch {
                return .unusable("cannot record trial \(number): \(error)")
            }
        }
        // The config is rewritten each time from the record: the same text.
        let configPath = directory.configPath(number)
        let text = TrialConfigFile.text(
            tuneFile: file.path, location: configPath, name: "\(file.base.name)-trial-\(number)",
            outputDirectory: directory.trialPath(number),
            settings: TrialConfigFile.settings(overrides: file.overrides, then: record.settings),
            comment: "Trial \(number) of the search '\(file.base.name)' (runner tune \(file.path)).\n`runner run` on this file reruns the trial as an ordinary run.")
        do {
            try AtomicFile.write(Data(text.utf8), to: WorkingDirectory.url(configPath))
        } catch {
            return .unusable("trial \(number): \(error)")
        }
        let progress = TrialProgress(record: record)
        progress.overheadSeconds = Date().timeIntervalSince(overheadStart)
        progress.waitSeconds = samplingWait
        let spec: ExperimentSpec
        do {
            spec = try ConfigLoader.load(path: configPath, overrides: [])
        } catch {
            // The sampled settings together break a rule across keys that checking each
            // range's ends alone cannot see: the trial fails (a rerun samples it the same).
            progress.record.state = .failed
            progress.record.message = "its config is invalid: \(error)"
            return finish(progress, file: file, settings: settings, directory: directory)
        }
        let reportURL = WorkingDirectory.url(directory.trialPath(number)).appendingPathComponent(ReportWriter.reportFileName)
        var report = try? ReportReader.read(reportURL)
        if report?.status != .ok || report?.configHash != spec.configHash {
            var trialOptions = options
            trialOptions.configPath = configPath
            trialOptions.validationOnly = true
            let decisionEpochs = Set(settings.pruner.decisionEpochs(maxEpochs: spec.training.epochs))
            trialOptions.stopAfterEpoch = { epochRecord in
                afterEpoch(epochRecord, progress: progress, directory: directory, settings: settings, decisionEpochs: decisionEpochs)
            }
            let outcome = ExperimentRunner.run(spec, options: trialOptions, datasets: datasets)
            if outcome.status == .interrupted { return .interrupted(progress.record) }
            report = try? ReportReader.read(URL(fileURLWithPath: outcome.reportPath))
            if outcome.status != .ok || report?.status != .ok {
                let start = Date()
                progress.record.state = .failed
                progress.record.message = outcome.message
                progress.record.epochsUsed = report?.history.last?.epoch ?? progress.record.lastEpoch
                progress.overheadSeconds += Date().timeIntervalSince(start)
                return finish(progress, file: file, settings: settings, directory: directory)
            }
        }
        guard let report else { return .unusable("trial \(number): its report cannot be read") }
        let start = Date()
        var finished = progress.record
        finished.intermediate = report.history.compactMap { epoch in
            epoch.validation?[settings.objectiveName].map { TrialRecord.EpochValue(epoch: epoch.epoch, value: $0) }
        }
        finished.epochsUsed = report.history.last?.epoch ?? 0
        finished.lastEpoch = finished.epochsUsed
        finished.objective = settings.best(finished.intermediate.map(\.value))
        finished.state = finished.prunedAfterEpoch != nil ? .pruned : .complete
        finished.message = report.message
        progress.record = finished
        progress.overheadSeconds += Date().timeIntervalSince(start)
        return finish(progress, file: file, settings: settings, directory: directory)
    }

    /// Records the ended trial and the search's results.
    private static func finish(_ progress: TrialProgress, file: TuneFile, settings: TuneSettings,
                               directory: SearchDirectory) -> TrialOutcome {
        let start = Date()
        // This process's share, plus what earlier processes of an interrupted trial spent;
        // the last write's own time is not in it (it is the one being recorded).
        progress.record.searchSeconds = (directory.record(progress.record.number)?.searchSeconds ?? 0)
            + progress.overheadSeconds + Date().timeIntervalSince(start)
        progress.record.waitSeconds = (directory.record(progress.record.number)?.waitSeconds ?? 0) + progress.waitSeconds
        do {
            try directory.withLock {
                try directory.write(progress.record)
                try SearchResults.write(file, settings: settings, directory: directory)
            }
        } catch {
            return .unusable("cannot record trial \(progress.record.number): \(error)")
        }
        return .ended(progress.record)
    }

    /// The epoch hook: records the epoch, and at a decision epoch asks the pruner.
    static func afterEpoch(_ epoch: EpochRecord, progress: TrialProgress, directory: SearchDirectory,
                           settings: TuneSettings, decisionEpochs: Set<Int>) -> String? {
        let start = Date()
        defer { progress.overheadSeconds += Date().timeIntervalSince(start) }
        let value = epoch.validation?[settings.objectiveName]
        progress.record.lastEpoch = epoch.epoch
        progress.record.intermediate.removeAll { $0.epoch >= epoch.epoch }
        if let value { progress.record.intermediate.append(TrialRecord.EpochValue(epoch: epoch.epoch, value: value)) }
        // Written before waiting: trials above this one may be waiting for it.
        try? directory.withLock { try directory.write(progress.record) }
        guard decisionEpochs.contains(epoch.epoch), let value else { return nil }
        let number = progress.record.number
        let waitStart = Date()
        let lower = waitUntil(directory, trials: 0..<number, where: { $0.state.hasEnded || $0.lastEpoch >= epoch.epoch })
        progress.waitSeconds += Date().timeIntervalSince(waitStart)
        guard let lower else { return nil }  // interrupted: the run stops at its next batch
        let competitors = lower.compactMap { $0.value(atEpoch: epoch.epoch) }
        guard settings.pruner.shouldStop(epoch: epoch.epoch, value: value, competitors: competitors,
                                         direction: settings.direction) else { return nil }
        progress.record.prunedAfterEpoch = epoch.epoch
        try? directory.withLock { try directory.write(progress.record) }
        return String(format: "pruned after epoch %d by the search: %@ %.4f against %d lower trial%@ at that epoch",
                      epoch.epoch, settings.objectiveName, value, competitors.count, competitors.count == 1 ? "" : "s")
    }

    /// The records of `trials` once each satisfies `condition` (polling); nil if a signal
    /// asked this process to stop first.
    static func waitUntil(_ directory: SearchDirectory, trials: Range<Int>,
                          where condition: (TrialRecord) -> Bool) -> [TrialRecord]? {
        var records: [Int: TrialRecord] = [:]
        while true {
            for number in trials where records[number] == nil {
                if let record = directory.record(number), condition(record) { records[number] = record }
            }
            if records.count == trials.count { return trials.compactMap { records[$0] } }
            if Interruption.requested != nil { return nil }
            usleep(pollInterval)
        }
    }
}
