// `seqrec-bench checkpoint`: wall time (including fsync) and size of what a run writes
// besides its report, for a model of the main job's shape (lstm50: 1,682 items, embedding
// 64, hidden 50, full softmax, Adam): model.safetensors at every validation improvement,
// state.safetensors after every epoch, and reading the state back (resume). Wall time, not
// CPU time: the cost a run pays is mostly the write and its flush.
//
//   seqrec-bench checkpoint [--items 1682] [--embedding 64] [--hidden 50] [--iterations 20] [--dir DIR]

import Foundation
import SeqRec

enum CheckpointBench {
    static func run(arguments: [String]) throws {
        var items = 1682, embedding = 64, hidden = 50, iterations = 20
        var directory = FileManager.default.temporaryDirectory.appendingPathComponent("seqrec-ckpt-bench-\(getpid())")
        BenchOptions.forEach(arguments) { option, value in
            switch option {
            case "--items": items = Int(value) ?? items
            case "--embedding": embedding = Int(value) ?? embedding
            case "--hidden": hidden = Int(value) ?? hidden
            case "--iterations": iterations = Int(value) ?? iterations
            case "--dir": directory = URL(fileURLWithPath: value)
            default: return false
            }
            return true
        }
        defer { try? FileManager.default.removeItem(at: directory) }
        var spec = ModelSpec()
        (spec.cell, spec.embeddingSize, spec.hiddenSize, spec.layers) = (.lstm, embedding, hidden, 1)
        var rng = SeededGenerator(seed: 1)
        let model = SequenceRecommender(spec: spec, task: .nextItem, loss: .crossEntropy, numItems: items, negatives: 0,
                                        sampling: .uniform, itemCounts: [], rng: &rng)
        let optimizer = Adam()
        optimizer.step(model.arena, learningRate: 1e-3)  // so that its moments exist
        let weights = model.arena.copyValues()
        // A state as a run saves it after epoch 1 of 3 (one batch), with early stopping's best weights.
        var experiment = ExperimentSpec(name: "bench")
        experiment.training.epochs = 3
        let metric = experiment.training.earlyStopping?.metric ?? MetricSpec(kind: .ndcg, k: 10)
        var stopper = EarlyStopping(metric: metric, patience: 10)
        _ = stopper.record(0.1, epoch: 1)
        let state = TrainingState(
            epoch: 1, finished: false, message: "", weights: weights, bestWeights: weights, optimizer: optimizer.state,
            shuffleRandom: SeededGenerator(seed: 2), dropoutRandom: [SeededGenerator(seed: 3), SeededGenerator(seed: 4)],
            earlyStopping: stopper,
            history: [EpochRecord(epoch: 1, trainLoss: 1, validation: [metric.description: 0.1], seconds: 1, targetsPerSecond: 1,
                                  learningRate: 1e-3)],
            trainingSeconds: 0, validationSeconds: 0)
        let config = String(repeating: "x", count: 2_000)  // about a resolved config's size
        func wallMilliseconds(_ body: () throws -> Void) rethrows -> (median: Double, min: Double) {
            try body()
            var times: [Double] = []
            for _ in 0..<max(iterations, 1) {
                let start = Date()
                try body()
                times.append(Date().timeIntervalSince(start) * 1e3)
            }
            times.sort()
            return (times[times.count / 2], times[0])
        }
        let model_ = try wallMilliseconds {
            try RunCheckpoint.writeModel(model.parameters, configJSON: config, configHash: "h", epoch: 3, in: directory)
        }
        let state_ = try wallMilliseconds {
            try RunCheckpoint.writeState(state, arena: model.arena, configHash: experiment.configHash, in: directory)
        }
        let read = try wallMilliseconds {
            _ = try RunCheckpoint.readState(at: directory.appendingPathComponent(RunFiles.state), spec: experiment,
                                            arena: model.arena, batchesPerEpoch: 1)
        }
        func size(_ name: String) -> Double {
            let attributes = try? FileManager.default.attributesOfItem(atPath: directory.appendingPathComponent(name).path)
            return Double((attributes?[.size] as? Int) ?? 0) / 1e6
        }
        print(String(format: "parameters %d (arena %d floats)", model.parameterCount, model.arena.count))
        print(String(format: "model.safetensors  %.2f MB  write %.1f ms (median of %d, min %.1f)",
                     size(RunFiles.model), model_.median, iterations, model_.min))
        print(String(format: "state.safetensors  %.2f MB  write %.1f ms (median, min %.1f)  read %.1f ms (median, min %.1f)",
                     size(RunFiles.state), state_.median, state_.min, read.median, read.min))
    }
}
