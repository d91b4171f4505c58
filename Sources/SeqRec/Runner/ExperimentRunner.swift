// Runs one validated experiment end to end: output directory -> data -> model -> training ->
// evaluation -> report. The CLI calls only this. A run first checks and locks its output
// directory (OutputDirectory); if that fails, nothing is written. A directory holding the
// finished run of another config is refused unless `replace` (nothing is written); over a
// finished run of any config the attempt is staged in `.attempt/` and replaces the finished
// run only once it is ok itself (Report/RunResult.swift). Whatever happens after, a report is
// written (atomically) with the status and the history so far. It touches no process state
// but the BLAS thread count: the caller installs `Interruption`'s signal handlers (the CLI
// does) and owns the dataset cache.
import Foundation

/// How the CLI wants a run to behave (flags, not experiment settings).
public struct RunOptions: Sendable {
    /// Silence progress output.
    public var quiet: Bool = false
    /// Only one line per epoch (and notes), prefixed with the run's name (`runner sweep`'s
    /// points); overrides `quiet`.
    public var epochLines: Bool = false
    /// Path of the YAML file the spec came from (base for relative data paths).
    public var configPath: String = ""
    /// Start from epoch 1 even when the output directory holds a resumable training state.
    public var restart: Bool = false
    /// Replace a finished (status ok) run of another config in the output directory; without
    /// it such a run is refused.
    public var replace: Bool = false
    /// Skip the test pass: only validation is measured (a search's trials, which must not
    /// see test data). The report's message says so and it has no test metrics.
    public var validationOnly: Bool = false
    /// Asked after each training epoch (`Trainer.stopAfterEpoch`): why the run stops there
    /// (a search's pruner), or nil to go on.
    public var stopAfterEpoch: (@Sendable (EpochRecord) -> String?)? = nil
    public init(quiet: Bool = false, epochLines: Bool = false, configPath: String = "", restart: Bool = false, replace: Bool = false,
                validationOnly: Bool = false, stopAfterEpoch: (@Sendable (EpochRecord) -> String?)? = nil) {
        self.quiet = quiet
        self.epochLines = epochLines
        self.configPath = configPath
        self.restart = restart
        self.replace = replace
        self.validationOnly = validationOnly
        self.stopAfterEpoch = stopAfterEpoch
    }
}

/// The end of a run, as the CLI maps it to an exit code (0 ok, 1 failed/diverged/interrupted).
public struct RunOutcome: Sendable {
    public var status: RunStatus
    public var reportPath: String
    public var message: String
    public var exitCode: Int32 { status == .ok ? 0 : 1 }
}

public enum ExperimentRunner {
    /// Runs `spec`, loading its dataset through `datasets` (runs sharing a cache share
    /// loaded data). Stops with status `interrupted` once `Interruption.requested` is set.
    public static func run(_ spec: ExperimentSpec, options: RunOptions, datasets: DatasetCache) -> RunOutcome {
        let progress = options.epochLines ? ProgressReporter(mode: .pointLines, prefix: "\(spec.name): ")
                                          : ProgressReporter(quiet: options.quiet)
        let outputDirectory = WorkingDirectory.url(spec.output.dir)
        let reportURL = outputDirectory.appendingPathComponent(ReportWriter.reportFileName)
        // Before any data: a directory this run cannot write, or one another run is writing,
        // fails now and writes nothing. The lock is held until the report is written.
        let lock: RunDirectoryLock?
        do {
            lock = try OutputDirectory.prepare(spec.output.dir, note: { progress.note($0) })
        } catch {
            return RunOutcome(status: .failed, reportPath: reportURL.path, message: error.description)
        }
        defer { lock?.release() }
        // A finished attempt that a killed run left half moved into place is moved first.
        do {
            try RunResult.promote(in: outputDirectory)
        } catch {
            return RunOutcome(status: .failed, reportPath: reportURL.path, message: error.description)
        }
        let config: JSONValue
        do {
            config = try JSONDecoder().decode(JSONValue.self, from: Data(spec.resolvedJSON().utf8))
        } catch {
            return RunOutcome(status: .failed, reportPath: reportURL.path, message: "could not record the config: \(error)")
        }
        // The CLI refused this before anything ran; checked again under the lock.
        if !options.replace,
           let problem = RunResult.replacementProblem(directory: spec.output.dir, config: config, configHash: spec.configHash) {
            return RunOutcome(status: .failed, reportPath: reportURL.path, message: problem)
        }
        // Over a finished run the attempt works in .attempt/ until it has a result of its own.
        let staged = RunResult.finishedReport(in: outputDirectory) != nil
        let workDirectory = staged ? RunResult.attemptURL(of: outputDirectory) : outputDirectory
        let workReportURL = workDirectory.appendingPathComponent(ReportWriter.reportFileName)
        if staged {
            do {
                try DirectoryCreation.create(workDirectory.path)
            } catch {
                return RunOutcome(status: .failed, reportPath: reportURL.path,
                                  message: OutputDirectoryError(path: spec.output.dir, reason: error.reason).description)
            }
        } else {
            RunResult.discardAttempt(in: outputDirectory)
        }
        /// Where the finished run stays when this attempt does not end ok.
        let kept = staged ? " (the finished run in '\(spec.output.dir)' is unchanged; this attempt's report: '\(workReportURL.path)')" : ""
        let threads = BLAS.configureThreads(spec.training.threads)

        var report: RunReport
        do {
            report = try RunReport(name: spec.name, config: config,
                                   provenance: Provenance.capture(
                                       threads: threads, threadsSource: CPUAllowance.threads(requested: spec.training.threads).source))
            // One hash everywhere: the config layer's (what sweeps compare to skip a point).
            report.configHash = spec.configHash
            report.runID = RunReport.makeRunID(name: spec.name, startedAt: report.startedAt, configHash: spec.configHash)
        } catch {
            return RunOutcome(status: .failed, reportPath: reportURL.path, message: "could not record the config: \(error)")
        }

        let clock = Date()
        do {
            try execute(spec, options: options, datasets: datasets, progress: progress, report: &report,
                        outputDirectory: workDirectory)
        } catch {
            report.status = .failed
            report.message = "\(error)"
        }
        // Only a finished result vouches for its files.
        if report.status != .ok { report.files = nil }
        report.finishedAt = .now()
        if report.timing == nil { report.timing = TimingReport(totalSeconds: Date().timeIntervalSince(clock)) }
        report.timing?.totalSeconds = Date().timeIntervalSince(clock)

        do {
            _ = try ReportWriter.write(report, to: workDirectory)
        } catch {
            let ended = report.status == .ok ? "" : " (the run itself ended \(report.status.rawValue): \(report.message ?? ""))"
            let unchanged = staged ? " (the finished run in '\(spec.output.dir)' is unchanged)" : ""
            return RunOutcome(status: .failed, reportPath: workReportURL.path,
                              message: "could not write the report: \(error)\(ended)\(unchanged)")
        }
        if report.status == .ok {
            if staged {
                // The staged report says ok: the commit. Now the result moves into place.
                do {
                    try RunResult.promote(in: outputDirectory)
                } catch {
                    return RunOutcome(status: .failed, reportPath: workReportURL.path,
                                      message: "\(error) (the attempt finished ok; the next run, recommend, evaluate or compare of '\(spec.output.dir)' moves it into place)")
                }
            } else {
                // The saved training state goes only once the report says ok: a kill before
                // this point leaves a state to resume from (the rerun then only evaluates).
                try? FileManager.default.removeItem(at: outputDirectory.appendingPathComponent(RunFiles.state))
            }
        }
        let message = (report.message ?? "") + (report.status == .ok ? "" : kept)
        let finalReport = report.status == .ok ? reportURL : workReportURL
        progress.message("\(report.status.rawValue): \(message)")
        if let test = report.test, report.status == .ok {
            let line = test.metrics.sorted { $0.key < $1.key }
                .map { String(format: "%@ %.4f", $0.key, $0.value) }.joined(separator: "  ")
            progress.message("test (\(test.candidates)): \(line)")
        }
        progress.message("report: \(finalReport.path)")
        return RunOutcome(status: report.status, reportPath: finalReport.path, message: message)
    }

    /// The run proper; fills `report` as it goes so that a failure keeps what was reached.
    static func execute(
        _ spec: ExperimentSpec, options: RunOptions, datasets: DatasetCache, progress: ProgressReporter,
        report: inout RunReport, outputDirectory: URL
    ) throws {
        let start = Date()
        // MARK: Data
        let baseDirectory = options.configPath.isEmpty
            ? WorkingDirectory.path
            : WorkingDirectory.url(options.configPath).deletingLastPathComponent().path
        let data = try datasets.load(spec.dataset, seed: spec.seed, baseDirectory: baseDirectory,
                                     log: { progress.message($0) })
        let split = try Splitter.split(data, spec: spec.split)
        let batcher = TrainingBatcher(sequences: split.train, ratings: split.trainRatings,
                                      maxLength: spec.split.maxLength, targetsPerBatch: spec.training.batchSize,
                                      warmUp: spec.model.cell.family.warmUpWindows)
        report.dataset = DatasetReport(data)
        // The config check knew a file dataset's catalogue only as "at least one item".
        try EvaluationBuffers.check(spec.evaluation, numItems: data.numItems)
        let evaluationCases = split.validation.count + split.test.count
        try MemoryBudget.check(spec, numItems: data.numItems, evaluationCases: evaluationCases,
                               catalogue: "\(MemoryBudget.formatCount(Double(data.numItems))) items")
        if let estimate = MemoryEstimate(spec, numItems: data.numItems, threads: report.provenance.threads,
                                         evaluationCases: evaluationCases) {
            progress.message("memory: about \(MemoryBudget.format(estimate.totalBytes)) (estimate; docs/performance.md)")
        }
        report.split = SplitReport(split, spec: spec.split, batcher: batcher)
        let itemCounts = Self.itemCounts(split.train, numItems: data.numItems)
        if spec.output.checkpoint {
            try RunCheckpoint.writeIds(RunCheckpoint.IdMaps(items: data.rawItemIds, users: data.rawUserIds), in: outputDirectory)
            try record(RunFiles.ids, in: outputDirectory, report: &report)
        }
        let dataSeconds = Date().timeIntervalSince(start)
        // The run's TensorBoard log, once training starts (a baseline's at its evaluation).
        var events: TensorBoardLog?
        progress.message(String(format: "data: %d users, %d items, %d interactions; %d training targets in %d windows, %d windows per batch (%.1fs)",
                                data.numUsers, data.numItems, data.stats.interactions,
                                batcher.targetCount, batcher.windowCount, batcher.batchSize, dataSeconds))

        // MARK: Model and training
        var initRandom = SeededGenerator(seed: spec.seed, stream: "init")
        let scorer: any NextItemScorer
        var trainingSeconds = 0.0
        var evaluationSeconds = 0.0
        // Validation batches (and sampled negatives) are built once, for every epoch's pass
        // and the final one.
        let rankingValidation = spec.task == .rating ? nil
            : RankingPass(cases: split.validation, numItems: data.numItems, spec: spec, itemCounts: itemCounts)
        let ratingValidation = spec.task == .rating ? RatingPass(cases: split.validation, spec: spec) : nil
        if spec.model.cell.isTrainable {
            try SequenceRecommender.checkCompatible(cell: spec.model.cell, task: spec.task, loss: spec.training.loss)
            let model = SequenceRecommender(
                spec: spec.model, task: spec.task, loss: spec.training.loss, numItems: data.numItems,
                negatives: spec.training.negatives, gbceT: spec.training.gbceT, sampling: spec.training.negativeSampling,
                itemCounts: itemCounts, sparseGradients: spec.training.sparseGradients, maxLength: spec.split.maxLength,
                rng: &initRandom)
            report.parameterCount = model.parameterCount
            scorer = model
            let validate: () -> [String: Double] = {
                ratingValidation?.run(model).metrics ?? rankingValidation?.run(model).metrics ?? [:]
            }
            let trainer = Trainer(spec: spec, model: model, batcher: batcher, progress: progress,
                                  threads: report.provenance.threads, validate: validate)
            let saved = try savedState(spec, model: model, batchesPerEpoch: batcher.batchesPerEpoch, threads: report.provenance.threads,
                                       options: options, progress: progress, outputDirectory: outputDirectory)
            report.resumedFromEpoch = saved?.epoch
            events = tensorBoardLog(spec, firstEpoch: (saved?.epoch ?? 0) + 1, progress: progress, directory: outputDirectory)
            if let events { trainer.epochEnded = { events.epoch($0) } }
            if let hook = options.stopAfterEpoch { trainer.stopAfterEpoch = hook }
            let result = trainer.run(resumingFrom: saved, checkpoints: checkpoints(spec, model: model, dataDirectory: baseDirectory,
                                                                                  outputDirectory: outputDirectory))
            report.history = result.history
            report.bestEpoch = result.bestEpoch
            report.status = result.status
            report.message = result.message
            trainingSeconds = result.trainingSeconds
            evaluationSeconds = result.validationSeconds
            let targets = Double(result.history.count * batcher.targetCount)
            report.timing = TimingReport(totalSeconds: 0, dataSeconds: dataSeconds, trainingSeconds: trainingSeconds,
                                         evaluationSeconds: evaluationSeconds,
                                         targetsPerSecond: trainingSeconds > 0 ? targets / trainingSeconds : nil)
            guard result.status == .ok else {
                // TensorBoard keeps a run's first session end: only an ending that a rerun
                // would repeat (divergence) is recorded; an interrupted or failed run resumes.
                if result.status == .diverged { events?.finish(test: [:], step: result.history.last?.epoch ?? 0, succeeded: false) }
                return
            }
            if spec.output.checkpoint {
                // The weights the test metrics come from (the restored best, or the last epoch's).
                try RunCheckpoint.writeModel(model.parameters, configJSON: spec.resolvedJSON(), configHash: spec.configHash,
                                             epoch: result.bestEpoch ?? result.history.last?.epoch, dataDirectory: baseDirectory,
                                             in: outputDirectory)
                try record(RunFiles.model, in: outputDirectory, report: &report)
            }
            if let ratingValidation {
                try finishRating(spec, model: model, split: split, validation: ratingValidation, validationOnly: options.validationOnly,
                                 report: &report, outputDirectory: outputDirectory)
                return
            }
        } else {
            report.parameterCount = 0
            scorer = spec.model.cell == .pop
                ? PopularityModel(trainSequences: split.train, numItems: data.numItems)
                : MarkovModel(trainSequences: split.train, numItems: data.numItems)
            report.status = .ok
            report.message = "\(spec.model.cell.rawValue) baseline: no training"
            events = tensorBoardLog(spec, firstEpoch: 1, progress: progress, directory: outputDirectory)
            if spec.output.checkpoint {
                // No weights: a baseline's state is counts over the training split, rebuilt on load.
                try RunCheckpoint.writeModel([], configJSON: spec.resolvedJSON(), configHash: spec.configHash, epoch: nil,
                                             dataDirectory: baseDirectory, in: outputDirectory)
                try record(RunFiles.model, in: outputDirectory, report: &report)
            }
        }

        // MARK: Final validation and test, with the restored best weights
        let evaluationStart = Date()
        let validationPass = rankingValidation
            ?? RankingPass(cases: split.validation, numItems: data.numItems, spec: spec, itemCounts: itemCounts)
        let validation = validationPass.run(scorer)
        if options.validationOnly {
            evaluationSeconds += Date().timeIntervalSince(evaluationStart)
            report.validation = MetricsReport(validation)
            report.message = (report.message ?? "") + Self.validationOnlyNote
            events?.finish(test: [:], step: report.history.last?.epoch ?? 0, succeeded: true)
            if events != nil {
                for name in TensorBoardLog.eventFiles(in: outputDirectory) { try record(name, in: outputDirectory, report: &report) }
            }
            report.timing = TimingReport(totalSeconds: 0, dataSeconds: dataSeconds, trainingSeconds: trainingSeconds,
                                         evaluationSeconds: evaluationSeconds, targetsPerSecond: report.timing?.targetsPerSecond)
            return
        }
        let test = RankingPass(cases: split.test, numItems: data.numItems, spec: spec, itemCounts: itemCounts)
            .run(scorer)
        evaluationSeconds += Date().timeIntervalSince(evaluationStart)
        report.validation = MetricsReport(validation)
        var testReport = MetricsReport(test)
        let primary = spec.primaryMetric?.description
        if let primary, let values = test.perUser[primary] {
            let file = try ReportWriter.writePerUser(values, users: test.users, metric: primary, to: outputDirectory)
            try record(file.lastPathComponent, in: outputDirectory, report: &report)
            testReport.perUserFile = file.lastPathComponent
            testReport.perUserMetric = primary
        }
        report.test = testReport
        if let events {
            events.finish(test: test.metrics, step: report.history.last?.epoch ?? 0, succeeded: true)
            for name in TensorBoardLog.eventFiles(in: outputDirectory) { try record(name, in: outputDirectory, report: &report) }
        }
        report.timing = TimingReport(totalSeconds: 0, dataSeconds: dataSeconds, trainingSeconds: trainingSeconds,
                                     evaluationSeconds: evaluationSeconds,
                                     targetsPerSecond: report.timing?.targetsPerSecond)
    }

    /// What the report's message adds when the test pass is skipped.
    public static let validationOnlyNote = "; validation only (a search trial): no test pass"

    /// The training state to continue from: the output directory's state.safetensors when it
    /// was saved by this config (same hash) and `--restart` was not given. A state of another
    /// config is ignored (and replaced after the first epoch), with a note on stderr; one that
    /// fails TrainingStateCheck (the check `runner plan` applies too) fails the run before
    /// anything is overwritten.
    static func savedState(_ spec: ExperimentSpec, model: SequenceRecommender, batchesPerEpoch: Int, threads: Int,
                           options: RunOptions, progress: ProgressReporter, outputDirectory: URL) throws -> TrainingState? {
        let url = outputDirectory.appendingPathComponent(RunFiles.state)
        guard spec.output.checkpoint, FileManager.default.fileExists(atPath: url.path) else { return nil }
        if options.restart {
            try FileManager.default.removeItem(at: url)
            progress.note("--restart: removed the saved training state \(url.path); starting at epoch 1")
            return nil
        }
        if let summary = RunFiles.stateSummary(in: outputDirectory), summary.configHash != spec.configHash {
            progress.note("\(url.path) was saved by another config (hash \(summary.configHash.prefix(12)), this one \(spec.configHash.prefix(12))): starting at epoch 1")
            return nil
        }
        let state: TrainingState
        do {
            state = try RunCheckpoint.readState(at: url, spec: spec, arena: model.arena, batchesPerEpoch: batchesPerEpoch)
        } catch {
            throw ResumeError(description: "\(error) (run again with --restart to start at epoch 1)")
        }
        progress.note("resuming after epoch \(state.epoch) from \(url.path)")
        // training.threads left unset follows the machine: a state saved on another is usable,
        // but its per-worker streams are not this run's (Trainer starts fresh ones).
        if state.dropoutRandom.count != max(threads, 1) {
            progress.note("note: \(url.path) holds the random streams of \(state.dropoutRandom.count) worker thread"
                + "\(state.dropoutRandom.count == 1 ? "" : "s"), this run has \(max(threads, 1)): dropout masks and sampled "
                + "negatives start afresh, so the result will differ from an uninterrupted run's")
        }
        return state
    }

    /// The run's TensorBoard log (`output.tensorboard`), starting at `firstEpoch`: a run that
    /// starts at epoch 1 first removes the event files an earlier process left.
    static func tensorBoardLog(_ spec: ExperimentSpec, firstEpoch: Int, progress: ProgressReporter,
                               directory: URL) -> TensorBoardLog? {
        guard spec.output.tensorboard else { return nil }
        if firstEpoch == 1 { TensorBoardLog.removeEventFiles(in: directory) }
        return TensorBoardLog(directory: directory, firstEpoch: firstEpoch, settings: spec.configValue, group: spec.name,
                              note: { progress.note($0) })
    }

    /// Saves the best weights when validation improves and the training state after every epoch.
    static func checkpoints(_ spec: ExperimentSpec, model: SequenceRecommender, dataDirectory: String,
                            outputDirectory: URL) -> TrainingCheckpoints? {
        guard spec.output.checkpoint else { return nil }
        let (configJSON, configHash) = (spec.resolvedJSON(), spec.configHash)
        return TrainingCheckpoints(
            bestImproved: { epoch in
                try RunCheckpoint.writeModel(model.parameters, configJSON: configJSON, configHash: configHash, epoch: epoch,
                                             dataDirectory: dataDirectory, in: outputDirectory)
            },
            epochCompleted: { state in
                try RunCheckpoint.writeState(state, arena: model.arena, configHash: configHash, in: outputDirectory)
            })
    }

    /// Rating task: test RMSE/MAE beside the global-mean and user-mean baselines.
    static func finishRating(
        _ spec: ExperimentSpec, model: SequenceRecommender, split: SplitData, validation validationPass: RatingPass,
        validationOnly: Bool = false, report: inout RunReport, outputDirectory: URL
    ) throws {
        let validation = validationPass.run(model)
        if validationOnly {
            report.validation = MetricsReport(validation)
            report.message = (report.message ?? "") + validationOnlyNote
            return
        }
        let test = RatingPass(cases: split.test, spec: spec).run(model)
        report.validation = MetricsReport(validation)
        var testReport = MetricsReport(test)
        if let values = test.perUser["squared_error"] {
            let file = try ReportWriter.writePerUser(values, users: test.users, metric: "squared_error", to: outputDirectory)
            try record(file.lastPathComponent, in: outputDirectory, report: &report)
            testReport.perUserFile = file.lastPathComponent
            testReport.perUserMetric = "squared_error"
        }
        report.test = testReport
        // Flatten the per-user training ratings into (user, rating) pairs.
        let trainUsers = split.trainRatings.indices.flatMap { user in
            [Int32](repeating: Int32(user), count: split.trainRatings[user].count)
        }
        report.ratingBaselines = RatingMetrics.baselines(
            trainUsers: trainUsers, trainRatings: split.trainRatings.flatMap { $0 },
            testUsers: split.test.map(\.user), testRatings: split.test.map { $0.targetRatings.first ?? 0 })
    }

    /// Adds a result file just written to the report's `files` map (name -> SHA-256), so that
    /// readers can tell it belongs to this report.
    static func record(_ name: String, in directory: URL, report: inout RunReport) throws {
        report.files = (report.files ?? [:]).merging([name: try RunResult.hash(of: directory.appendingPathComponent(name))]) { $1 }
    }

    /// Training popularity per item id [V] (index 0 = padding, count 0).
    static func itemCounts(_ sequences: [[Int32]], numItems: Int) -> [Int] {
        var counts = [Int](repeating: 0, count: numItems + 1)
        for sequence in sequences {
            for item in sequence where item > 0 && Int(item) <= numItems { counts[Int(item)] += 1 }
        }
        return counts
    }
}

/// A saved training state that cannot be used.
struct ResumeError: Error, CustomStringConvertible {
    let description: String
}
