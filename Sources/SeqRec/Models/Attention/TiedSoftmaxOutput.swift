// SASRec's output: the score of class c at a position is the dot product of the encoder's
// output h [D] with row c of the item embedding (tied weights, no bias, as the port):
//
//     z [N, V] = h E^T,   loss = mean over the N positions with a target of
//                                (logsumexp_c z_c - z_target)
//     dz = (softmax(z) - onehot(target)) / N,   dE += dz^T h,   dh = dz E
//
// V = numItems + 1 (class 0, padding, is scored but is never a target), exactly
// F.cross_entropy(h @ E.T, target) on those positions.

final class TiedSoftmaxOutput {
    /// The item embedding [V, D] (owned by the encoder; this layer adds into its gradient).
    let weight: Parameter
    let classes: Int
    let inputSize: Int

    private let gatheredHidden = FloatBuffer()   // [N, D]
    private let blockLogits = FloatBuffer()      // [rowBlock, V], becomes dLoss/dLogits
    private let gatheredDHidden = FloatBuffer()  // [N, D]
    private var targetClasses: [Int32] = []      // [N]
    private var targetRows: [Int] = []           // [N]

    init(itemEmbedding: Parameter) {
        weight = itemEmbedding
        classes = itemEmbedding.shape[0]
        inputSize = itemEmbedding.shape[1]
    }

    /// Mean cross-entropy over the rows of `hidden` [R, D] whose target [R] is not 0, in
    /// blocks of SoftmaxOutputLayer.rowBlock rows. Adds into weight.grad and the matching rows
    /// of dHidden [R, D]. Returns the mean loss and N.
    func lossAndBackward(hidden: UnsafePointer<Float>, targets: UnsafeBufferPointer<Int32>,
                         dHidden: UnsafeMutablePointer<Float>) -> (loss: Double, targets: Int) {
        let d = inputSize
        targetRows.removeAll(keepingCapacity: true)
        targetClasses.removeAll(keepingCapacity: true)
        for (row, target) in targets.enumerated() where target != 0 {
            precondition(Int(target) < classes, "target class \(target) out of range 0..<\(classes)")
            targetRows.append(row)
            targetClasses.append(target)
        }
        let n = targetRows.count
        guard n > 0 else { return (0, 0) }
        let blockRows = SoftmaxOutputLayer.rowBlock
        gatheredHidden.resize(to: n * d)
        blockLogits.resize(to: min(n, blockRows) * classes)
        gatheredDHidden.resize(to: n * d)
        let (x, z, dx) = (gatheredHidden.pointer, blockLogits.pointer, gatheredDHidden.pointer)
        for (i, row) in targetRows.enumerated() { BufferOps.copyRow(hidden + row * d, to: x + i * d, count: d) }
        var totalLoss = 0.0
        targetClasses.withUnsafeBufferPointer { tBuffer in
            guard let t = tBuffer.baseAddress else { return }
            var start = 0
            while start < n {
                let rows = min(blockRows, n - start)
                let xBlock = x + start * d
                BLAS.sgemm(transA: false, transB: true, m: rows, n: classes, k: d, alpha: 1, a: xBlock, lda: d,
                           b: weight.value, ldb: d, beta: 0, c: z, ldc: classes)
                totalLoss += SoftmaxCrossEntropy.lossAndGradientInPlace(
                    logits: z, rows: rows, columns: classes, targetColumns: t + start, gradientScale: 1 / Float(n))
                BLAS.sgemm(transA: true, transB: false, m: classes, n: d, k: rows, alpha: 1, a: z, lda: classes,
                           b: xBlock, ldb: d, beta: 1, c: weight.grad, ldc: d)
                BLAS.sgemm(transA: false, transB: false, m: rows, n: d, k: classes, alpha: 1, a: z, lda: classes,
                           b: weight.value, ldb: d, beta: 0, c: dx + start * d, ldc: d)
                start += rows
            }
        }
        for (i, row) in targetRows.enumerated() { BufferOps.addRow(dx + i * d, into: dHidden + row * d, count: d) }
        return (totalLoss / Double(n), n)
    }

    /// Scores of every class: hidden [N, D] -> [N, V].
    func scores(hidden: [Float]) -> [Float] {
        let rows = hidden.count / inputSize
        var out = [Float](repeating: 0, count: rows * classes)
        hidden.withUnsafeBufferPointer { h in
            out.withUnsafeMutableBufferPointer { o in
                guard let h = h.baseAddress, let o = o.baseAddress else { return }
                BLAS.sgemm(transA: false, transB: true, m: rows, n: classes, k: inputSize, alpha: 1, a: h, lda: inputSize,
                           b: weight.value, ldb: inputSize, beta: 0, c: o, ldc: classes)
            }
        }
        return out
    }
}
