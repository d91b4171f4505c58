// Checkpoints: model.safetensors is a PyTorch state_dict (a file written by the Python
// library loads and scores as in PyTorch; fixtures: Tests/Fixtures/make_safetensors.py),
// bad files are refused with a message naming what is wrong, and a run killed after an
// epoch continues from its saved state to bitwise the same report as an uninterrupted run.

import Foundation
import Testing
@testable import SeqRec
@testable import SeqRecCore
@testable import SeqRecNumerics

private struct TorchModelFixture: Decodable {
    let cell: String
    let layers: Int
    let embedding: Int
    let hidden: Int
    let items: Int
    let batch: Int
    let inputs: [Int32]
    let lengths: [Int]
    let next_logits: [Float]
}

private let safetensorsFixtures = ConfigFixtures.fixtures.appendingPathComponent("safetensors")

private func recommender(cell: CellKind, layers: Int, embedding: Int, hidden: Int, items: Int, seed: UInt64 = 1) -> SequenceRecommender {
    var spec = ModelSpec()
    spec.cell = cell
    spec.embeddingSize = embedding
    spec.hiddenSize = hidden
    spec.layers = layers
    spec.dropout = 0
    var rng = SeededGenerator(seed: seed)
    return SequenceRecommender(spec: spec, task: .nextItem, loss: .crossEntropy, numItems: items, negatives: 0,
                               sampling: .uniform, itemCounts: [], rng: &rng)
}

@Test(arguments: ["lstm", "gru", "rnn"])
func torchWrittenWeightsScoreAsInPyTorch(_ name: String) throws {
    let fixture = try JSONDecoder().decode(TorchModelFixture.self, from: Data(contentsOf:
        safetensorsFixtures.appendingPathComponent("model-\(name).json")))
    let url = safetensorsFixtures.appendingPathComponent("model-\(name).safetensors")
    let file = try SafeTensorsFile.read(contentsOf: url)
    let model = recommender(cell: try #require(CellKind(rawValue: fixture.cell)), layers: fixture.layers,
                            embedding: fixture.embedding, hidden: fixture.hidden, items: fixture.items)
    try RunCheckpoint.load(file, into: model.parameters, path: url.path)
    let steps = fixture.inputs.count / fixture.batch
    let batch = SequenceBatch(batchSize: fixture.batch, steps: steps, inputs: fixture.inputs,
                              targets: [Int32](repeating: 0, count: fixture.inputs.count),
                              ratings: [Float](repeating: 0, count: fixture.inputs.count),
                              users: (0..<Int32(fixture.batch)).map { $0 })
    let scores = model.scoreNext(batch)
    #expect(scores.count == fixture.next_logits.count)
    let error = zip(scores, fixture.next_logits).map { abs($0 - $1) }.max() ?? .infinity
    #expect(error < 1e-5, "\(name): scores differ from PyTorch's by \(error)")
}

@Test func modelFileRoundTripsWithNamesShapesAndMetadata() throws {
    let directory = FileManager.default.temporaryDirectory.appendingPathComponent("seqrec-ckpt-\(UUID().uuidString)")
    defer { try? FileManager.default.removeItem(at: directory) }
    let trained = recommender(cell: .gru, layers: 2, embedding: 5, hidden: 6, items: 9, seed: 3)
    try RunCheckpoint.writeModel(trained.parameters, configJSON: "{\"a\":1}", configHash: "abc123", epoch: 4, in: directory)
    let url = directory.appendingPathComponent(RunFiles.model)
    let file = try RunCheckpoint.readModel(at: url, configHash: "abc123")
    #expect(file.metadata["config"] == "{\"a\":1}" && file.metadata["epoch"] == "4")
    #expect(file.tensors.keys.sorted() == trained.parameters.map(\.name).sorted())
    #expect(file.tensors["rnn.weight_hh_l1"]?.shape == [18, 6] && file.tensors["output.bias"]?.shape == [10])
    let fresh = recommender(cell: .gru, layers: 2, embedding: 5, hidden: 6, items: 9, seed: 4)
    #expect(fresh.parameters.map(\.valueArray) != trained.parameters.map(\.valueArray))
    try RunCheckpoint.load(file, into: fresh.parameters, path: url.path)
    #expect(fresh.parameters.map(\.valueArray) == trained.parameters.map(\.valueArray))
}

@Test func badModelFilesAreRefusedWithTheReason() throws {
    let directory = FileManager.default.temporaryDirectory.appendingPathComponent("seqrec-ckpt-\(UUID().uuidString)")
    defer { try? FileManager.default.removeItem(at: directory) }
    let model = recommender(cell: .lstm, layers: 1, embedding: 4, hidden: 3, items: 7)
    try RunCheckpoint.writeModel(model.parameters, configJSON: "{}", configHash: "abc123", epoch: 1, in: directory)
    let url = directory.appendingPathComponent(RunFiles.model)
    let path = url.path
    #expect(throws: CheckpointError.otherConfig(path: path, expected: "def456", found: "abc123")) {
        try RunCheckpoint.readModel(at: url, configHash: "def456")
    }
    let missing = directory.appendingPathComponent("none.safetensors")
    #expect(throws: CheckpointError.missing(path: missing.path, kind: "model checkpoint")) {
        try RunCheckpoint.readModel(at: missing)
    }
    let bigger = recommender(cell: .lstm, layers: 1, embedding: 4, hidden: 5, items: 7)
    let file = try RunCheckpoint.readModel(at: url)
    do {
        try RunCheckpoint.load(file, into: bigger.parameters, path: path)
        Issue.record("a checkpoint of another shape loaded")
    } catch {
        #expect(error.description == "\(path): tensor 'rnn.weight_ih_l0' has shape [12, 4], expected [20, 4]")
    }
    let twoLayers = recommender(cell: .lstm, layers: 2, embedding: 4, hidden: 3, items: 7)
    #expect(throws: CheckpointError.missingTensor(path: path, name: "rnn.weight_ih_l1")) {
        try RunCheckpoint.load(file, into: twoLayers.parameters, path: path)
    }
    // Truncated: every proper prefix is refused as corrupt, never loaded or crashed on.
    let bytes = try Data(contentsOf: url)
    for length in [0, 7, 8, 100, bytes.count / 2, bytes.count - 1] {
        try bytes.prefix(length).write(to: url)
        do {
            _ = try RunCheckpoint.readModel(at: url)
            Issue.record("a file cut to \(length) bytes was read")
        } catch {
            #expect(error.description.hasPrefix("\(path): corrupt or truncated: "), "\(error)")
        }
    }
}

// MARK: - Resume through the runner binary


/// A run of a few hundred milliseconds per epoch, so that a kill lands inside the run (the
/// full-disk tests use it too, with their own name, 2 epochs and 1 thread).
func resumeConfig(in directory: URL, name: String = "resume", epochs: Int = 6, threads: Int? = nil) throws -> URL {
    let url = directory.appendingPathComponent("\(name).yaml")
    let threadsLine = threads.map { "\n  threads: \($0)" } ?? ""
    try """
    name: \(name)
    seed: 11
    dataset:
      synthetic: {users: 500, items: 80, length: 40, lag: 6, noise: 0.2, keys: 4}
      min_user_interactions: 1
    split: {method: leave-one-out, max_length: 20}
    model: {cell: gru, embedding_size: 16, hidden_size: 24, layers: 1, dropout: 0.2}
    training:
      epochs: \(epochs)
      batch_size: 128\(threadsLine)
      optimizer: {name: adam, learning_rate: 0.01}
      early_stopping: {metric: ndcg@10, patience: 2}
    evaluation: {candidates: all, metrics: [hr@10, ndcg@10]}
    """.write(to: url, atomically: true, encoding: .utf8)
    return url
}

private func launchRunner(_ arguments: [String], in directory: URL) throws -> Process {
    try SweepFixtures.launch(ConfigFixtures.runnerBinary.path, arguments, scratch: directory, in: directory).process
}

private struct ReportSummary: Equatable {
    var test: [String: Double]
    var losses: [Double]
    var bestEpoch: Int?
    var resumedFrom: Int?
}

private func summary(_ directory: URL) throws -> ReportSummary {
    let report = try ReportReader.read(directory.appendingPathComponent("report.json"))
    return ReportSummary(test: report.test?.metrics ?? [:], losses: report.history.map(\.trainLoss),
                         bestEpoch: report.bestEpoch, resumedFrom: report.resumedFromEpoch)
}

/// The GRU of `resumeConfig`, and SASRec with bce (whose negatives come from the workers' streams).
@Test(.enabled(if: SweepFixtures.runnerIsBuilt),
      arguments: [(1, [String]()), (2, []), (2, ["model.cell=sasrec", "training.loss=bce"])])
func killedRunContinuesToTheSameReport(threads: Int, settings: [String]) throws {
    let directory = FileManager.default.temporaryDirectory.appendingPathComponent("seqrec-resume-\(UUID().uuidString)")
    try FileManager.default.createDirectory(at: directory, withIntermediateDirectories: true)
    defer { try? FileManager.default.removeItem(at: directory) }
    let config = try resumeConfig(in: directory).path
    func arguments(_ output: String) -> [String] {
        [config, "--quiet", "--set", "training.threads=\(threads)", "--set", "output.dir=\(output)"] + settings.flatMap { ["--set", $0] }
    }
    let full = try launchRunner(arguments("full"), in: directory)
    full.waitUntilExit()
    #expect(full.terminationStatus == 0)
    let reference = try summary(directory.appendingPathComponent("full"))
    #expect(reference.resumedFrom == nil && reference.losses.count >= 3)
    #expect(!FileManager.default.fileExists(atPath: directory.appendingPathComponent("full/state.safetensors").path))

    // SIGKILL once the state of epoch `k` exists (k random per thread count, fixed seed),
    // plus a random delay inside the next epoch.
    var random = SeededGenerator(seed: UInt64(threads + settings.count))
    let killAfter = 1 + random.nextInt(below: 2)
    let cut = directory.appendingPathComponent("cut")
    let victim = try launchRunner(arguments("cut"), in: directory)
    let deadline = Date().addingTimeInterval(120)
    while (RunFiles.stateSummary(in: cut)?.epoch ?? 0) < killAfter, victim.isRunning, Date() < deadline {
        usleep(2_000)
    }
    usleep(UInt32(random.nextInt(below: 50_000)))
    try #require(victim.isRunning, "the run finished before it could be killed")
    kill(victim.processIdentifier, SIGKILL)
    victim.waitUntilExit()
    let savedEpoch = try #require(RunFiles.stateSummary(in: cut)?.epoch)
    #expect(savedEpoch >= killAfter)

    let rerun = try launchRunner(arguments("cut"), in: directory)
    rerun.waitUntilExit()
    #expect(rerun.terminationStatus == 0)
    var resumed = try summary(cut)
    #expect(resumed.resumedFrom == savedEpoch)
    resumed.resumedFrom = nil
    #expect(resumed == reference, "\(threads) threads \(settings), killed after epoch \(savedEpoch)")
    #expect(!FileManager.default.fileExists(atPath: cut.appendingPathComponent("state.safetensors").path))
    // The model file holds the weights of the best epoch, under this config.
    let model = try RunCheckpoint.readModel(at: cut.appendingPathComponent(RunFiles.model))
    #expect(model.metadata["epoch"] == reference.bestEpoch.map(String.init))
}

@Test(.enabled(if: SweepFixtures.runnerIsBuilt)) func restartAndChangedConfigStartFresh() throws {
    let directory = FileManager.default.temporaryDirectory.appendingPathComponent("seqrec-resume-\(UUID().uuidString)")
    try FileManager.default.createDirectory(at: directory, withIntermediateDirectories: true)
    defer { try? FileManager.default.removeItem(at: directory) }
    let config = try resumeConfig(in: directory).path
    let output = directory.appendingPathComponent("out")
    // A run stopped by SIGTERM after its first epoch keeps that epoch's state.
    let first = try launchRunner([config, "--quiet", "--set", "output.dir=\(output.path)"], in: directory)
    while (RunFiles.stateSummary(in: output)?.epoch ?? 0) < 1, first.isRunning { usleep(2_000) }
    first.terminate()
    first.waitUntilExit()
    #expect(first.terminationStatus == 1)
    #expect(try ReportReader.read(output.appendingPathComponent("report.json")).status == .interrupted)
    let savedEpoch = try #require(RunFiles.stateSummary(in: output)?.epoch)
    #expect(savedEpoch >= 1)
    // The plan shows the point as resumable.
    var spec = try ConfigLoader.load(path: config, overrides: ["output.dir=\(output.path)"])
    let planned = PlannedPoint(configPath: config, point: GridPoint(runName: "resume", varied: [], spec: spec),
                               state: SkipRule.state(of: spec), arguments: [])
    #expect(planned.listingLabel == "interrupted, resumable at epoch \(savedEpoch)")
    spec.training.optimizer.learningRate = 0.5
    #expect(PlannedPoint(configPath: config, point: GridPoint(runName: "resume", varied: [], spec: spec), state: SkipRule.state(of: spec),
                         arguments: []).listingLabel == "interrupted")
    // Another learning rate: another config, so the state is not used.
    let changed = try launchRunner([config, "--quiet", "--set", "output.dir=\(output.path)", "--set", "training.optimizer.learning_rate=0.02",
                                    "--set", "training.epochs=1"], in: directory)
    changed.waitUntilExit()
    #expect(try summary(output).resumedFrom == nil)
    // --restart ignores (and removes) a matching state. The directory now holds the finished
    // run of the other learning rate: the first config replaces it only with --replace, and
    // its attempt works in .attempt/ until it is ok.
    let attempt = output.appendingPathComponent(".attempt")
    let interrupted = try launchRunner([config, "--quiet", "--set", "output.dir=\(output.path)", "--replace"], in: directory)
    while (RunFiles.stateSummary(in: attempt)?.epoch ?? 0) < 1, interrupted.isRunning { usleep(2_000) }
    interrupted.terminate()
    interrupted.waitUntilExit()
    #expect(interrupted.terminationStatus == 1)
    #expect((RunFiles.stateSummary(in: attempt)?.epoch ?? 0) >= 1)
    let restarted = try launchRunner([config, "--quiet", "--set", "output.dir=\(output.path)", "--restart", "--replace"], in: directory)
    restarted.waitUntilExit()
    #expect(restarted.terminationStatus == 0)
    #expect(try summary(output).resumedFrom == nil)
    #expect(!FileManager.default.fileExists(atPath: attempt.path))
}

// MARK: - Using a trained run: evaluate and recommend

/// Trains the tiny end-to-end experiment (or a baseline) into a fresh directory.
private func trainedTinyRun(cell: CellKind = .lstm, loss: LossKind = .crossEntropy) throws -> URL {
    var spec = try ConfigLoader.load(path: ConfigFixtures.fixtures.appendingPathComponent("e2e/tiny.yaml").path)
    spec.model.cell = cell
    spec.training.loss = loss
    let directory = FileManager.default.temporaryDirectory.appendingPathComponent("seqrec-trained-\(UUID().uuidString)")
    spec.output.dir = directory.path
    let outcome = ExperimentRunner.run(spec, options: RunOptions(quiet: true, configPath: ConfigFixtures.fixtures.appendingPathComponent("e2e/tiny.yaml").path),
                                       datasets: DatasetCache())
    #expect(outcome.status == .ok, "\(outcome.message)")
    return directory
}

@Test(arguments: [CellKind.lstm, .pop, .markov])
func evaluateReproducesTheReportAndStatesItsProtocol(_ cell: CellKind) throws {
    let directory = try trainedTinyRun(cell: cell)
    defer { try? FileManager.default.removeItem(at: directory) }
    let report = try ReportReader.read(directory.appendingPathComponent("report.json"))
    let same = try TrainedRun(directory: directory).evaluate(split: .test)
    #expect(same.evaluation.metrics.metrics == report.test?.metrics)
    #expect(same.evaluation.configHash == report.configHash && same.evaluation.split == "test")
    let sampled = try TrainedRun(directory: directory, overrides: ["evaluation.candidates={sampled: 20}"]).evaluate(split: .validation)
    #expect(sampled.url != same.url && sampled.evaluation.metrics.sampled)
    #expect(sampled.evaluation.metrics.metrics != same.evaluation.metrics.metrics)
    var written = try ReportCoding.decoder().decode(RunEvaluation.self, from: Data(contentsOf: sampled.url))
    #expect(abs(written.createdAt.date.timeIntervalSince(sampled.evaluation.createdAt.date)) < 0.01)
    written.createdAt = sampled.evaluation.createdAt  // stored to the millisecond
    #expect(written == sampled.evaluation)
    let perUser = try #require(written.metrics.perUserFile)
    #expect(FileManager.default.fileExists(atPath: directory.appendingPathComponent(perUser).path))
    // runner compare reads the test-split evaluations beside the report, under their protocol.
    let sampledTest = try TrainedRun(directory: directory, overrides: ["evaluation.candidates={sampled: 20}"]).evaluate(split: .test)
    let runs = try ComparisonBuilder.loadRuns(paths: [directory.path])
    #expect(runs.count == 3)  // the report, the same-protocol evaluation, the sampled one (validation ones are not read)
    let loaded = try #require(runs.first { $0.displayPath.hasSuffix("[\(sampledTest.url.lastPathComponent)]") })
    #expect(loaded.report.test == sampledTest.evaluation.metrics && loaded.perUser != nil)
    #expect(ComparisonBuilder.compare(runs).rows.count == 2)
    #expect(throws: TrainedRunError.notAnEvaluationKey("model.hidden_size=4")) {
        try TrainedRun(directory: directory, overrides: ["model.hidden_size=4"])
    }
}

/// The sampled losses train the layer that full-ranking evaluation scores with (for sasrec the
/// item table): the saved model reproduces its report's test metrics.
@Test(arguments: [(CellKind.sasrec, LossKind.binaryCrossEntropy), (.sasrec, .sampledSoftmax), (.gru, .binaryCrossEntropy),
                        (.sasrec, .generalizedBinaryCrossEntropy), (.lstm, .generalizedBinaryCrossEntropy)])
func evaluateReproducesTheReportOfASampledLoss(_ cell: CellKind, _ loss: LossKind) throws {
    let directory = try trainedTinyRun(cell: cell, loss: loss)
    defer { try? FileManager.default.removeItem(at: directory) }
    let report = try ReportReader.read(directory.appendingPathComponent("report.json"))
    #expect(report.history.allSatisfy { $0.trainLoss.isFinite && $0.trainLoss > 0 })
    let same = try TrainedRun(directory: directory).evaluate(split: .test)
    let metrics = try #require(report.test?.metrics)
    #expect(same.evaluation.metrics.metrics == metrics)
    #expect((metrics["ndcg@10"] ?? 0) > 0)
}

@Test func recommendRanksUnseenItemsByTheModelsScores() throws {
    let directory = try trainedTinyRun()
    defer { try? FileManager.default.removeItem(at: directory) }
    let trained = try TrainedRun(directory: directory)
    let ids = try RunCheckpoint.readIds(in: directory)
    let user = ids.users[3]
    let results = try trained.recommend([.user(user), .history([ids.items[5], ids.items[7]])], k: 4, includeSeen: false)
    #expect(results.count == 2 && results.allSatisfy { $0.items.count == 4 })
    #expect(results[0].user == user && results[1].user == nil)
    #expect(zip(results[0].scores, results[0].scores.dropFirst()).allSatisfy { $0 >= $1 })
    #expect(!results[1].items.contains(ids.items[5]) && !results[1].items.contains(ids.items[7]))
    // The same scores the model gives that history directly: the best unseen item is the argmax.
    let withSeen = try trained.recommend([.history([ids.items[5], ids.items[7]])], k: 40, includeSeen: true)[0]
    let unseenBest = withSeen.items.first { $0 != ids.items[5] && $0 != ids.items[7] }
    #expect(results[1].items.first == unseenBest)
    #expect(throws: TrainedRunError.unknownIds(users: ["no-such-user"], items: ["no-such-item"])) {
        try trained.recommend([.user("no-such-user"), .history(["no-such-item"])], k: 3, includeSeen: false)
    }
}

/// What `recommend` leaves out is the query's whole history, not only the last
/// `split.max_length` items that form the model's input (docs/trained-models.md).
@Test func recommendLeavesOutTheWholeHistoryNotOnlyTheInput() throws {
    let directory = try trainedTinyRun()
    defer { try? FileManager.default.removeItem(at: directory) }
    let trained = try TrainedRun(directory: directory)
    let ids = try RunCheckpoint.readIds(in: directory)
    let length = trained.spec.split.maxLength + 3
    try #require(ids.items.count > length + 2)
    let history = Array(ids.items.dropFirst().prefix(length))  // (item 0 is padding) the first 3 are older than the input
    let everyUnseen = trained.itemCount - length
    let result = try trained.recommend([.history(history)], k: everyUnseen, includeSeen: false)[0]
    #expect(result.items.count == everyUnseen)
    #expect(Set(result.items).isDisjoint(with: history))
}

@Test func aCorruptOrForeignCheckpointIsRefusedAndNothingIsWritten() throws {
    let directory = try trainedTinyRun()
    defer { try? FileManager.default.removeItem(at: directory) }
    let model = directory.appendingPathComponent(RunFiles.model)
    let bytes = try Data(contentsOf: model)
    try bytes.prefix(bytes.count - 10).write(to: model)
    do {
        _ = try TrainedRun(directory: directory)
        Issue.record("a truncated checkpoint loaded")
    } catch {
        #expect("\(error)".hasPrefix("\(model.path): corrupt or truncated: "), "\(error)")
    }
    try FileManager.default.removeItem(at: model)
    #expect(throws: CheckpointError.missing(path: model.path, kind: "model checkpoint")) { try TrainedRun(directory: directory) }
    let files = try FileManager.default.contentsOfDirectory(atPath: directory.path)
    #expect(!files.contains { $0.hasPrefix("evaluation-") })
}
