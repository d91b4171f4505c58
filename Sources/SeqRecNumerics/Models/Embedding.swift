import Foundation

// Item embedding [V, E], V = numItems + 1. Row 0 is the padding item: it is zero at init,
// stays zero (never receives gradient), so padded positions embed to the zero vector.
// Initialised N(0, 1) like torch.nn.Embedding, then row 0 zeroed (as padding_idx=0 does).

public final class Embedding {
    package let weight: Parameter  // [V, E]
    package let vocabularySize: Int
    package let dimension: Int

    package init(vocabularySize: Int, dimension: Int, name: String = "embedding.weight", rng: inout SeededGenerator) {
        self.vocabularySize = vocabularySize
        self.dimension = dimension
        var values = [Float](repeating: 0, count: vocabularySize * dimension)
        for index in dimension..<values.count { values[index] = Embedding.standardNormal(&rng) }
        weight = Parameter(name: name, shape: [vocabularySize, dimension], values: values)
    }

    /// Box-Muller in Double; one normal per call (the pair's second value is dropped to keep
    /// the stream position simple to reason about).
    static func standardNormal(_ rng: inout SeededGenerator) -> Float {
        let u1 = 1.0 - Double(rng.next() >> 11) * 0x1.0p-53  // (0, 1]
        let u2 = Double(rng.next() >> 11) * 0x1.0p-53
        return Float((-2.0 * log(u1)).squareRoot() * cos(2.0 * Double.pi * u2))
    }

    /// output[t, b, :] = weight[ids[b, t], :]  (ids [B, T] batch-major, output [T, B, E] time-major)
    func gather(ids: UnsafePointer<Int32>, batch: Int, steps: Int, into output: UnsafeMutablePointer<Float>) {
        KernelDispatch.active.gatherRows(table: weight.value, width: dimension, ids: ids, idStride: steps, batch: batch, steps: steps,
                                         into: output)
    }

    /// grad[ids[b, t], :] += dOutput[t, b, :] for every non-padding id (dOutput [T, B, E]);
    /// marks those rows when the weight tracks rows.
    func accumulateGradient(ids: UnsafePointer<Int32>, batch: Int, steps: Int, dOutput: UnsafePointer<Float>) {
        markRows(ids: ids, count: batch * steps)
        KernelDispatch.active.scatterAddRows(dOutput, width: dimension, ids: ids, idStride: steps, batch: batch, steps: steps,
                                             into: weight.grad)
    }

    /// Marks the rows of the non-padding `ids` [count] as touched (a no-op for a dense
    /// weight). Every path that writes into weight.grad calls this with the batch's ids.
    func markRows(ids: UnsafePointer<Int32>, count: Int) {
        weight.markRows(ids: UnsafeBufferPointer(start: ids, count: count))
    }
}
