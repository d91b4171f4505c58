import Foundation
@testable import SeqRec

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
