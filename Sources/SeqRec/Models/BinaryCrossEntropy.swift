// Binary cross-entropy with one sampled negative per target: the loss of the SASRec paper
// (Kang & McAuley 2018) and its PyTorch port (pmixer/SASRec.pytorch, python/main.py). Each
// row with a target p gets its own negative n, drawn from the sampler (redrawn while it
// equals p), and both are scored by the output layer (tied, SASRec: the item embedding
// rows, no bias; untied, the cells: output.weight and output.bias). Per target row i, with
// N target rows and h_i [H]:
//
//     s+_i = w_p . h_i + b_p,   s-_i = w_n . h_i + b_n
//     L    = (1/N) sum_i [ -log σ(s+_i) - log(1 - σ(s-_i)) ]
//          = (1/N) sum_i [ softplus(-s+_i) + softplus(s-_i) ]
//     dL/ds+_i = (σ(s+_i) - 1) / N,   dL/ds-_i = σ(s-_i) / N
//     dh_i = ds+_i w_p + ds-_i w_n,   dw_p += ds+_i h_i,   dw_n += ds-_i h_i,
//     db_p += ds+_i,   db_n += ds-_i
//
// The port's loss is BCEWithLogitsLoss (mean) over the positives' logits plus the same over
// the negatives', both over the N non-padding positions: the two terms summed, averaged over
// N (not 2N), as here. The cost is O(N·H) whatever the catalogue size; evaluation scores the
// full catalogue with SoftmaxOutputLayer.scores.

import Foundation

public final class BinaryCrossEntropy {
    /// The layer that scores items: output.weight [V, H] (+ output.bias [V]), or tied to the item embedding.
    public let output: SoftmaxOutputLayer
    public let sampler: NegativeSampler

    // Workspaces, kept across batches.
    private var targetRows: [Int] = []  // [N] row of each target in the [R, H] input
    private var targetClasses: [Int32] = []  // [N]
    private var negatives: [Int32] = []  // [N]

    public init(output: SoftmaxOutputLayer, sampler: NegativeSampler) {
        precondition(sampler.numItems + 1 == output.classes,
                     "sampler covers \(sampler.numItems) items but the output layer has \(output.classes) classes")
        self.output = output
        self.sampler = sampler
    }

    /// Draws one negative per target row (in row order, from `rng`), then behaves as
    /// `lossAndBackward(hidden:targets:dHidden:negatives:)`.
    public func lossAndBackward(
        hidden: UnsafePointer<Float>, targets: UnsafeBufferPointer<Int32>, dHidden: UnsafeMutablePointer<Float>,
        rng: inout SeededGenerator
    ) -> (loss: Double, targets: Int) {
        negatives.removeAll(keepingCapacity: true)
        for target in targets where target != 0 {
            var negative = sampler.sample(&rng)
            // A negative equal to the target is drawn again (impossible to avoid with one item).
            while negative == target && sampler.numItems > 1 { negative = sampler.sample(&rng) }
            negatives.append(negative)
        }
        return lossAndBackward(hidden: hidden, targets: targets, dHidden: dHidden, negatives: negatives)
    }

    /// Mean loss over the rows of `hidden` [R, H] whose `targets` [R] entry is not 0, the k-th
    /// such row against `negatives[k]` ([N] item ids). Adds gradients into the output layer
    /// (only the target and negative rows, which it marks when they track rows) and into the
    /// target rows of `dHidden` [R, H]. Returns the mean loss and N (0, 0 without targets).
    func lossAndBackward(
        hidden: UnsafePointer<Float>, targets: UnsafeBufferPointer<Int32>, dHidden: UnsafeMutablePointer<Float>,
        negatives drawn: [Int32]
    ) -> (loss: Double, targets: Int) {
        let h = output.inputSize
        TargetPositions.gather(targets, classCount: output.classes, rows: &targetRows, classes: &targetClasses)
        let n = targetRows.count
        precondition(drawn.count == n, "\(drawn.count) negatives for \(n) targets")
        guard n > 0 else { return (0, 0) }
        let (w, dw) = (output.weight.value, output.weight.grad)  // [V, H]
        let (b, db) = (output.bias?.value, output.bias?.grad)  // [V]; nil when tied (b = 0)
        let scale = 1 / Double(n)
        var totalLoss = 0.0
        for i in 0..<n {
            let x = hidden + targetRows[i] * h, dx = dHidden + targetRows[i] * h  // [H]
            let (positive, negative) = (Int(targetClasses[i]), Int(drawn[i]))
            precondition(negative >= 1 && negative < output.classes, "negative \(negative) out of range 1..<\(output.classes)")
            var sPositive = Double(BufferOps.dot(x, w + positive * h, count: h))
            var sNegative = Double(BufferOps.dot(x, w + negative * h, count: h))
            if let b {
                sPositive += Double(b[positive])
                sNegative += Double(b[negative])
            }
            totalLoss += Self.softplus(-sPositive) + Self.softplus(sNegative)
            let dPositive = Float((Self.sigmoid(sPositive) - 1) * scale)
            let dNegative = Float(Self.sigmoid(sNegative) * scale)
            BufferOps.addScaled(dPositive, w + positive * h, into: dx, count: h)
            BufferOps.addScaled(dNegative, w + negative * h, into: dx, count: h)
            BufferOps.addScaled(dPositive, x, into: dw + positive * h, count: h)
            BufferOps.addScaled(dNegative, x, into: dw + negative * h, count: h)
            db?[positive] += dPositive
            db?[negative] += dNegative
        }
        // Row-sparse gradients: only the targets' and negatives' rows of W and b were written.
        let bias = output.bias
        if output.weight.tracksRows || bias?.tracksRows == true {
            for item in drawn + targetClasses {
                output.weight.markRow(Int(item))
                bias?.markRow(Int(item))
            }
        }
        return (totalLoss / Double(n), n)
    }

    /// log(1 + e^x), without overflow: max(x, 0) + log1p(e^-|x|).
    static func softplus(_ x: Double) -> Double {
        max(x, 0) + log1p(exp(-abs(x)))
    }

    /// 1 / (1 + e^-x), without overflow on either side.
    static func sigmoid(_ x: Double) -> Double {
        if x >= 0 { return 1 / (1 + exp(-x)) }
        let e = exp(x)
        return e / (1 + e)
    }
}
