// A saved training state is checked field by field against the config before a run resumes
// from it, by the same check `runner plan` applies; a state or model holding NaN or infinite
// weights is refused as corrupt, naming the tensor.

import Foundation
import Testing
@testable import SeqRec
@testable import SeqRecCore
@testable import SeqRecNumerics

private let tinyConfig = ConfigFixtures.fixtures.appendingPathComponent("e2e/tiny.yaml").path

private struct RunFailed: Error { var message: String }

/// The tiny experiment (2 epochs, early stopping, Adam, 1 thread) in `directory`.
private func tinySpec(in directory: URL) throws -> ExperimentSpec {
    var spec = try ConfigLoader.load(path: tinyConfig)
    spec.output.dir = directory.path
    spec.training.threads = 1
    return spec
}

private func run(_ spec: ExperimentSpec) -> RunOutcome {
    ExperimentRunner.run(spec, options: RunOptions(quiet: true, configPath: tinyConfig), datasets: DatasetCache())
}

/// A genuine saved state: the tiny run trained to its end whose test pass then failed (its
/// per_user.tsv is a directory), so that it kept its state of epoch 2 (finished).
private let savedRun: Result<URL, any Error> = Result {
    let directory = FileManager.default.temporaryDirectory.appendingPathComponent("seqrec-state-template-\(UUID().uuidString)")
    let blocker = directory.appendingPathComponent(ReportWriter.perUserFileName)
    try FileManager.default.createDirectory(at: blocker, withIntermediateDirectories: true)
    try Data().write(to: blocker.appendingPathComponent("keep"))
    let outcome = run(try tinySpec(in: directory))
    guard outcome.status == .failed, FileManager.default.fileExists(atPath: directory.appendingPathComponent(RunFiles.state).path) else {
        throw RunFailed(message: "expected a failed run with a saved state, got \(outcome.status): \(outcome.message)")
    }
    try FileManager.default.removeItem(at: blocker)
    return directory
}

/// A fresh copy of the saved run, and its spec. The output directory is part of the config,
/// so the copy's state is stamped with the copy's config hash (nothing else changes).
private func copyOfSavedRun() throws -> (directory: URL, spec: ExperimentSpec) {
    let copy = FileManager.default.temporaryDirectory.appendingPathComponent("seqrec-state-\(UUID().uuidString)")
    try FileManager.default.copyItem(at: savedRun.get(), to: copy)
    let spec = try tinySpec(in: copy)
    try tamper(copy) { $0.metadata["config_hash"] = spec.configHash }
    return (copy, spec)
}

/// Rewrites the copy's state.safetensors through `edit`.
private func tamper(_ directory: URL, _ edit: (inout SafeTensorsFile) throws -> Void) throws {
    let url = directory.appendingPathComponent(RunFiles.state)
    var file = try SafeTensorsFile.read(contentsOf: url)
    try edit(&file)
    try file.serialized().write(to: url)
}

/// One entry of the state's `layout` metadata.
private struct LayoutEntry: Decodable {
    var name: String
    var offset: Int
}

private func planLabel(_ spec: ExperimentSpec) -> String {
    PlannedPoint(configPath: tinyConfig, point: GridPoint(runName: spec.name, varied: [], spec: spec), state: SkipRule.state(of: spec),
                 arguments: []).listingLabel
}

@Suite(.serialized) struct SavedStateTests {
    @Test func anUntamperedStateResumesAndPlanSaysSo() throws {
        let (directory, spec) = try copyOfSavedRun()
        defer { try? FileManager.default.removeItem(at: directory) }
        #expect(planLabel(spec) == "failed, resumable at epoch 2")
        let outcome = run(spec)
        #expect(outcome.status == .ok, "\(outcome.message)")
        #expect(try ReportReader.read(directory.appendingPathComponent("report.json")).resumedFromEpoch == 2)
    }

    /// Each edit, and the exact message the run fails with (plan calls each state unusable).
    @Test(arguments: [
        ("epoch -3", "metadata 'epoch' is -3, expected 1...2 (training.epochs)"),
        ("epoch 99", "metadata 'epoch' is 99, expected 1...2 (training.epochs)"),
        ("best epoch 999", "metadata 'early_stopping' best epoch is 999, expected 1...2 (the epochs run)"),
        ("no dropout stream", "metadata 'random_dropout' is an empty list, expected one random stream per worker thread"),
        ("two dropout streams", "metadata 'random_dropout' is 2 streams, expected 1, one per worker thread (training.threads)"),
        ("one history record", "metadata 'history' is 1 epoch record, expected 2, one per epoch up to 'epoch'"),
        ("not finished", "metadata 'finished' is false, expected true (epoch 2 is the last of training.epochs)"),
        ("optimizer step + 1", "metadata 'optimizer_step' is {step + 1}, expected {step} (2 epochs of {step / 2} batches)"),
        ("unknown optimizer buffer", "tensor 'optimizer.momentum_buffer' is present, expected only 'optimizer.exp_avg', "
            + "'optimizer.exp_avg_sq' for adam"),
    ])
    func aTamperedFieldIsRefusedByTheRunAndByPlan(_ edit: String, _ problem: String) throws {
        let (directory, spec) = try copyOfSavedRun()
        defer { try? FileManager.default.removeItem(at: directory) }
        let savedStep = try #require(Int(try SafeTensorsFile.readMetadata(
            contentsOf: directory.appendingPathComponent(RunFiles.state))["optimizer_step"] ?? ""))
        let problem = problem.replacingOccurrences(of: "{step + 1}", with: "\(savedStep + 1)")
            .replacingOccurrences(of: "{step / 2}", with: "\(savedStep / 2)").replacingOccurrences(of: "{step}", with: "\(savedStep)")
        try tamper(directory) { file in
            switch edit {
            case "epoch -3": file.metadata["epoch"] = "-3"
            case "epoch 99": file.metadata["epoch"] = "99"
            case "best epoch 999":
                var record = try JSONSerialization.jsonObject(with: Data((file.metadata["early_stopping"] ?? "").utf8)) as? [String: Any] ?? [:]
                record["bestEpoch"] = 999
                file.metadata["early_stopping"] = String(decoding: try JSONSerialization.data(withJSONObject: record), as: UTF8.self)
            case "no dropout stream": file.metadata["random_dropout"] = "[]"
            case "two dropout streams": file.metadata["random_dropout"] = "[[1, 2, 3, 4], [5, 6, 7, 8]]"
            case "one history record":
                let history = try JSONSerialization.jsonObject(with: Data((file.metadata["history"] ?? "").utf8)) as? [Any] ?? []
                file.metadata["history"] = String(decoding: try JSONSerialization.data(withJSONObject: Array(history.prefix(1))), as: UTF8.self)
            case "not finished": file.metadata["finished"] = "false"
            case "optimizer step + 1": file.metadata["optimizer_step"] = String(savedStep + 1)
            default: file.tensors["optimizer.momentum_buffer"] = file.tensors["weights"]
            }
        }
        let state = directory.appendingPathComponent(RunFiles.state).path
        #expect(planLabel(spec) == "failed, saved state unusable")
        let outcome = run(spec)
        #expect(outcome.status == .failed)
        #expect(outcome.message == "\(state): \(problem): the file is corrupt or was edited (run again with --restart to start at epoch 1)")
    }

    @Test func aStateWithNaNWeightsIsCorruptNotDiverged() throws {
        let (directory, spec) = try copyOfSavedRun()
        defer { try? FileManager.default.removeItem(at: directory) }
        var index = 0
        try tamper(directory) { file in
            var weights = try #require(file.tensors["weights"]).floats()
            // The first element of the second parameter (the first one past its padding).
            let layout = try JSONDecoder().decode([LayoutEntry].self, from: Data((file.metadata["layout"] ?? "").utf8))
            let second = try #require(layout.sorted { $0.offset < $1.offset }.dropFirst().first)
            index = second.offset
            weights[index] = .nan
            weights[index + 1] = .infinity
            file.tensors["weights"] = try SafeTensor(shape: [weights.count], floats: weights)
        }
        #expect(planLabel(spec) == "failed, saved state unusable")
        let outcome = run(spec)
        #expect(outcome.status == .failed)
        let layout = try JSONDecoder().decode([LayoutEntry].self, from: Data(
            (try SafeTensorsFile.readMetadata(contentsOf: directory.appendingPathComponent(RunFiles.state))["layout"] ?? "").utf8))
        let name = try #require(layout.sorted { $0.offset < $1.offset }.dropFirst().first).name
        #expect(outcome.message == "\(directory.path)/state.safetensors: tensor 'weights' holds 2 non-finite values (the first, nan, "
            + "at element \(index), in \(name) element 0): the file is corrupt (a run never saves non-finite weights) "
            + "(run again with --restart to start at epoch 1)")
    }

    @Test func aHalfTruncatedStateIsNotResumableInThePlan() throws {
        let (directory, spec) = try copyOfSavedRun()
        defer { try? FileManager.default.removeItem(at: directory) }
        let url = directory.appendingPathComponent(RunFiles.state)
        let bytes = try Data(contentsOf: url)
        try bytes.prefix(bytes.count / 2).write(to: url)
        #expect(planLabel(spec) == "failed, saved state unusable")
        let outcome = run(spec)
        #expect(outcome.status == .failed && outcome.message.hasPrefix("\(url.path): corrupt or truncated: "), "\(outcome.message)")
    }

    /// recommend and evaluate refuse a model file with a NaN or infinite weight, naming it.
    @Test(arguments: [Float.nan, -Float.infinity])
    func aModelWithNonFiniteWeightsIsRefused(_ value: Float) throws {
        let (directory, spec) = try copyOfSavedRun()
        defer { try? FileManager.default.removeItem(at: directory) }
        #expect(run(spec).status == .ok)
        let url = directory.appendingPathComponent(RunFiles.model)
        var file = try SafeTensorsFile.read(contentsOf: url)
        var weights = try #require(file.tensors["rnn.weight_hh_l0"]).floats()
        weights[5] = value
        file.tensors["rnn.weight_hh_l0"] = try SafeTensor(shape: [32, 8], floats: weights)
        try file.serialized().write(to: url)
        do {
            _ = try TrainedRun(directory: directory)
            Issue.record("a model with a non-finite weight was loaded")
        } catch {
            #expect("\(error)" == "\(url.path): tensor 'rnn.weight_hh_l0' holds 1 non-finite value (the first, \(value), at element 5): "
                + "the file is corrupt (a run never saves non-finite weights)")
        }
    }
}

/// An update that overflows the weights without a non-finite gradient (learning rate 1e39 is
/// infinite in Float) stops the run as diverged at the end of its epoch: it is neither
/// validated nor saved, so a file with non-finite weights can only be a corrupt one.
@Test func anEpochThatLeavesNonFiniteWeightsDiverges() throws {
    let directory = FileManager.default.temporaryDirectory.appendingPathComponent("seqrec-overflow-\(UUID().uuidString)")
    defer { try? FileManager.default.removeItem(at: directory) }
    var spec = try tinySpec(in: directory)
    spec.training.epochs = 1
    spec.training.batchSize = 100_000  // one batch: no later step would see the overflow
    spec.training.clipNorm = nil
    spec.training.optimizer.name = .sgd
    spec.training.optimizer.learningRate = 1e39
    let outcome = run(spec)
    #expect(outcome.status == .diverged)
    #expect(outcome.message.hasPrefix("training diverged in epoch 1: its last update left "), "\(outcome.message)")
    #expect(outcome.message.hasSuffix(" not finite. Lower training.optimizer.learning_rate or set training.clip_norm"))
    #expect(!FileManager.default.fileExists(atPath: directory.appendingPathComponent(RunFiles.model).path))
}
