// Runs one validated experiment end to end: data -> model -> training -> evaluation ->
// report. The CLI calls only this. Whatever happens after the config was accepted, a
// report is written (atomically) with the status and the history so far. It touches no
// process state but the BLAS thread count: the caller installs `Interruption`'s signal
// handlers (the CLI does) and owns the dataset cache.
import Foundation

/// How the CLI wants a run to behave (flags, not experiment settings).
public struct RunOptions: Sendable {
    /// Silence progress output.
    public var quiet: Bool = false
    /// Path of the YAML file the spec came from (base for relative data paths).
    public var configPath: String = ""
    public init(quiet: Bool = false, configPath: String = "") {
        self.quiet = quiet
        self.configPath = configPath
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
        let progress = ProgressReporter(quiet: options.quiet)
        let outputDirectory = URL(fileURLWithPath: spec.output.dir)
        let reportURL = outputDirectory.appendingPathComponent(ReportWriter.reportFileName)
        let threads = BLAS.configureThreads(spec.training.threads)

        var report: RunReport
        do {
            let config = try JSONDecoder().decode(JSONValue.self, from: Data(spec.resolvedJSON().utf8))
            report = try RunReport(name: spec.name, config: config,
                                   provenance: Provenance.capture(threads: threads))
            // One hash everywhere: the config layer's (what sweeps compare to skip a point).
            report.configHash = spec.configHash
            report.runID = RunReport.makeRunID(name: spec.name, startedAt: report.startedAt, configHash: spec.configHash)
        } catch {
            return RunOutcome(status: .failed, reportPath: reportURL.path, message: "could not record the config: \(error)")
        }

        let clock = Date()
        do {
            try execute(spec, options: options, datasets: datasets, progress: progress, report: &report,
                        outputDirectory: outputDirectory)
        } catch {
            report.status = .failed
            report.message = "\(error)"
        }
        report.finishedAt = .now()
        if report.timing == nil { report.timing = TimingReport(totalSeconds: Date().timeIntervalSince(clock)) }
        report.timing?.totalSeconds = Date().timeIntervalSince(clock)

        do {
            _ = try ReportWriter.write(report, to: outputDirectory)
        } catch {
            return RunOutcome(status: .failed, reportPath: reportURL.path,
                              message: "could not write the report: \(error)")
        }
        let message = report.message ?? ""
        progress.message("\(report.status.rawValue): \(message)")
        if let test = report.test {
            let line = test.metrics.sorted { $0.key < $1.key }
                .map { String(format: "%@ %.4f", $0.key, $0.value) }.joined(separator: "  ")
            progress.message("test (\(test.candidates)): \(line)")
        }
        progress.message("report: \(reportURL.path)")
        return RunOutcome(status: report.status, reportPath: reportURL.path, message: message)
    }

    /// The run proper; fills `report` as it goes so that a failure keeps what was reached.
    static func execute(
        _ spec: ExperimentSpec, options: RunOptions, datasets: DatasetCache, progress: ProgressReporter,
        report: inout RunReport, outputDirectory: URL
    ) throws {
        let start = Date()
        // MARK: Data
        let baseDirectory = options.configPath.isEmpty
            ? FileManager.default.currentDirectoryPath
            : URL(fileURLWithPath: options.configPath).deletingLastPathComponent().path
        let data = try datasets.load(spec.dataset, seed: spec.seed, baseDirectory: baseDirectory,
                                     log: { progress.message($0) })
        let split = try Splitter.split(data, spec: spec.split)
        let batcher = TrainingBatcher(sequences: split.train, ratings: split.trainRatings,
                                      maxLength: spec.split.maxLength, targetsPerBatch: spec.training.batchSize)
        report.dataset = DatasetReport(data)
        report.split = SplitReport(split, spec: spec.split, batcher: batcher)
        let itemCounts = Self.itemCounts(split.train, numItems: data.numItems)
        let dataSeconds = Date().timeIntervalSince(start)
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
        if spec.model.cell.isRecurrent {
            try SequenceRecommender.checkCompatible(task: spec.task, loss: spec.training.loss)
            let model = SequenceRecommender(
                spec: spec.model, task: spec.task, loss: spec.training.loss, numItems: data.numItems,
                negatives: spec.training.negatives, sampling: spec.training.negativeSampling,
                itemCounts: itemCounts, sparseGradients: spec.training.sparseGradients, rng: &initRandom)
            report.parameterCount = model.parameterCount
            scorer = model
            let validate: () -> [String: Double] = {
                ratingValidation?.run(model).metrics ?? rankingValidation?.run(model).metrics ?? [:]
            }
            let trainer = Trainer(spec: spec, model: model, batcher: batcher, progress: progress,
                                  threads: report.provenance.threads, validate: validate)
            let result = trainer.run()
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
            guard result.status == .ok else { return }
            if let ratingValidation {
                try finishRating(spec, model: model, split: split, validation: ratingValidation,
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
        }

        // MARK: Final validation and test, with the restored best weights
        let evaluationStart = Date()
        let validationPass = rankingValidation
            ?? RankingPass(cases: split.validation, numItems: data.numItems, spec: spec, itemCounts: itemCounts)
        let validation = validationPass.run(scorer)
        let test = RankingPass(cases: split.test, numItems: data.numItems, spec: spec, itemCounts: itemCounts)
            .run(scorer)
        evaluationSeconds += Date().timeIntervalSince(evaluationStart)
        report.validation = MetricsReport(validation)
        var testReport = MetricsReport(test)
        let primary = spec.primaryMetric?.description
        if let primary, let values = test.perUser[primary] {
            let file = try ReportWriter.writePerUser(values, users: test.users, metric: primary, to: outputDirectory)
            testReport.perUserFile = file.lastPathComponent
            testReport.perUserMetric = primary
        }
        report.test = testReport
        report.timing = TimingReport(totalSeconds: 0, dataSeconds: dataSeconds, trainingSeconds: trainingSeconds,
                                     evaluationSeconds: evaluationSeconds,
                                     targetsPerSecond: report.timing?.targetsPerSecond)
    }

    /// Rating task: test RMSE/MAE beside the global-mean and user-mean baselines.
    static func finishRating(
        _ spec: ExperimentSpec, model: SequenceRecommender, split: SplitData, validation validationPass: RatingPass,
        report: inout RunReport, outputDirectory: URL
    ) throws {
        let validation = validationPass.run(model)
        let test = RatingPass(cases: split.test, spec: spec).run(model)
        report.validation = MetricsReport(validation)
        var testReport = MetricsReport(test)
        if let values = test.perUser["squared_error"] {
            let file = try ReportWriter.writePerUser(values, users: test.users, metric: "squared_error", to: outputDirectory)
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

    /// Training popularity per item id [V] (index 0 = padding, count 0).
    static func itemCounts(_ sequences: [[Int32]], numItems: Int) -> [Int] {
        var counts = [Int](repeating: 0, count: numItems + 1)
        for sequence in sequences {
            for item in sequence where item > 0 && Int(item) <= numItems { counts[Int(item)] += 1 }
        }
        return counts
    }
}
