// The full-softmax output layer: Linear [H] -> [V] over every class, V = numItems + 1
// (class 0 is padding: it is scored but is never a target), trained with the mean
// softmax cross-entropy over the positions that have a target. Exactly PyTorch's
// nn.Linear(H, V) followed by nn.CrossEntropyLoss() on those positions.
//
// Tied (SASRec): the weight is the encoder's item embedding [V, D] and there is no bias
// (BERT4Rec: its first V rows, and a bias the encoder owns),
//     z [N, V] = h E^T,   dz = (softmax(z) - onehot(target)) / N,   dE += dz^T h,   dh = dz E
// exactly F.cross_entropy(h @ E.T, target); the layer owns no parameter then.

public final class SoftmaxOutputLayer {
    /// "output.weight" [V, H], or the tied item embedding.
    public let weight: Parameter
    /// "output.bias" [V]; nil when tied.
    public let bias: Parameter?
    /// Whether `weight` is another layer's (the item embedding), so not among `parameters`.
    package let isTied: Bool
    /// V: number of classes (items + padding).
    public let classes: Int
    /// H: size of the hidden state fed in.
    public let inputSize: Int

    /// Rows per block of the fused forward/backward pass. A block's logits [rows, V] stay in
    /// L2 (128 x 1,683 x 4 B = 0.86 MB) between the logits sgemm, the softmax pass and the two
    /// gradient sgemms, instead of streaming an [N, V] block (86 MB at N = 12,800) through
    /// memory four times. Fixed, so results do not depend on the batch split.
    static let rowBlock = 128

    // Workspaces: regions of the model's ActivationArena (`activationRegions`), or of the
    // layer's own memory when it is used on its own (tests).
    private let gatheredHidden = FloatBuffer()  // [N, H]
    private let blockLogits = FloatBuffer()  // [rowBlock, V], becomes dLoss/dLogits of the block
    private let gatheredDHidden = FloatBuffer()  // [N, H]
    private var targetClasses: [Int32] = []  // [N]
    private var targetRows: [Int] = []  // [N] row of each target in the [R, H] input

    /// PyTorch nn.Linear init: weight and bias ~ U(-1/sqrt(H), 1/sqrt(H)) (kaiming-uniform with
    /// a = sqrt(5) reduces to this bound). Weight values are drawn first, row-major, then the bias.
    public init(classes: Int, inputSize: Int, rng: inout SeededGenerator) {
        precondition(classes >= 2 && inputSize >= 1, "output layer needs >= 2 classes and >= 1 input, got \(classes), \(inputSize)")
        self.classes = classes
        self.inputSize = inputSize
        let bound = 1 / Float(inputSize).squareRoot()
        let weightValues = (0..<(classes * inputSize)).map { _ in rng.nextFloat(in: -bound, bound) }
        let biasValues = (0..<classes).map { _ in rng.nextFloat(in: -bound, bound) }
        weight = Parameter(name: "output.weight", shape: [classes, inputSize], values: weightValues)
        bias = Parameter(name: "output.bias", shape: [classes], values: biasValues)
        isTied = false
    }

    /// Scores against the first `classes` rows of `itemEmbedding` [>= V, D] (all of them when
    /// nil; BERT4Rec's table has a mask row that is not a class), plus `bias` [V] when given;
    /// both owned by the encoder, gradients add into them.
    public init(tiedTo itemEmbedding: Parameter, classes: Int? = nil, bias: Parameter? = nil) {
        precondition(itemEmbedding.shape.count == 2, "a tied output needs a [V, D] table, got \(itemEmbedding.shape)")
        let classes = classes ?? itemEmbedding.shape[0]
        precondition(classes >= 2 && classes <= itemEmbedding.shape[0], "\(classes) classes from a table of \(itemEmbedding.shape[0]) rows")
        precondition(bias.map { $0.count == classes } ?? true, "a tied bias needs \(classes) values")
        weight = itemEmbedding
        self.bias = bias
        isTied = true
        self.classes = classes
        inputSize = itemEmbedding.shape[1]
    }

    public var parameters: [Parameter] { isTied ? [] : [weight] + (bias.map { [$0] } ?? []) }

    /// The floats `lossAndBackward` uses for up to `rows` target rows, in `bind` order: the
    /// gathered rows [N, H], one block of logits [min(N, rowBlock), V], their gradient [N, H].
    static func activationRegions(into layout: inout ActivationLayout, prefix: @autoclosure () -> String, classes: Int, inputSize: Int,
                                  rows: Int) {
        layout.add("\(prefix()).gatheredHidden", rows, inputSize)
        layout.add("\(prefix()).blockLogits", min(rows, rowBlock), classes)
        layout.add("\(prefix()).gatheredDHidden", rows, inputSize)
    }

    /// Points the workspaces at `activationRegions`' regions (in its order).
    func bind(_ cursor: inout ActivationCursor) {
        cursor.bind(gatheredHidden, "gatheredHidden")
        cursor.bind(blockLogits, "blockLogits")
        cursor.bind(gatheredDHidden, "gatheredDHidden")
    }

    /// Every workspace, in `bind` order (tests).
    var activationBuffers: [FloatBuffer] { [gatheredHidden, blockLogits, gatheredDHidden] }

    /// Mean cross-entropy over the rows of `hidden` [R, H] whose `targets` [R] entry is not 0.
    /// Only those N rows go through the layer, gathered into [N, H] and processed in blocks
    /// of `rowBlock` rows: logits sgemm, fused bias / softmax / cross-entropy / bias-gradient pass,
    /// then dW += dZ^T x and dx = dZ W for the block. Adds d(mean loss) into `weight.grad`,
    /// `bias.grad` and the matching rows of `dHidden` [R, H] (other rows are untouched).
    /// Returns the mean loss and N (loss 0 when N = 0).
    public func lossAndBackward(
        hidden: UnsafePointer<Float>, targets: UnsafeBufferPointer<Int32>, dHidden: UnsafeMutablePointer<Float>
    ) -> (loss: Double, targets: Int) {
        let h = inputSize
        TargetPositions.gather(targets, classCount: classes, rows: &targetRows, classes: &targetClasses)
        let n = targetRows.count
        guard n > 0 else { return (0, 0) }
        let blockCapacity = min(n, Self.rowBlock)
        gatheredHidden.resize(to: n * h)
        blockLogits.resize(to: blockCapacity * classes)
        gatheredDHidden.resize(to: n * h)
        let gradientScale = 1 / Float(n)
        let (x, z, dx) = (gatheredHidden.pointer, blockLogits.pointer, gatheredDHidden.pointer)
        // x [N, H] <- hidden rows with a target.
        for (i, row) in targetRows.enumerated() {
            BufferOps.copyRow(hidden + row * h, to: x + i * h, count: h)
        }
        var totalLoss = 0.0
        targetClasses.withUnsafeBufferPointer { tBuffer in
            guard let t = tBuffer.baseAddress else { return }
            var start = 0
            while start < n {
                let rows = min(Self.rowBlock, n - start)
                let xBlock = x + start * h
                logits(xBlock, rows: rows, into: z, addingBias: false)
                if let bias {
                    // z [rows, V] + b becomes dL/dlogits; db += its column sums.
                    totalLoss += SoftmaxCrossEntropy.lossAndGradientInPlace(
                        logits: z, rows: rows, columns: classes, addingBias: bias.value, targetColumns: t + start,
                        gradientScale: gradientScale, addingColumnSumsInto: bias.grad) { row in
                        logits(xBlock + row * h, rows: 1, into: z + row * classes, addingBias: false)
                    }
                } else {
                    totalLoss += SoftmaxCrossEntropy.lossAndGradientInPlace(
                        logits: z, rows: rows, columns: classes, targetColumns: t + start, gradientScale: gradientScale)
                }
                backward(dLogits: z, x: xBlock, rows: rows, dx: dx + start * h)
                start += rows
            }
        }
        for (i, row) in targetRows.enumerated() {
            BufferOps.addRow(dx + i * h, into: dHidden + row * h, count: h)
        }
        return (totalLoss / Double(n), n)
    }

    /// Logits for every class: `hidden` [N, H] -> [N, V] row-major (one sgemm plus bias).
    package func scores(hidden: UnsafePointer<Float>, rows: Int) -> [Float] {
        var out = [Float](repeating: 0, count: rows * classes)
        out.withUnsafeMutableBufferPointer { outBuffer in
            if let o = outBuffer.baseAddress { scores(hidden: hidden, rows: rows, into: o) }
        }
        return out
    }

    /// `scores(hidden:rows:)` into `out` [N, V]: the bias row first, then += h W^T, so each
    /// row's values do not depend on the other rows.
    package func scores(hidden: UnsafePointer<Float>, rows: Int, into out: UnsafeMutablePointer<Float>) {
        logits(hidden, rows: rows, into: out, addingBias: bias != nil)
    }

    /// Convenience for callers holding an array: `hidden` [N, H] -> [N, V].
    public func scores(hidden: [Float]) -> [Float] {
        precondition(hidden.count % inputSize == 0, "hidden has \(hidden.count) values, not a multiple of H = \(inputSize)")
        return hidden.withUnsafeBufferPointer { buffer in
            guard let base = buffer.baseAddress else { return [] }
            return scores(hidden: base, rows: buffer.count / inputSize)
        }
    }

    /// Scores of chosen classes only (sampled evaluation): for row r of `hidden` [N, H], the
    /// classes candidates.items[offsets[r] ..< offsets[r + 1]], flat in that order:
    /// z = h_r . W[c] (+ b[c]). One dot product per candidate instead of an [N, V] product.
    package func scores(hidden: UnsafePointer<Float>, candidates: CandidateLists) -> [Float] {
        var out = [Float](repeating: 0, count: candidates.items.count)
        for row in 0..<candidates.rows {
            let h = hidden + row * inputSize
            for index in candidates.offsets[row] ..< candidates.offsets[row + 1] {
                let item = Int(candidates.items[index])
                precondition(item >= 0 && item < classes, "candidate \(item) outside 0..<\(classes)")
                out[index] = BufferOps.dot(h, weight.value + item * inputSize, count: inputSize) + (bias.map { $0.value[item] } ?? 0)
            }
        }
        return out
    }

    /// z [N, V] = x [N, H] W^T, plus b in every row when `addingBias` (training adds b in its
    /// softmax pass instead, so the bias is not copied into every row first).
    private func logits(_ x: UnsafePointer<Float>, rows: Int, into z: UnsafeMutablePointer<Float>, addingBias: Bool) {
        if addingBias, let bias {
            for i in 0..<rows { BufferOps.copyRow(bias.value, to: z + i * classes, count: classes) }
        }
        BLAS.sgemm(transA: false, transB: true, m: rows, n: classes, k: inputSize,
                   alpha: 1, a: x, lda: inputSize, b: weight.value, ldb: inputSize, beta: addingBias ? 1 : 0, c: z, ldc: classes)
    }

    /// dW += dZ^T x, dx = dZ W (the bias gradient is summed in the softmax pass).
    private func backward(dLogits dz: UnsafePointer<Float>, x: UnsafePointer<Float>, rows: Int, dx: UnsafeMutablePointer<Float>) {
        BLAS.sgemm(transA: true, transB: false, m: classes, n: inputSize, k: rows,
                   alpha: 1, a: dz, lda: classes, b: x, ldb: inputSize, beta: 1, c: weight.grad, ldc: inputSize)
        BLAS.sgemm(transA: false, transB: false, m: rows, n: inputSize, k: classes,
                   alpha: 1, a: dz, lda: classes, b: weight.value, ldb: inputSize, beta: 0, c: dx, ldc: inputSize)
    }
}
