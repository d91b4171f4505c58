// The activation layout: what a model allocates for a batch shape is exactly what the memory
// estimate counts (ModelSize.workspaceFloats), region by region: after a real training step
// and an evaluation pass every workspace is bound to the region of its name and used to its
// full size; a steady state (the same shape again, a smaller one, evaluation) allocates
// nothing; regions are 64-byte aligned and disjoint.

import Foundation
import Testing
@testable import SeqRec
@testable import SeqRecCore
@testable import SeqRecNumerics

private func spec(_ yaml: String) throws -> ExperimentSpec {
    try ConfigLoader.load(bytes: Array(yaml.utf8), displayName: "layout.yaml")
}

private let numItems = 23  // V = 24: a 3 x 5 batch reads the gathered input, a 9 x 7 one the table

/// B x T full rows (every position an item with a target), so that every target-sized
/// region is used to the end.
private func fullBatch(rows: Int, steps: Int, seed: UInt64) -> SequenceBatch {
    var rng = SeededGenerator(seed: seed)
    let inputs = (0..<(rows * steps)).map { _ in Int32(1 + Int(rng.nextUnitFloat() * Float(numItems - 1))) }
    let targets = (0..<(rows * steps)).map { _ in Int32(1 + Int(rng.nextUnitFloat() * Float(numItems - 1))) }
    let ratings = (0..<(rows * steps)).map { _ in 1 + 4 * rng.nextUnitFloat() }
    return SequenceBatch(batchSize: rows, steps: steps, inputs: inputs, targets: targets, ratings: ratings,
                         users: (0..<rows).map { Int32($0) })
}

/// The settings every case varies: per cell, depth 1 without dropout and depth 2 with it.
private func caseSpec(cell: String, depth: Int, task: String, loss: String) throws -> ExperimentSpec {
    let dropout = depth == 1 ? "dropout: 0.0" : "dropout: 0.2"
    let recurrent = ["lstm", "gru", "rnn"].contains(cell)
    let extra = recurrent ? (depth == 2 ? ", output_dropout: 0.3" : "")
        : cell == "sasrec" ? ", norm: \(depth == 1 ? "post" : "pre")" : ", mask_probability: 0.999"
    return try spec("""
        task: \(task)
        model: {cell: \(cell), embedding_size: 12, hidden_size: 8, layers: \(depth), blocks: \(depth), heads: 2, \(dropout)\(extra)}
        split: {max_length: 8}
        training: {loss: \(loss), negatives: 5}
        """)
}

private func makeModel(_ spec: ExperimentSpec) -> SequenceRecommender {
    var rng = SeededGenerator(seed: 3)
    return SequenceRecommender(spec: spec.model, task: spec.task, loss: spec.training.loss, numItems: numItems,
                               negatives: spec.training.negatives, sampling: .uniform, itemCounts: [],
                               maxLength: spec.split.maxLength, rng: &rng)
}

private func layout(_ spec: ExperimentSpec, _ shape: ActivationShape) -> ActivationLayout {
    SequenceRecommender.activationLayout(spec: spec.model, loss: spec.training.loss, numItems: numItems,
                                         negatives: spec.training.negatives, maxLength: spec.split.maxLength, shape: shape)
}

private func estimate(_ spec: ExperimentSpec, _ shape: ActivationShape) -> Double {
    ModelSize.workspaceFloats(spec.model, loss: spec.training.loss, numItems: numItems, negatives: spec.training.negatives,
                              maxLength: spec.split.maxLength, shape: shape)
}

/// Every workspace of `model` is bound to the region of `layout` at its place and used to the
/// region's end (`exceptHead`: the head's target-sized regions at most, for cloze masking;
/// `atMost`: every region, for a forward whose backward regions stay unused).
private func expectBound(_ model: SequenceRecommender, to layout: ActivationLayout, exceptHead: Bool, atMost: Bool = false,
                         _ label: String) {
    let buffers = model.activationBuffers
    #expect(buffers.count == layout.regions.count, "\(label): \(buffers.count) workspaces, \(layout.regions.count) regions")
    for (buffer, region) in zip(buffers, layout.regions) {
        #expect(buffer.region == region.name, "\(label): \(buffer.region ?? "an unbound buffer") at \(region.name)")
        if atMost || (exceptHead && (region.name.hasPrefix("head.") || region.name == "dHidden")) {
            #expect(Double(buffer.highWater) <= region.count, "\(label): \(region.name)")
        } else {
            #expect(Double(buffer.highWater) == region.count,
                    "\(label): \(region.name) holds \(region.count) floats, the step used \(buffer.highWater)")
        }
    }
    #expect(!model.encoderHasOwnArena, "\(label): the encoder allocated outside the model's arena")
}

@Suite("Activation layout")
struct ActivationLayoutTests {
    @Test("a training step and an evaluation pass allocate exactly the estimate, region by region",
          arguments: ["lstm", "gru", "rnn", "sasrec", "bert4rec"], [1, 2])
    func allocationEqualsEstimate(cell: String, depth: Int) throws {
        let recurrent = ["lstm", "gru", "rnn"].contains(cell)
        let cases = [("next-item", "cross-entropy"), ("next-item", "sampled-softmax"), ("next-item", "bce"),
                     ("next-item", "gbce")] + (recurrent ? [("rating", "mse")] : [])
        for (task, loss) in cases {
            for (rows, steps) in [(3, 5), (9, 7)] {
                let spec = try caseSpec(cell: cell, depth: depth, task: task, loss: loss)
                let label = "\(cell) \(depth) \(loss) \(rows)x\(steps)"
                let model = makeModel(spec)
                let batch = fullBatch(rows: rows, steps: steps, seed: UInt64(rows))
                var rng = SeededGenerator(seed: 11)
                let result = model.trainBatch(batch, rng: &rng)
                #expect(result.targets > 0, "\(label)")
                // BERT4Rec trains on the cloze rows: the window and its last target.
                let trainedSteps = cell == "bert4rec" ? min(steps + 1, spec.split.maxLength) : steps
                let training = ActivationShape(batch: rows, steps: trainedSteps, pass: .training)
                let trainingLayout = layout(spec, training)
                #expect(Double(model.activations.capacity) == trainingLayout.total, "\(label)")
                #expect(estimate(spec, training) == trainingLayout.total, "\(label)")
                expectBound(model, to: trainingLayout, exceptHead: cell == "bert4rec", "\(label) training")

                // Evaluation: the next-item scores (forward-only layout), or the rating predictions.
                let pass: ActivationPass = task == "rating" ? .forward : .evaluation
                if task == "rating" {
                    _ = model.predictRatings(batch)
                } else {
                    _ = model.withFixedWeights { model.scoreNext(batch) }
                }
                let evaluationLayout = layout(spec, ActivationShape(batch: rows, steps: steps, pass: pass))
                #expect(Double(model.activations.capacity) == max(trainingLayout.total, evaluationLayout.total), "\(label)")
                #expect(estimate(spec, ActivationShape(batch: rows, steps: steps, pass: pass)) == evaluationLayout.total,
                        "\(label)")
                expectBound(model, to: evaluationLayout, exceptHead: false, atMost: task == "rating", "\(label) evaluation")
            }
        }
    }

    @Test("steps of the same shape, a smaller shape and evaluation allocate nothing once the largest is allocated",
          arguments: ["lstm", "gru", "sasrec", "bert4rec"])
    func steadyStateAllocatesNothing(cell: String) throws {
        let spec = try caseSpec(cell: cell, depth: 2, task: "next-item", loss: "cross-entropy")
        let model = makeModel(spec)
        let large = fullBatch(rows: 9, steps: 7, seed: 1), small = fullBatch(rows: 3, steps: 5, seed: 2)
        var rng = SeededGenerator(seed: 4)
        _ = model.trainBatch(large, rng: &rng)
        _ = model.withFixedWeights { model.scoreNext(large) }
        let allocations = model.activations.allocations
        let capacity = model.activations.capacity
        #expect(allocations >= 1)
        for _ in 0..<3 {
            _ = model.trainBatch(large, rng: &rng)
            _ = model.trainBatch(small, rng: &rng)
            _ = model.withFixedWeights { (model.scoreNext(small), model.scoreNext(large)) }
        }
        #expect(model.activations.allocations == allocations)
        #expect(model.activations.capacity == capacity)
        #expect(!model.encoderHasOwnArena)
    }

    @Test("a smaller shape after a larger one gives the same results as on a fresh model (no stale workspace read)",
          arguments: ["lstm", "gru", "rnn", "sasrec", "bert4rec"])
    func reusedRegionsHoldNoStaleState(cell: String) throws {
        let spec = try caseSpec(cell: cell, depth: 2, task: "next-item", loss: "sampled-softmax")
        let large = fullBatch(rows: 9, steps: 7, seed: 1), small = fullBatch(rows: 3, steps: 5, seed: 2)
        let fresh = makeModel(spec), reused = makeModel(spec)
        var unused = SeededGenerator(seed: 9)
        _ = reused.trainBatch(large, rng: &unused)
        _ = reused.withFixedWeights { reused.scoreNext(large) }
        reused.arena.values.update(from: fresh.arena.values, count: fresh.arena.count)
        reused.arena.grads.update(repeating: 0, count: reused.arena.count)
        var rngA = SeededGenerator(seed: 5), rngB = SeededGenerator(seed: 5)
        let a = fresh.trainBatch(small, rng: &rngA), b = reused.trainBatch(small, rng: &rngB)
        #expect(a.loss == b.loss)
        let gradsA = Array(UnsafeBufferPointer(start: fresh.arena.grads, count: fresh.arena.count))
        let gradsB = Array(UnsafeBufferPointer(start: reused.arena.grads, count: reused.arena.count))
        #expect(gradsA == gradsB)
        #expect(fresh.withFixedWeights { fresh.scoreNext(small) } == reused.withFixedWeights { reused.scoreNext(small) })
    }

    @Test("regions are 64-byte aligned, in order and disjoint; the total covers the last one",
          arguments: ["lstm", "gru", "rnn", "sasrec", "bert4rec"])
    func regionsAreAlignedAndDisjoint(cell: String) throws {
        let spec = try caseSpec(cell: cell, depth: 2, task: "next-item", loss: "sampled-softmax")
        for pass in [ActivationPass.training, .forward, .evaluation] {
            let layout = layout(spec, ActivationShape(batch: 5, steps: 7, pass: pass))
            #expect(!layout.regions.isEmpty)
            var end = 0.0
            for region in layout.regions {
                #expect(region.offset.truncatingRemainder(dividingBy: Double(ActivationLayout.alignment)) == 0, "\(region.name)")
                #expect(region.offset >= end, "\(region.name) overlaps the region before it")
                end = region.offset + region.count
            }
            #expect(layout.total >= end && layout.total.truncatingRemainder(dividingBy: 16) == 0)
            #expect(Set(layout.regions.map(\.name)).count == layout.regions.count, "region names repeat")
            // The estimate counts without keeping regions, to the same total.
            #expect(estimate(spec, ActivationShape(batch: 5, steps: 7, pass: pass)) == layout.total)
        }
    }

    @Test("absurd settings give a finite estimate without building the regions")
    func absurdSettingsDoNotOverflow() throws {
        let huge = try spec("model: {cell: lstm, hidden_size: 1000000000, embedding_size: 1000000000}")
        let floats = ModelSize.workspaceFloats(huge.model, loss: .crossEntropy, numItems: 1_000_000_000, negatives: 100,
                                               maxLength: 1_000_000, shape: ActivationShape(batch: 1_000_000, steps: 1_000_000, pass: .training))
        #expect(floats.isFinite && floats >= 1e21)  // at least the outputs [B, T, H]
    }
}
