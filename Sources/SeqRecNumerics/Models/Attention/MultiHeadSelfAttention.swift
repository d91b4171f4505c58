// Multi-head self-attention, causal (SASRec) or bidirectional (BERT4Rec), with padded keys masked out, as torch.nn.MultiheadAttention
// (q, k, v projections packed in one [3D, D] weight) with a boolean mask. Letters: B batch,
// T steps, D width, N heads, Dh = D / N; rows R = B * T in [B, T, D] order.
//
//     [Q K V] = x W_in^T + b_in                                     [R, 3D]
//     S_h     = Q_h K_h^T / sqrt(Dh)                                [B, N, T, T]
//     allowed(i, j) = (j <= i, when causal) and (key j is an item or j == i)
//     P_h     = softmax over the allowed j of S_h (0 elsewhere)
//     C_h     = dropout(P_h) V_h,   C = [C_1 ... C_N]               [R, D]
//     y       = C W_out^T + b_out                                   [R, D]
//
// A padded query attends to itself only (never to an item, so it has a defined output and no
// item ever attends to it); an item never attends to padding. Backward (M the dropout mask):
//
//     dV_h = (P_h * M)^T dC_h,   dP_h = (dC_h V_h^T) * M
//     dS_ij = P_ij (dP_ij - sum_k P_ik dP_ik)
//     dQ_h = dS K_h / sqrt(Dh),  dK_h = dS^T Q_h / sqrt(Dh)

import Foundation

final class MultiHeadSelfAttention {
    /// "<name>.in_proj_weight" [3D, D] (q, k, v rows), "<name>.in_proj_bias" [3D].
    let inWeight: Parameter
    let inBias: Parameter
    /// "<name>.out_proj.weight" [D, D], "<name>.out_proj.bias" [D].
    let outWeight: Parameter
    let outBias: Parameter
    let width: Int
    let heads: Int
    let dropout: Float
    /// Whether a query attends to earlier keys only (SASRec) or to every key (BERT4Rec).
    let causal: Bool

    private let projected = FloatBuffer()     // [R, 3D] Q, K, V
    private let probabilities = FloatBuffer() // [B, N, T, T] P (before dropout)
    private let dropoutMask = FloatBuffer()   // [B, N, T, T]
    private let dropped = FloatBuffer()       // [B, N, T, T] P * M
    private let context = FloatBuffer()       // [R, D] C
    private let output = FloatBuffer()        // [R, D] y
    private let dContext = FloatBuffer()      // [R, D]
    private let dProjected = FloatBuffer()    // [R, 3D]
    private let dScores = FloatBuffer()       // [T, T] one (batch, head) block
    private let queries = FloatBuffer()       // [B, D] evaluation: the query rows' Q
    private let gathered = FloatBuffer()      // [B, D] evaluation: the query rows' input
    private var batch = 0
    private var steps = 0
    private var dropoutActive = false

    /// PyTorch's MultiheadAttention init followed by the port's xavier_normal_ of every
    /// weight: in_proj_weight and out_proj.weight xavier-normal (in that order), biases 0.
    init(name: String, width: Int, heads: Int, dropout: Float, causal: Bool = true, rng: inout SeededGenerator) {
        precondition(heads >= 1 && width % heads == 0, "\(heads) heads do not divide width \(width)")
        self.causal = causal
        self.width = width
        self.heads = heads
        self.dropout = dropout
        inWeight = Parameter(name: "\(name).in_proj_weight", shape: [3 * width, width],
                             values: Linear.xavierNormal(rows: 3 * width, columns: width, rng: &rng))
        inBias = Parameter(name: "\(name).in_proj_bias", shape: [3 * width], values: [Float](repeating: 0, count: 3 * width))
        outWeight = Parameter(name: "\(name).out_proj.weight", shape: [width, width],
                              values: Linear.xavierNormal(rows: width, columns: width, rng: &rng))
        outBias = Parameter(name: "\(name).out_proj.bias", shape: [width], values: [Float](repeating: 0, count: width))
    }

    var parameters: [Parameter] { [inWeight, inBias, outWeight, outBias] }

    /// The floats a [B, T] batch uses, in `bind` order: `pass` .training is `forward` +
    /// `backward`, .forward `forward`, .evaluation `forward` below the top block and
    /// `forwardLast` in it (`last`).
    static func activationRegions(into layout: inout ActivationLayout, prefix: @autoclosure () -> String, width d: Int, heads: Int,
                                  dropout: Bool, batch b: Int, steps t: Int, pass: ActivationPass, last: Bool) {
        let training = pass != .evaluation, dropoutActive = pass == .training && dropout
        let rows = b * t
        func add(_ name: String, _ include: Bool, _ factors: Int...) {
            layout.add("\(prefix()).\(name)", include ? factors.reduce(1.0) { $0 * Double($1) } : 0)
        }
        if last {
            add("projected", true, rows, 2 * d)             // [R, 2D] K, V
            add("probabilities", true, t)                   // [T] one query
        } else {
            add("projected", true, rows, 3 * d)             // [R, 3D]
            add("probabilities", true, b, heads, t, t)      // [B, N, T, T]
        }
        add("dropoutMask", dropoutActive, b, heads, t, t)   // [B, N, T, T]
        add("dropped", dropoutActive, b, heads, t, t)       // [B, N, T, T]
        add("context", true, last ? b : rows, d)            // [R, D]
        add("output", true, last ? b : rows, d)             // [R, D]
        add("dContext", training, rows, d)                  // [R, D]
        add("dProjected", training, rows, 3 * d)            // [R, 3D]
        add("dScores", training, t, t)                      // [T, T]
        add("queries", last, b, d)                          // [B, D]
        add("gathered", last, b, d)                         // [B, D]
    }

    /// Points the workspaces at `activationRegions`' regions (in its order).
    func bind(_ cursor: inout ActivationCursor) {
        cursor.bind(projected, "projected")
        cursor.bind(probabilities, "probabilities")
        cursor.bind(dropoutMask, "dropoutMask")
        cursor.bind(dropped, "dropped")
        cursor.bind(context, "context")
        cursor.bind(output, "output")
        cursor.bind(dContext, "dContext")
        cursor.bind(dProjected, "dProjected")
        cursor.bind(dScores, "dScores")
        cursor.bind(queries, "queries")
        cursor.bind(gathered, "gathered")
    }

    var activationBuffers: [FloatBuffer] {
        [projected, probabilities, dropoutMask, dropped, context, output, dContext, dProjected, dScores, queries, gathered]
    }

    /// x [B, T, D], isItem [B, T] (false = padding). Returns y [B, T, D], owned by the layer
    /// and valid until its next forward. `rng` draws the attention dropout mask in training.
    func forward(_ x: UnsafePointer<Float>, isItem: UnsafePointer<Bool>, batch: Int, steps: Int,
                 training: Bool, rng: inout SeededGenerator) -> UnsafePointer<Float> {
        self.batch = batch
        self.steps = steps
        let d = width, dh = width / heads, t = steps, rows = batch * steps
        projected.resize(to: rows * 3 * d)
        probabilities.resize(to: batch * heads * t * t)
        context.resize(to: rows * d)
        output.resize(to: rows * d)
        Linear.forward(x, rows: rows, weight: inWeight, bias: inBias, into: projected.pointer)
        let scale = 1 / Float(dh).squareRoot()
        for b in 0..<batch {
            let base = projected.pointer + b * t * 3 * d
            for h in 0..<heads {
                let p = probabilities.pointer + (b * heads + h) * t * t
                BLAS.sgemm(transA: false, transB: true, m: t, n: t, k: dh, alpha: scale,
                           a: base + h * dh, lda: 3 * d, b: base + d + h * dh, ldb: 3 * d, beta: 0, c: p, ldc: t)
                Self.maskedSoftmax(p, steps: t, isItem: isItem + b * t, causal: causal)
            }
        }
        dropoutActive = training && dropout > 0
        var weights = UnsafePointer(probabilities.pointer)
        if dropoutActive {
            let count = batch * heads * t * t
            dropoutMask.resize(to: count)
            dropped.resize(to: count)
            dropped.pointer.update(from: probabilities.pointer, count: count)
            Dropout.drawMask(into: dropoutMask.pointer, count: count, probability: dropout, rng: &rng, applyingTo: dropped.pointer)
            weights = UnsafePointer(dropped.pointer)
        }
        for b in 0..<batch {
            let base = projected.pointer + b * t * 3 * d
            for h in 0..<heads {
                BLAS.sgemm(transA: false, transB: false, m: t, n: dh, k: t, alpha: 1,
                           a: weights + (b * heads + h) * t * t, lda: t, b: base + 2 * d + h * dh, ldb: 3 * d,
                           beta: 0, c: context.pointer + b * t * d + h * dh, ldc: d)
            }
        }
        Linear.forward(context.pointer, rows: rows, weight: outWeight, bias: outBias, into: output.pointer)
        return UnsafePointer(output.pointer)
    }

    /// Evaluation: y [B, D] for one query row per batch row only, `queryRows[b]` (an item's
    /// row of x [B, T, D], so it attends to the items up to it). K and V are projected for
    /// every row, Q for the query rows; each product, softmax and sum is the one `forward`
    /// computes for that row, over fewer rows. Replaces the last forward's state.
    func forwardLast(_ x: UnsafePointer<Float>, queryRows: UnsafePointer<Int>, isItem: UnsafePointer<Bool>,
                     batch: Int, steps: Int) -> UnsafePointer<Float> {
        self.batch = batch
        self.steps = steps
        dropoutActive = false
        let d = width, dh = width / heads, t = steps, rows = batch * steps
        projected.resize(to: rows * 2 * d)   // [R, 2D] K, V
        probabilities.resize(to: t)          // [T] one query's weights
        queries.resize(to: batch * d)        // [B, D] the query rows' x, then Q
        context.resize(to: batch * d)        // [B, D]
        output.resize(to: batch * d)         // [B, D]
        let kv = projected.pointer, q = queries.pointer
        // [K V] [R, 2D] = x W_kv^T + b_kv (rows D ..< 3D of the packed projection)
        for row in 0..<rows { BufferOps.copyRow(inBias.value + d, to: kv + row * 2 * d, count: 2 * d) }
        BLAS.sgemm(transA: false, transB: true, m: rows, n: 2 * d, k: d, alpha: 1, a: x, lda: d,
                   b: inWeight.value + d * d, ldb: d, beta: 1, c: kv, ldc: 2 * d)
        // Q [B, D] = x[queryRows] W_q^T + b_q
        gathered.resize(to: batch * d)
        for b in 0..<batch { BufferOps.copyRow(x + queryRows[b] * d, to: gathered.pointer + b * d, count: d) }
        for b in 0..<batch { BufferOps.copyRow(inBias.value, to: q + b * d, count: d) }
        BLAS.sgemm(transA: false, transB: true, m: batch, n: d, k: d, alpha: 1, a: gathered.pointer, lda: d,
                   b: inWeight.value, ldb: d, beta: 1, c: q, ldc: d)
        let scale = 1 / Float(dh).squareRoot()
        let p = probabilities.pointer
        for b in 0..<batch {
            let base = kv + b * t * 2 * d
            let i = queryRows[b] - b * t
            for h in 0..<heads {
                // p [1, T] = scale * q_h K_h^T, softmax over the allowed keys; c_h [1, Dh] = p V_h
                BLAS.sgemm(transA: false, transB: true, m: 1, n: t, k: dh, alpha: scale,
                           a: q + b * d + h * dh, lda: d, b: base + h * dh, ldb: 2 * d, beta: 0, c: p, ldc: t)
                Self.maskedSoftmaxRow(p, query: i, steps: t, isItem: isItem + b * t, causal: causal)
                BLAS.sgemm(transA: false, transB: false, m: 1, n: dh, k: t, alpha: 1,
                           a: p, lda: t, b: base + d + h * dh, ldb: 2 * d, beta: 0, c: context.pointer + b * d + h * dh, ldc: d)
            }
        }
        Linear.forward(context.pointer, rows: batch, weight: outWeight, bias: outBias, into: output.pointer)
        return UnsafePointer(output.pointer)
    }

    /// Row i of p [T, T] (scores) becomes the softmax over its allowed keys, 0 elsewhere.
    private static func maskedSoftmax(_ p: UnsafeMutablePointer<Float>, steps t: Int, isItem: UnsafePointer<Bool>, causal: Bool) {
        for i in 0..<t { maskedSoftmaxRow(p + i * t, query: i, steps: t, isItem: isItem, causal: causal) }
    }

    /// The scores [T] of query i become its softmax over the allowed keys (items up to i, or
    /// every item when not causal, and i itself), 0 elsewhere.
    private static func maskedSoftmaxRow(_ row: UnsafeMutablePointer<Float>, query i: Int, steps t: Int,
                                         isItem: UnsafePointer<Bool>, causal: Bool) {
        let last = causal ? i : t - 1  // the last key row i may see
        var maximum = -Float.infinity
        for j in 0...last where isItem[j] || j == i { maximum = max(maximum, row[j]) }
        var sum: Float = 0
        for j in 0..<t {
            if j <= last && (isItem[j] || j == i) {
                row[j] = exp(row[j] - maximum)
                sum += row[j]
            } else {
                row[j] = 0
            }
        }
        let inverse = 1 / sum
        for j in 0...last { row[j] *= inverse }
    }

    /// x: forward's input [B, T, D]; dy [B, T, D]. Adds into dx [B, T, D] and the gradients.
    func backward(input x: UnsafePointer<Float>, dOutput dy: UnsafePointer<Float>, addingInto dx: UnsafeMutablePointer<Float>) {
        let d = width, dh = width / heads, t = steps, rows = batch * steps
        dContext.resize(to: rows * d)
        dContext.zero()
        dProjected.resize(to: rows * 3 * d)
        dProjected.zero()
        dScores.resize(to: t * t)
        Linear.backward(dOutput: dy, input: context.pointer, rows: rows, weight: outWeight, bias: outBias, addingInto: dContext.pointer)
        let scale = 1 / Float(dh).squareRoot()
        let weights = UnsafePointer(dropoutActive ? dropped.pointer : probabilities.pointer)
        let ds = dScores.pointer
        for b in 0..<batch {
            let base = projected.pointer + b * t * 3 * d, dBase = dProjected.pointer + b * t * 3 * d
            for h in 0..<heads {
                let block = (b * heads + h) * t * t
                let dc = dContext.pointer + b * t * d + h * dh
                // dP' = dC_h V_h^T; dV_h += P'^T dC_h
                BLAS.sgemm(transA: false, transB: true, m: t, n: t, k: dh, alpha: 1,
                           a: dc, lda: d, b: base + 2 * d + h * dh, ldb: 3 * d, beta: 0, c: ds, ldc: t)
                BLAS.sgemm(transA: true, transB: false, m: t, n: dh, k: t, alpha: 1,
                           a: weights + block, lda: t, b: dc, ldb: d, beta: 1, c: dBase + 2 * d + h * dh, ldc: 3 * d)
                if dropoutActive { BufferOps.multiply(count: t * t, by: dropoutMask.pointer + block, into: ds) }
                let p = probabilities.pointer + block
                for i in 0..<t {
                    let pRow = p + i * t, dRow = ds + i * t
                    var inner: Float = 0
                    for j in 0...(causal ? i : t - 1) { inner += pRow[j] * dRow[j] }
                    for j in 0..<t { dRow[j] = pRow[j] * (dRow[j] - inner) }
                }
                // dQ_h += scale dS K_h; dK_h += scale dS^T Q_h
                BLAS.sgemm(transA: false, transB: false, m: t, n: dh, k: t, alpha: scale,
                           a: ds, lda: t, b: base + d + h * dh, ldb: 3 * d, beta: 1, c: dBase + h * dh, ldc: 3 * d)
                BLAS.sgemm(transA: true, transB: false, m: t, n: dh, k: t, alpha: scale,
                           a: ds, lda: t, b: base + h * dh, ldb: 3 * d, beta: 1, c: dBase + d + h * dh, ldc: 3 * d)
            }
        }
        Linear.backward(dOutput: dProjected.pointer, input: x, rows: rows, weight: inWeight, bias: inBias, addingInto: dx)
    }
}
