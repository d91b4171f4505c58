// Binary cross-entropy over sampled negatives, in the generalised form of gSASRec (Petrov &
// Macdonald, "gSASRec: Reducing Overconfidence in Sequential Recommendation Trained with
// Negative Sampling", RecSys 2023; reference code asash/gSASRec-pytorch). One head serves two
// losses:
//
//   bce  (SASRec's loss: Kang & McAuley 2018, pmixer/SASRec.pytorch): k = 1, β = 1, and the
//        two terms summed per target (the port's two BCEWithLogitsLoss means added);
//   gbce (gSASRec's): k negatives per target, the positive's probability raised to the power
//        β = α (t (1 − 1/α) + 1/α) with the sampling rate α = k / (|I| − 1) and the
//        calibration t in [0, 1] (β = 1 − t (1 − α): t = 0 gives β = 1, plain BCE over k negatives;
//        t = 1 gives β = α, the fully calibrated case), and the k + 1 terms
//        averaged per target (the reference's BCE `reduction='none'` then `.mean(-1)`).
//
// Each target row i (N of them) with target p and hidden state h_i [H] gets k negatives
// n_i1..n_ik drawn from the sampler (with replacement; a draw equal to p is drawn again, so
// they are uniform over the |I| − 1 other items under uniform sampling, which is what α
// counts), scored by the output layer (tied, SASRec: the item embedding rows, no bias;
// untied, the cells: output.weight and output.bias):
//
//     s+_i = w_p . h_i + b_p,   s-_ij = w_nij . h_i + b_nij
//     L    = (1/N) sum_i c [ β softplus(-s+_i) + sum_j softplus(s-_ij) ]     c = 1 (bce), 1/(k+1) (gbce)
//
// gSASRec writes the positive term as BCE on a transformed logit γ(s+) = log(1 / (σ(s+)^-β − 1)),
// chosen so that σ(γ(s+)) = σ(s+)^β; then −log σ(γ(s+)) = −β log σ(s+) = β softplus(−s+)
// exactly. The reference evaluates γ in float64 through pow, division and log, with clamps
// at 1e-10 that only flatten the loss where |s+| > about 23; the softplus form needs no
// clamp and is what this head computes (the golden fixture checks it against γ). Gradients:
//
//     dL/ds+_i  = c β (σ(s+_i) − 1) / N,   dL/ds-_ij = c σ(s-_ij) / N
//     dh_i = ds+_i w_p + sum_j ds-_ij w_nij,   dw_p += ds+_i h_i,   dw_nij += ds-_ij h_i,
//     db_p += ds+_i,   db_nij += ds-_ij
//
// The cost is O(N·k·H) whatever the catalogue size; evaluation scores the full catalogue
// with SoftmaxOutputLayer.scores.

import Foundation

package final class GeneralizedBinaryCrossEntropy {
    /// How the loss is set: the number of negatives per target, β, and the per-target factor c.
    package struct Form: Sendable, Equatable {
        /// k: negatives drawn per target.
        package let negativesPerTarget: Int
        /// The power of the positive's probability.
        package let beta: Double
        /// Whether a target's k + 1 terms are averaged (gbce) or summed (bce).
        package let averagesTerms: Bool

        /// SASRec's loss: one negative, β = 1, the two terms summed.
        package static let bce = Form(negativesPerTarget: 1, beta: 1, averagesTerms: false)

        /// gSASRec's loss over a catalogue of `items` items. A catalogue of one item has no
        /// other item to sample (the draws are that item, as under bce) and no sampling rate: β = 1.
        package static func gbce(negatives: Int, items: Int, t: Double) -> Form {
            let beta = items >= 2 ? beta(negatives: negatives, items: items, t: t) : 1
            return Form(negativesPerTarget: negatives, beta: beta, averagesTerms: true)
        }

        /// β = α (t (1 − 1/α) + 1/α) with α = k / (|I| − 1), as the paper and its reference code.
        package static func beta(negatives: Int, items: Int, t: Double) -> Double {
            precondition(negatives >= 1 && items >= 2, "gbce needs k >= 1 negatives and at least 2 items, got k = \(negatives), \(items) items")
            let alpha = Double(negatives) / Double(items - 1)
            return alpha * (t * (1 - 1 / alpha) + 1 / alpha)
        }

        init(negativesPerTarget: Int, beta: Double, averagesTerms: Bool) {
            precondition(negativesPerTarget >= 1, "at least 1 negative per target, got \(negativesPerTarget)")
            self.negativesPerTarget = negativesPerTarget
            self.beta = beta
            self.averagesTerms = averagesTerms
        }
    }

    /// The layer that scores items: output.weight [V, H] (+ output.bias [V]), or tied to the item embedding.
    package let output: SoftmaxOutputLayer
    package let sampler: NegativeSampler
    package let form: Form

    // Workspaces, kept across batches (they grow to the largest batch once).
    private var targetRows: [Int] = []  // [N] row of each target in the [R, H] input
    private var targetClasses: [Int32] = []  // [N]
    private var negatives: [Int32] = []  // [N, k]
    private var negativeGradients: [Float]  // [k] dL/ds- of one row

    package init(output: SoftmaxOutputLayer, sampler: NegativeSampler, form: Form) {
        precondition(sampler.numItems + 1 == output.classes,
                     "sampler covers \(sampler.numItems) items but the output layer has \(output.classes) classes")
        self.output = output
        self.sampler = sampler
        self.form = form
        negativeGradients = [Float](repeating: 0, count: form.negativesPerTarget)
    }

    /// Draws k negatives per target row (row by row, from `rng`), then behaves as
    /// `lossAndBackward(hidden:targets:dHidden:negatives:)`.
    package func lossAndBackward(
        hidden: UnsafePointer<Float>, targets: UnsafeBufferPointer<Int32>, dHidden: UnsafeMutablePointer<Float>,
        rng: inout SeededGenerator
    ) -> (loss: Double, targets: Int) {
        negatives.removeAll(keepingCapacity: true)
        for target in targets where target != 0 {
            for _ in 0..<form.negativesPerTarget {
                var negative = sampler.sample(&rng)
                // A negative equal to the target is drawn again (impossible to avoid with one item).
                while negative == target && sampler.numItems > 1 { negative = sampler.sample(&rng) }
                negatives.append(negative)
            }
        }
        return lossAndBackward(hidden: hidden, targets: targets, dHidden: dHidden, negatives: negatives)
    }

    /// Mean loss over the rows of `hidden` [R, H] whose `targets` [R] entry is not 0, the i-th
    /// such row against `negatives[i*k ..< (i+1)*k]` ([N, k] item ids). Adds gradients into the
    /// output layer (only the target and negative rows, which it marks when they track rows)
    /// and into the target rows of `dHidden` [R, H]. Returns the mean loss and N (0, 0 without targets).
    func lossAndBackward(
        hidden: UnsafePointer<Float>, targets: UnsafeBufferPointer<Int32>, dHidden: UnsafeMutablePointer<Float>,
        negatives drawn: [Int32]
    ) -> (loss: Double, targets: Int) {
        let h = output.inputSize
        let k = form.negativesPerTarget
        TargetPositions.gather(targets, classCount: output.classes, rows: &targetRows, classes: &targetClasses)
        let n = targetRows.count
        precondition(drawn.count == n * k, "\(drawn.count) negatives for \(n) targets x \(k)")
        guard n > 0 else { return (0, 0) }
        let (w, dw) = (output.weight.value, output.weight.grad)  // [V, H]
        let (b, db) = (output.bias?.value, output.bias?.grad)  // [V]; nil when tied (b = 0)
        let beta = form.beta
        // c / N: the per-target factor c (1 or 1/(k+1)) and the mean over targets.
        let scale = 1 / (Double(n) * (form.averagesTerms ? Double(k + 1) : 1))
        var totalLoss = 0.0
        negativeGradients.withUnsafeMutableBufferPointer { dNegatives in
            for i in 0..<n {
                let x = hidden + targetRows[i] * h, dx = dHidden + targetRows[i] * h  // [H]
                let positive = Int(targetClasses[i])
                let rowNegatives = i * k ..< (i + 1) * k
                var sPositive = Double(BufferOps.dot(x, w + positive * h, count: h))
                if let b { sPositive += Double(b[positive]) }
                var rowLoss = beta * Self.softplus(-sPositive)
                for (j, index) in rowNegatives.enumerated() {
                    let negative = Int(drawn[index])
                    precondition(negative >= 1 && negative < output.classes, "negative \(negative) out of range 1..<\(output.classes)")
                    var sNegative = Double(BufferOps.dot(x, w + negative * h, count: h))
                    if let b { sNegative += Double(b[negative]) }
                    rowLoss += Self.softplus(sNegative)
                    dNegatives[j] = Float(Self.sigmoid(sNegative) * scale)
                }
                totalLoss += form.averagesTerms ? rowLoss / Double(k + 1) : rowLoss
                let dPositive = Float(beta * (Self.sigmoid(sPositive) - 1) * scale)
                BufferOps.addScaled(dPositive, w + positive * h, into: dx, count: h)
                for (j, index) in rowNegatives.enumerated() {
                    BufferOps.addScaled(dNegatives[j], w + Int(drawn[index]) * h, into: dx, count: h)
                }
                BufferOps.addScaled(dPositive, x, into: dw + positive * h, count: h)
                for (j, index) in rowNegatives.enumerated() {
                    BufferOps.addScaled(dNegatives[j], x, into: dw + Int(drawn[index]) * h, count: h)
                }
                db?[positive] += dPositive
                for (j, index) in rowNegatives.enumerated() { db?[Int(drawn[index])] += dNegatives[j] }
            }
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
