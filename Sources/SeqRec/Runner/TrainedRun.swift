// A finished run loaded back from its directory, for `runner recommend` and `runner
// evaluate`: the resolved config from model.safetensors' metadata (evaluation keys may be
// overridden), the same data and split (checked against ids.json), and the model with its
// saved weights. Baselines (pop, markov) save no weights: their state is counts over the
// training split, which is rebuilt exactly. The directory must hold a finished run: report.json
// with status ok, of the model's config, recording the SHA-256 of model.safetensors and
// ids.json as they are (RunResult), so weights of an unfinished or another attempt are refused.

import Foundation

public final class TrainedRun {
    public let directory: URL
    public let spec: ExperimentSpec
    /// The config hash the run was trained under (before evaluation overrides).
    package let trainedConfigHash: String
    /// `RunFiles.modelSHA256` of the model.safetensors bytes loaded, and their epoch.
    package let modelSHA256: String
    public let modelEpoch: Int?
    let data: InteractionData
    let split: SplitData
    let scorer: any NextItemScorer
    let ratingModel: SequenceRecommender?
    private lazy var itemIndex: [String: Int32] = Dictionary(data.rawItemIds.enumerated().dropFirst().map { ($1, Int32($0)) },
                                                             uniquingKeysWith: { first, _ in first })
    private lazy var userIndex: [String: Int32] = Dictionary(data.rawUserIds.enumerated().map { ($1, Int32($0)) },
                                                             uniquingKeysWith: { first, _ in first })

    /// Loads the run in `directory`. `overrides` are `--set key=value` texts; only
    /// `evaluation.*` keys may change (the model was trained under the rest).
    public init(directory: URL, overrides: [String] = [], datasets: DatasetCache = DatasetCache(),
                log: (String) -> Void = { _ in }) throws {
        self.directory = directory
        // A finished attempt that a killed run left half moved into place is moved first.
        RunResult.recover(directory)
        let modelURL = directory.appendingPathComponent(RunFiles.model)
        let (model, modelSHA256) = try RunCheckpoint.readHashedModel(at: modelURL)
        self.modelSHA256 = modelSHA256
        modelEpoch = model.metadata["epoch"].flatMap(Int.init)
        guard let configJSON = model.metadata["config"], let hash = model.metadata["config_hash"] else {
            throw CheckpointError.unreadable(path: modelURL.path, reason: "metadata lacks the config or its hash")
        }
        if let key = overrides.first(where: { !$0.hasPrefix("evaluation.") && !$0.hasPrefix("evaluation=") }) {
            throw TrainedRunError.notAnEvaluationKey(key)
        }
        let trained = try Self.spec(fromJSON: configJSON, overrides: [], path: modelURL.path)
        guard trained.configHash == hash else {
            throw CheckpointError.unreadable(path: modelURL.path, reason: "its config does not match its config hash")
        }
        spec = try Self.spec(fromJSON: configJSON, overrides: overrides, path: modelURL.path)
        trainedConfigHash = hash
        data = try datasets.load(spec.dataset, seed: spec.seed,
                                            baseDirectory: model.metadata["data_directory"] ?? WorkingDirectory.path,
                                            log: log)
        let ids = try RunCheckpoint.readIds(in: directory)
        guard ids.items == data.rawItemIds, ids.users == data.rawUserIds else {
            throw TrainedRunError.dataChanged(directory.appendingPathComponent(RunFiles.ids).path)
        }
        split = try Splitter.split(data, spec: spec.split)
        let itemCounts = ExperimentRunner.itemCounts(split.train, numItems: data.numItems)
        switch spec.model.cell {
        case .pop:
            scorer = PopularityModel(trainSequences: split.train, numItems: data.numItems)
            ratingModel = nil
        case .markov:
            scorer = MarkovModel(trainSequences: split.train, numItems: data.numItems)
            ratingModel = nil
        default:
            var unused = SeededGenerator(seed: 0)
            let recommender = SequenceRecommender(
                spec: spec.model, task: spec.task, loss: spec.training.loss, numItems: data.numItems,
                negatives: spec.training.negatives, gbceT: spec.training.gbceT, sampling: spec.training.negativeSampling, itemCounts: itemCounts,
                sparseGradients: spec.training.sparseGradients, maxLength: spec.split.maxLength, rng: &unused)
            try RunCheckpoint.load(model, into: recommender.parameters, path: modelURL.path)
            scorer = recommender
            ratingModel = spec.task == .rating ? recommender : nil
        }
        // The files must be those of the finished run the report describes.
        let report = try RunResult.finishedReportForReading(in: directory)
        guard report.configHash == hash else {
            throw RunResultError.otherConfig(file: modelURL.path, report: directory.appendingPathComponent(ReportWriter.reportFileName).path,
                                             found: hash, recorded: report.configHash)
        }
        try RunResult.verify(RunFiles.model, in: directory, report: report, required: true, sha256: modelSHA256)
        try RunResult.verify(RunFiles.ids, in: directory, report: report, required: true)
    }

    private static func spec(fromJSON json: String, overrides: [String], path: String) throws -> ExperimentSpec {
        // The resolved config is valid YAML (JSON is a subset) that decodes to itself.
        try ConfigLoader.load(bytes: Array(json.utf8), displayName: "\(path) (config)", overrides: overrides)
    }

    // MARK: Recommend

    /// One input of `recommend`: a known user's full history, or an ad-hoc list of items.
    public enum Query: Sendable, Equatable {
        case user(String)
        case history([String])
    }

    public struct Recommendation: Sendable, Equatable {
        /// The user's raw id, or nil for an ad-hoc history.
        public var user: String?
        /// Raw item ids, best first, with their scores (the model's logits).
        public var items: [String]
        public var scores: [Float]
    }

    /// Every user's raw id, in dense id order.
    public var allUsers: [String] { data.rawUserIds }

    /// N, the items the model ranks (a recommendation holds at most this many).
    public var itemCount: Int { data.numItems }

    /// The top `k` items for each query (the last `split.max_length` items of its history are
    /// the input). Every item of the history, also those older than the input, is left out
    /// unless `includeSeen`. Unknown raw ids
    /// are an error naming all of them.
    public func recommend(_ queries: [Query], k: Int, includeSeen: Bool) throws -> [Recommendation] {
        guard spec.task == .nextItem else { throw TrainedRunError.notNextItem }
        var unknownUsers: [String] = [], unknownItems: [String] = []
        var cases: [EvaluationCase] = []
        var emptyQuery: Int?
        for (index, query) in queries.enumerated() {
            let history: [Int32]
            switch query {
            case .user(let raw):
                guard let user = userIndex[raw] else { unknownUsers.append(raw); continue }
                history = data.sequences[Int(user)]
            case .history(let raws):
                var items: [Int32] = []
                for raw in raws {
                    if let item = itemIndex[raw] { items.append(item) } else { unknownItems.append(raw) }
                }
                history = items
            }
            if history.isEmpty { emptyQuery = emptyQuery ?? index }
            cases.append(EvaluationCase(user: Int32(index), history: history, targets: [1], targetRatings: [0]))
        }
        if !unknownUsers.isEmpty || !unknownItems.isEmpty {
            throw TrainedRunError.unknownIds(users: unknownUsers, items: unknownItems)
        }
        if let emptyQuery { throw TrainedRunError.emptyHistory(index: emptyQuery) }
        var results: [Recommendation] = []
        results.reserveCapacity(cases.count)
        var selector = TopKSelector(capacity: min(k, data.numItems))
        for batch in EvaluationBatcher.batches(cases, maxLength: spec.split.maxLength, batchSize: RankingPass.batchSize) {
            let scores = scorer.scoreNext(batch)
            let width = data.numItems + 1
            for row in 0..<batch.batchSize {
                let query = queries[Int(batch.users[row])]
                let seen = includeSeen ? Set<Int32>() : Set(cases[Int(batch.users[row])].history)
                selector.reset()
                for item in 1..<width where !seen.contains(Int32(item)) {
                    selector.offer(item: Int32(item), score: scores[row * width + item])
                }
                let best = selector.sortedEntries()
                var user: String?
                if case .user(let raw) = query { user = raw }
                results.append(Recommendation(user: user, items: best.map { data.rawItemIds[Int($0.item)] }, scores: best.map(\.score)))
            }
        }
        return results
    }

    // MARK: Evaluate

    public enum SplitName: String, Sendable, CaseIterable {
        case test, validation
    }

    /// Scores the saved model on `split` under the (possibly overridden) evaluation settings
    /// and writes `evaluation-<hash>.json` (+ its per-user sidecar) into the run directory,
    /// holding the directory's lock: a run still training there (holding it) is refused, as
    /// is a model file replaced since it was loaded. Returns the file written.
    @discardableResult
    public func evaluate(split name: SplitName) throws -> (url: URL, evaluation: RunEvaluation) {
        let lock: RunDirectoryLock?
        do {
            lock = try RunDirectoryLock.acquire(directory: directory.path)
        } catch {
            guard case .unsupported = error else { throw TrainedRunError.directoryBusy(error) }
            lock = nil  // a file system without locks: as a run does, go on unlocked
        }
        defer { lock?.release() }
        let modelURL = directory.appendingPathComponent(RunFiles.model)
        guard (try? RunFiles.modelSHA256(ofFileAt: modelURL)) == modelSHA256 else {
            throw TrainedRunError.modelReplaced(modelURL.path)
        }
        let cases = name == .test ? split.test : split.validation
        if ratingModel == nil { try EvaluationBuffers.check(spec.evaluation, numItems: data.numItems) }
        let itemCounts = ExperimentRunner.itemCounts(split.train, numItems: data.numItems)
        let result: EvaluationResult
        let perUserMetric: String?
        if let ratingModel {
            result = RatingPass(cases: cases, spec: spec).run(ratingModel)
            perUserMetric = "squared_error"
        } else {
            result = RankingPass(cases: cases, numItems: data.numItems, spec: spec, itemCounts: itemCounts).run(scorer)
            perUserMetric = spec.primaryMetric?.description
        }
        let protocolHash = String(RunEvaluation.protocolHash(spec, split: name.rawValue).prefix(12))
        var metrics = MetricsReport(result)
        if let perUserMetric, let values = result.perUser[perUserMetric] {
            let file = try ReportWriter.writePerUser(values, users: result.users, metric: perUserMetric, to: directory,
                                                     fileName: "evaluation-\(protocolHash).per_user.tsv")
            metrics.perUserFile = file.lastPathComponent
            metrics.perUserMetric = perUserMetric
        }
        let evaluation = try RunEvaluation(name: spec.name, configHash: trainedConfigHash, modelSHA256: modelSHA256,
                                           modelEpoch: modelEpoch, split: name.rawValue, evaluation: spec, metrics: metrics)
        let url = directory.appendingPathComponent("evaluation-\(protocolHash).json")
        try AtomicFile.write(try ReportCoding.encoder().encode(evaluation), to: url)
        return (url, evaluation)
    }
}

public enum TrainedRunError: Error, Equatable, CustomStringConvertible {
    case notAnEvaluationKey(String)
    case dataChanged(String)
    case unknownIds(users: [String], items: [String])
    case emptyHistory(index: Int)
    case notNextItem
    /// The run directory's lock could not be taken (a run is training there).
    case directoryBusy(RunLockError)
    case modelReplaced(String)

    /// Busy or replaced: the directory as it is now, not bad input (the CLI exits 1, as for a run).
    public var isAboutTheDirectoryNow: Bool {
        switch self {
        case .directoryBusy, .modelReplaced: true
        default: false
        }
    }

    public var description: String {
        switch self {
        case .notAnEvaluationKey(let key):
            "--set \(key): only evaluation.* keys can change when scoring a saved model (it was trained under the rest)"
        case .dataChanged(let path):
            "\(path): the dataset's ids differ from the ones the model was trained on (the data changed since training)"
        case .unknownIds(let users, let items):
            ([users.isEmpty ? nil : "unknown user id(s): \(users.joined(separator: ", "))",
              items.isEmpty ? nil : "unknown item id(s): \(items.joined(separator: ", "))"] as [String?])
                .compactMap { $0 }.joined(separator: "; ")
        case .emptyHistory(let index): "query \(index + 1) has an empty history"
        case .notNextItem: "recommend needs a next-item model; this run was trained for task rating"
        case .directoryBusy(let error):
            if case .held = error {
                "\(error): it is still training, and its model.safetensors is not its final model; evaluate it when it has finished"
            } else {
                "\(error)"
            }
        case .modelReplaced(let path): "\(path) was replaced while it was being loaded (a run finished there?); evaluate again"
        }
    }
}
