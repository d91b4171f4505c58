// Sampled softmax: each target row is scored against its own class plus S negatives shared
// by the whole batch, instead of all V classes, so the per-batch cost is O(N·S·H) whatever
// the catalogue size. It trains the same output.weight / output.bias as the full layer
// (evaluation always scores the full catalogue with SoftmaxOutputLayer.scores); with a tied
// output layer (SASRec: SoftmaxOutputLayer(tiedTo:)) the weight rows are the item
// embedding's and there is no bias (b = 0 below, no bias gradient).
//
// logQ correction (Jean et al. 2015; TensorFlow's sampled_softmax_loss with
// subtract_log_q = true): with S draws with replacement from q, the expected number of
// times class j is drawn is S·q(j), and every logit that enters the sampled softmax,
// the target's and each negative's, is corrected to
//
//     z'_ij = w_j·h_i + b_j − log(S · q(j))
//
// which makes the sampled loss a consistent estimator of the full softmax's gradient.
// For uniform sampling the correction is the same constant for every column and cancels.
// Accidental hits (a negative equal to the row's own target) get z' = -infinity: zero
// probability, zero gradient. Duplicate negatives are kept as separate columns (each
// draw counts, matching the S·q(j) expectation).

import Foundation

package final class SampledSoftmax {
    package let output: SoftmaxOutputLayer
    /// The output layer's bias [V]; nil when the output is tied to the item embedding.
    package let bias: Parameter?
    /// S: negatives drawn per batch.
    package let negativeCount: Int
    package let sampler: NegativeSampler

    // Workspaces, grown on demand.
    private let gatheredHidden = FloatBuffer()  // [N, H]
    private let negativeWeights = FloatBuffer()  // [S, H]
    private let logits = FloatBuffer()  // [N, 1 + S], column 0 = the row's target
    private let gatheredDHidden = FloatBuffer()  // [N, H]
    private let negativeWeightGrads = FloatBuffer()  // [S, H]
    private var targetRows: [Int] = []
    private var targetClasses: [Int32] = []
    private var targetColumns: [Int32] = []  // all 0: the target is column 0
    private var negatives: [Int32] = []

    /// The floats `lossAndBackward` uses for up to `rows` target rows and S = `negatives`, in
    /// `bind` order: gathered rows and their gradient [N, H], logits [N, 1 + S], the negatives'
    /// weight rows and their gradients [S, H].
    static func activationRegions(into layout: inout ActivationLayout, prefix: @autoclosure () -> String, inputSize h: Int, negatives s: Int,
                                  rows n: Int) {
        layout.add("\(prefix()).gatheredHidden", n, h)
        layout.add("\(prefix()).negativeWeights", s, h)
        layout.add("\(prefix()).logits", n, 1 + s)
        layout.add("\(prefix()).gatheredDHidden", n, h)
        layout.add("\(prefix()).negativeWeightGrads", s, h)
    }

    /// Points the workspaces at `activationRegions`' regions (in its order).
    func bind(_ cursor: inout ActivationCursor) {
        cursor.bind(gatheredHidden, "gatheredHidden")
        cursor.bind(negativeWeights, "negativeWeights")
        cursor.bind(logits, "logits")
        cursor.bind(gatheredDHidden, "gatheredDHidden")
        cursor.bind(negativeWeightGrads, "negativeWeightGrads")
    }

    /// Every workspace, in `bind` order (tests).
    var activationBuffers: [FloatBuffer] { [gatheredHidden, negativeWeights, logits, gatheredDHidden, negativeWeightGrads] }

    package init(output: SoftmaxOutputLayer, negatives: Int, sampler: NegativeSampler) {
        precondition(negatives >= 1, "sampled softmax needs at least 1 negative, got \(negatives)")
        precondition(sampler.numItems + 1 == output.classes,
                     "sampler covers \(sampler.numItems) items but the output layer has \(output.classes) classes")
        self.output = output
        self.bias = output.bias
        self.negativeCount = negatives
        self.sampler = sampler
    }

    /// Draws S negatives from `rng`, then behaves as `lossAndBackward(hidden:targets:dHidden:negatives:)`.
    package func lossAndBackward(
        hidden: UnsafePointer<Float>, targets: UnsafeBufferPointer<Int32>, dHidden: UnsafeMutablePointer<Float>,
        rng: inout SeededGenerator
    ) -> (loss: Double, targets: Int) {
        var drawn = [Int32](repeating: 0, count: negativeCount)
        for s in 0..<negativeCount { drawn[s] = sampler.sample(&rng) }
        return lossAndBackward(hidden: hidden, targets: targets, dHidden: dHidden, negatives: drawn)
    }

    /// Mean sampled-softmax loss over the rows of `hidden` [R, H] whose target is not 0, with
    /// the given negatives [S]. Adds gradients into output.weight/bias (only the target and
    /// negative rows, which it marks when they track rows; the item embedding's rows when
    /// tied) and into the target rows of `dHidden` [R, H].
    func lossAndBackward(
        hidden: UnsafePointer<Float>, targets: UnsafeBufferPointer<Int32>, dHidden: UnsafeMutablePointer<Float>,
        negatives drawn: [Int32]
    ) -> (loss: Double, targets: Int) {
        let h = output.inputSize
        let s = drawn.count
        let width = 1 + s
        negatives = drawn
        TargetPositions.gather(targets, classCount: output.classes, rows: &targetRows, classes: &targetClasses)
        let n = targetRows.count
        guard n > 0 else { return (0, 0) }
        if targetColumns.count < n { targetColumns = [Int32](repeating: 0, count: n) }
        gatheredHidden.resize(to: n * h)
        gatheredDHidden.resize(to: n * h)
        logits.resize(to: n * width)
        negativeWeights.resize(to: s * h)
        negativeWeightGrads.resize(to: s * h)
        let logExpectedCount = { (item: Int32) -> Float in Float(log(Double(s) * self.sampler.probabilities[Int(item)])) }

        var totalLoss = 0.0
        let (wp, dw) = (output.weight.value, output.weight.grad)
        let (b, db) = (bias?.value, bias?.grad)  // nil when tied (b = 0)
        let (x, dx, z) = (gatheredHidden.pointer, gatheredDHidden.pointer, logits.pointer)
        let (wn, dwn) = (negativeWeights.pointer, negativeWeightGrads.pointer)
        do {
            for (i, row) in targetRows.enumerated() { BufferOps.copyRow(hidden + row * h, to: x + i * h, count: h) }
            for (j, item) in drawn.enumerated() { BufferOps.copyRow(wp + Int(item) * h, to: wn + j * h, count: h) }

            // Negative columns: z[:, 1...] = x Wn^T + b_neg - log(S q(neg)).
            var negativeOffsets = [Float](repeating: 0, count: s)
            for (j, item) in drawn.enumerated() {
                negativeOffsets[j] = if let b { b[Int(item)] - logExpectedCount(item) } else { -logExpectedCount(item) }
            }
            for i in 0..<n {
                for j in 0..<s { z[i * width + 1 + j] = negativeOffsets[j] }
            }
            BLAS.sgemm(transA: false, transB: true, m: n, n: s, k: h,
                       alpha: 1, a: x, lda: h, b: wn, ldb: h, beta: 1, c: z + 1, ldc: width)
            // Target column and accidental-hit masking.
            for i in 0..<n {
                let target = targetClasses[i]
                let score = BufferOps.dot(x + i * h, wp + Int(target) * h, count: h)
                z[i * width] = if let b { score + b[Int(target)] - logExpectedCount(target) } else { score - logExpectedCount(target) }
                for j in 0..<s where drawn[j] == target { z[i * width + 1 + j] = -.infinity }
            }
            totalLoss = targetColumns.withUnsafeBufferPointer { t in
                guard let tp = t.baseAddress else { return 0 }
                return SoftmaxCrossEntropy.lossAndGradientInPlace(
                    logits: z, rows: n, columns: width, targetColumns: tp, gradientScale: 1 / Float(n))
            }
            // z now holds dL/dz'. Input gradient: dx = dz[:, 0] W[target] + dz[:, 1...] Wn.
            BLAS.sgemm(transA: false, transB: false, m: n, n: h, k: s,
                       alpha: 1, a: z + 1, lda: width, b: wn, ldb: h, beta: 0, c: dx, ldc: h)
            for i in 0..<n {
                BufferOps.addScaled(z[i * width], wp + Int(targetClasses[i]) * h, into: dx + i * h, count: h)
            }
            // Negative weight gradients: dWn [S, H] = dz[:, 1...]^T x, scattered (duplicates add up).
            BLAS.sgemm(transA: true, transB: false, m: s, n: h, k: n,
                       alpha: 1, a: z + 1, lda: width, b: x, ldb: h, beta: 0, c: dwn, ldc: h)
            for (j, item) in drawn.enumerated() {
                BufferOps.addRow(dwn + j * h, into: dw + Int(item) * h, count: h)
                guard let db else { continue }
                var columnSum: Float = 0
                for i in 0..<n { columnSum += z[i * width + 1 + j] }
                db[Int(item)] += columnSum
            }
            for i in 0..<n {
                let target = Int(targetClasses[i])
                BufferOps.addScaled(z[i * width], x + i * h, into: dw + target * h, count: h)
                db?[target] += z[i * width]
            }
            for (i, row) in targetRows.enumerated() { BufferOps.addRow(dx + i * h, into: dHidden + row * h, count: h) }
        }
        // Row-sparse gradients: only the targets' and negatives' rows of W and b were written.
        if output.weight.tracksRows || bias?.tracksRows == true {
            for item in drawn + targetClasses {
                output.weight.markRow(Int(item))
                bias?.markRow(Int(item))
            }
        }
        return (totalLoss / Double(n), n)
    }
}
