// `seqrec-bench export-split CONFIG --output DIR [--epochs E] [--set key=value ...]`:
// writes the data of one experiment exactly as seqrec's runner builds it, so that the PyTorch
// reference of `make bench-e2e` (bench/e2e_torch.py) trains on the same batches and is scored
// on the same validation cases, without re-implementing the preprocessing in Python.
//
// Files in DIR (raw little-endian int32, described by header.json):
//   train_inputs.i32, train_targets.i32  every batch of epochs 1...E, [rows, steps] row-major
//       each, epoch-major, in the order the Trainer sees them (same seed, same "shuffle"
//       stream, same TrainingBatcher); target 0 = no target at that position
//   val_inputs.i32                       the validation batches as EvaluationBatcher builds
//       them (256 cases per batch, history truncated to max_length, left-aligned)
//   val_lengths.i32 [cases]              inputs per case (the score is read after the last)
//   val_targets.i32 [cases]              the held-out item
//   val_excluded_offsets.i32 [cases + 1], val_excluded_items.i32
//       with exclude_seen: the seen items (the full history, not truncated) that are not the
//       target, deduplicated; removed from the case's candidates like RankingEvaluator does
// header.json also holds, per epoch, the batch shapes and the padded positions and targets
// that the benchmark's FLOP count uses.

import Foundation
import SeqRec

struct SplitExportError: Error, CustomStringConvertible {
    let description: String
}

enum SplitExport {
    /// Users per validation batch; RankingPass.batchSize in the library.
    static let evaluationBatchSize = 256

    static func run(arguments: [String]) throws {
        var configPath: String?
        var outputPath: String?
        var epochs = 1
        var overrides: [String] = []
        var index = 0
        func value() throws -> String {
            index += 1
            guard index < arguments.count else {
                throw SplitExportError(description: "export-split: missing value after \(arguments[index - 1])")
            }
            return arguments[index]
        }
        while index < arguments.count {
            switch arguments[index] {
            case "--output": outputPath = try value()
            case "--epochs":
                let text = try value()
                guard let parsed = Int(text), parsed >= 1 else {
                    throw SplitExportError(description: "export-split: --epochs expects an integer >= 1, found '\(text)'")
                }
                epochs = parsed
            case "--set": overrides.append(try value())
            case let argument where argument.hasPrefix("--"):
                throw SplitExportError(description: "export-split: unknown option \(argument)")
            case let argument:
                guard configPath == nil else {
                    throw SplitExportError(description: "export-split: one config file expected, found a second: \(argument)")
                }
                configPath = argument
            }
            index += 1
        }
        guard let configPath, let outputPath else {
            throw SplitExportError(description: "usage: seqrec-bench export-split CONFIG --output DIR [--epochs E] [--set key=value ...]")
        }
        try export(configPath: configPath, overrides: overrides, epochs: epochs,
                   to: URL(fileURLWithPath: outputPath, isDirectory: true))
    }

    static func export(configPath: String, overrides: [String], epochs: Int, to directory: URL) throws {
        let spec = try ConfigLoader.load(path: configPath, overrides: overrides)
        guard spec.task == .nextItem, !spec.evaluation.candidates.isSampled else {
            throw SplitExportError(description: "export-split: the reference evaluates next-item full ranking; \(configPath) has task \(spec.task.rawValue), candidates \(spec.evaluation.candidates.label)")
        }
        // Data exactly as ExperimentRunner.execute builds it.
        let baseDirectory = URL(fileURLWithPath: configPath).deletingLastPathComponent().path
        let data = try DatasetLoader.load(spec.dataset, seed: spec.seed, baseDirectory: baseDirectory,
                                          log: { FileHandle.standardError.write(Data(($0 + "\n").utf8)) })
        let split = try Splitter.split(data, spec: spec.split)
        let batcher = TrainingBatcher(sequences: split.train, ratings: split.trainRatings,
                                      maxLength: spec.split.maxLength, targetsPerBatch: spec.training.batchSize,
                                      warmUp: spec.model.cell.family.warmUpWindows)
        try FileManager.default.createDirectory(at: directory, withIntermediateDirectories: true)

        // Training: the Trainer's batches of epochs 1...E.
        var shuffleRandom = SeededGenerator(seed: spec.seed, stream: "shuffle")
        var trainInputs: [Int32] = [], trainTargets: [Int32] = []
        var epochHeaders: [[String: Any]] = []
        for epoch in 1...epochs {
            let batches = batcher.epoch(rng: &shuffleRandom)
            var shapes: [[Int]] = []
            var positions = 0, targets = 0
            for batch in batches {
                trainInputs += batch.inputs
                trainTargets += batch.targets
                let batchTargets = batch.targetCount
                shapes.append([batch.batchSize, batch.steps, batchTargets])
                positions += batch.batchSize * batch.steps
                targets += batchTargets
            }
            guard targets == batcher.targetCount else {
                throw SplitExportError(description: "export-split: epoch \(epoch) holds \(targets) targets, expected the batcher's \(batcher.targetCount)")
            }
            epochHeaders.append(["epoch": epoch, "batches": shapes, "positions": positions, "targets": targets])
        }

        // Validation: the cases and batches of the runner's RankingPass.
        let cases = split.validation
        let evaluationBatches = EvaluationBatcher.batches(cases, maxLength: spec.split.maxLength,
                                                          batchSize: evaluationBatchSize)
        var validationInputs: [Int32] = []
        for batch in evaluationBatches { validationInputs += batch.inputs }
        var lengths: [Int32] = [], targets: [Int32] = [], excludedOffsets: [Int32] = [0], excludedItems: [Int32] = []
        for evaluationCase in cases {
            guard evaluationCase.targets.count == 1 else {
                throw SplitExportError(description: "export-split: user \(evaluationCase.user) has \(evaluationCase.targets.count) validation targets, expected 1 (leave-one-out)")
            }
            let target = evaluationCase.targets[0]
            lengths.append(Int32(min(evaluationCase.history.count, spec.split.maxLength)))
            targets.append(target)
            if spec.evaluation.excludeSeen {
                var seen = Set<Int32>()
                for item in evaluationCase.history where item != 0 && item != target && seen.insert(item).inserted {
                    excludedItems.append(item)
                }
            }
            excludedOffsets.append(Int32(excludedItems.count))
        }

        try write(trainInputs, "train_inputs.i32", in: directory)
        try write(trainTargets, "train_targets.i32", in: directory)
        try write(validationInputs, "val_inputs.i32", in: directory)
        try write(lengths, "val_lengths.i32", in: directory)
        try write(targets, "val_targets.i32", in: directory)
        try write(excludedOffsets, "val_excluded_offsets.i32", in: directory)
        try write(excludedItems, "val_excluded_items.i32", in: directory)

        let header: [String: Any] = [
            "format": 1,
            "config": configPath,
            "overrides": overrides,
            "seed": spec.seed,
            "num_items": data.numItems,
            "max_length": spec.split.maxLength,
            "targets_per_batch": spec.training.batchSize,
            // The settings the reference must copy (the cell and sizes come from its flags).
            "model": ["cell": spec.model.cell.rawValue, "blocks": spec.model.blocks, "heads": spec.model.heads,
                      "norm": spec.model.norm.rawValue,
                      "embedding_size": spec.model.embeddingSize, "hidden_size": spec.model.hiddenSize,
                      "layers": spec.model.layers, "dropout": spec.model.dropout,
                      "output_dropout": spec.model.outputDropout, "forget_bias": spec.model.forgetBias,
                      "mask_probability": spec.model.maskProbability] as [String: Any],
            "training": ["optimizer": spec.training.optimizer.name.rawValue,
                         "learning_rate": spec.training.optimizer.learningRate,
                         "weight_decay": spec.training.optimizer.weightDecay,
                         "clip_norm": spec.training.clipNorm ?? 0] as [String: Any],
            "windows_per_batch": batcher.batchSize,
            "window_count": batcher.windowCount,
            "target_count": batcher.targetCount,
            "epochs": epochHeaders,
            "validation": [
                "cases": cases.count,
                "batches": evaluationBatches.map { [$0.batchSize, $0.steps] },
                "exclude_seen": spec.evaluation.excludeSeen,
                "candidates": spec.evaluation.candidates.label,
            ] as [String: Any],
        ]
        let json = try JSONSerialization.data(withJSONObject: header, options: [.prettyPrinted, .sortedKeys])
        try json.write(to: directory.appendingPathComponent("header.json"), options: .atomic)
        print("exported \(epochs) epoch(s) of \(batcher.targetCount) targets in \(epochHeaders.first.map { ($0["batches"] as? [[Int]])?.count ?? 0 } ?? 0) batches, \(cases.count) validation cases to \(directory.path)")
    }

    /// Raw little-endian int32.
    static func write(_ values: [Int32], _ name: String, in directory: URL) throws {
        let data = values.map(\.littleEndian).withUnsafeBufferPointer { Data(buffer: $0) }
        try data.write(to: directory.appendingPathComponent(name), options: .atomic)
    }
}
