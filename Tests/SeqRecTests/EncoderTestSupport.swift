import Foundation
@testable import SeqRec
@testable import SeqRecCore
@testable import SeqRecNumerics

/// Runs forward on [B, T] ids and returns the outputs [B, T, H] as an array.
func runForward(_ encoder: RecurrentEncoder, _ ids: [Int32], batch: Int, steps: Int, training: Bool, seed: UInt64 = 1) -> [Float] {
    var rng = SeededGenerator(seed: seed)
    return ids.withUnsafeBufferPointer { Array(encoder.forward(inputs: $0, batch: batch, steps: steps, training: training, rng: &rng)) }
}

/// Runs backward with dOutputs [B, T, H].
func runBackward(_ encoder: RecurrentEncoder, _ upstream: [Float]) {
    upstream.withUnsafeBufferPointer { encoder.backward(dOutputs: $0) }
}

/// loss = sum(outputs * upstream), accumulated in Double.
func weightedSum(_ outputs: [Float], _ upstream: [Float]) -> Double {
    zip(outputs, upstream).reduce(0.0) { $0 + Double($1.0) * Double($1.1) }
}

func zeroGrads(_ encoder: RecurrentEncoder) {
    for parameter in encoder.parameters { parameter.zeroGrad() }
}

/// Deterministic values in [-1, 1) for upstream gradients and test inputs.
func uniformValues(_ count: Int, seed: UInt64) -> [Float] {
    var rng = SeededGenerator(seed: seed)
    return (0..<count).map { _ in rng.nextFloat(in: -1, 1) }
}

/// A 2-layer SequenceRecommender over items 1...itemCounts.count - 1 (3 sampled negatives).
func makeTinyRecommender(cell: CellKind, task: TaskKind = .nextItem, loss: LossKind, sampling: SamplingStrategy = .uniform,
                         itemCounts: [Int], embeddingSize: Int, hiddenSize: Int, dropout: Double,
                         seed: UInt64, sparseGradients: Bool = false) -> SequenceRecommender {
    var spec = ModelSpec()
    spec.cell = cell
    spec.embeddingSize = embeddingSize
    spec.hiddenSize = hiddenSize
    spec.layers = 2
    spec.dropout = dropout
    var rng = SeededGenerator(seed: seed)
    return SequenceRecommender(spec: spec, task: task, loss: loss, numItems: itemCounts.count - 1, negatives: 3,
                               sampling: sampling, itemCounts: itemCounts, sparseGradients: sparseGradients, rng: &rng)
}
