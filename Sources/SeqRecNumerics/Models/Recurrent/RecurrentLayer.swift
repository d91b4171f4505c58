// One recurrent layer (LSTM, GRU or tanh-RNN) over a whole padded batch: its PyTorch-shaped
// parameters, its workspaces, and the parts of forward/backward every cell shares.
//
// Work split (G = gate count: LSTM 4, GRU 3, RNN 1; all buffers time-major):
//   forward:  gates[T*B, G*H] = input[T*B, D] x W_ih^T                 ONE sgemm for all steps
//             (layer 0 without embedding dropout: [V, E] x [E, G*H] once per table row,
//             whose rows each step copies into its [B, G*H] slice of gates)
//             then the time loop (TimeLoop, specialized for the cell): per step one
//             [B, H] x [H, G*H] sgemm + the cell's SIMD pointwise chunks
//   backward: the reverse time loop: per step one [B, G*H] x [G*H, H] sgemm for dh,
//             then, while that step is in cache, the bias sums; after the loop
//               dW_hh += dGatesH^T [G*H, T*B] x h_{t-1} [T*B, H]   ONE [T*B]-deep sgemm
//             (per-step k = B products were 2-4% slower per epoch at hidden 50 and 128);
//             after the loop the input side is one sgemm each over all T*B rows (or V rows):
//               dW_ih += dGatesX^T[G*H, T*B] x input[T*B, D]
//               dInput = dGatesX[T*B, G*H] x W_ih[G*H, D]
// Masking: mask[t, b] = false leaves (h, c) unchanged at that step, the step's output is the
// carried h, and its pre-activation gradients are zero (no gradient to its input or weights).

/// Raw views of one layer's workspaces for one batch shape, handed to the cell kernels.
struct RecurrentBuffers {
    let batch: Int
    let steps: Int
    let hidden: Int
    /// [T, B, G*H]: x side (dense projection without biases, or gathered table rows with
    /// them) -> gate activations (forward; the RNN keeps a there and h_t only in states) ->
    /// input-side pre-activation gradients (backward, in place).
    let gates: UnsafeMutablePointer<Float>
    /// GRU only, [T, B, 3H]: W_hh h (+ b_hh for the n block once used) -> hidden-side pre-activation gradients.
    let recurrent: UnsafeMutablePointer<Float>
    /// [T+1, B, H]: states[0] is the zero initial state, states[t+1] the output at step t.
    let states: UnsafeMutablePointer<Float>
    /// LSTM only, [T+1, B, H] cell states, and [T, B, H] tanh(c_t).
    let cells: UnsafeMutablePointer<Float>
    let cellTanh: UnsafeMutablePointer<Float>
    /// [G*H] biases: b_ih + b_hh (LSTM, RNN) or b_ih (GRU), added in the pointwise loops for
    /// a dense input (see inputBias), and b_hh for the GRU's hidden side.
    let gateBias: UnsafePointer<Float>
    let recurrentBias: UnsafePointer<Float>
    /// Lookup input only: [V, G*H] projected embedding table with the x-side biases folded
    /// in, and the ids [B, T] that select its rows (see gatherInputRows).
    let inputTable: UnsafePointer<Float>?
    let ids: UnsafePointer<Int32>?
    /// [B, H] gradient carried to the previous step: dh (and dc for the LSTM).
    let stateGrad: UnsafeMutablePointer<Float>
    let cellGrad: UnsafeMutablePointer<Float>
    /// [T, B]: true where the input id is not padding.
    let mask: UnsafePointer<Bool>
    /// [H, G*H] = W_hh^T for a few-row batch (training windows), copied once per batch.
    let weightHHTransposed: UnsafePointer<Float>?
    /// Few rows and many outputs: the forward product goes through SkinnyProduct.
    let usesSkinnyProduct: Bool

    /// Forward recurrent product: out [B, G*H] = h [B, H] x W_hh^T + beta * out. With a few
    /// rows it multiplies the stored transpose without transposing: OpenBLAS's small-matrix
    /// kernel for that form ran at about 80 GFLOP/s against about 47 for h x W_hh^T (an
    /// LSTM-50 step: [6, 50] x [50, 200]); many outputs go through SkinnyProduct instead.
    @inline(__always)
    func recurrentProduct(h: UnsafePointer<Float>, weightHH: UnsafePointer<Float>, width: Int, beta: Float,
                          into out: UnsafeMutablePointer<Float>) {
        if let transposed = weightHHTransposed {
            if usesSkinnyProduct {
                SkinnyProduct.multiply(m: batch, n: width, k: hidden, a: h, lda: hidden, b: transposed, ldb: width,
                                       beta: beta, c: out, ldc: width)
            } else {
                BLAS.sgemm(transA: false, transB: false, m: batch, n: width, k: hidden,
                           alpha: 1, a: h, lda: hidden, b: transposed, ldb: width, beta: beta, c: out, ldc: width)
            }
        } else {
            BLAS.sgemm(transA: false, transB: true, m: batch, n: width, k: hidden,
                       alpha: 1, a: h, lda: hidden, b: weightHH, ldb: hidden, beta: beta, c: out, ldc: width)
        }
    }

    /// Backward recurrent product: stateGrad [B, H] += dGates [B, G*H] x W_hh [G*H, H]
    /// (OpenBLAS runs this shape unpacked at a few rows).
    @inline(__always)
    func addRecurrentGradient(dGates: UnsafePointer<Float>, weightHH: UnsafePointer<Float>, width: Int) {
        BLAS.sgemm(transA: false, transB: false, m: batch, n: hidden, k: width,
                   alpha: 1, a: dGates, lda: width, b: weightHH, ldb: hidden, beta: 1, c: stateGrad, ldc: hidden)
    }

    /// Lookup input: copies step t's rows of the projected table (x side incl. its biases)
    /// into gates_t [B, G*H]. A tight pass of independent row copies overlaps the rows'
    /// cache misses (the table is larger than L2); the pointwise loops, bound by long
    /// dependency chains, exposed one miss per row when they read the table themselves.
    /// Dense input: gates_t already holds the projection; nothing to do.
    @inline(__always)
    func gatherInputRows(step t: Int, width: Int) {
        guard let inputTable, let ids else { return }
        KernelDispatch.active.gatherRows(table: inputTable, width: width, ids: ids + t, idStride: steps, batch: batch, steps: 1,
                                         into: gates + t * batch * width)
    }

    /// The x-side bias the pointwise loops still add [G*H]: the gate biases for a dense
    /// input, nil for a lookup (the gathered table rows already hold them).
    var inputBias: UnsafePointer<Float>? { inputTable == nil ? gateBias : nil }
}

/// What a layer reads: a dense [T, B, D] buffer, or (layer 0 without embedding dropout) the
/// embedding table itself plus the ids. With a table of V < T*B rows the input projection is
/// computed once per table row ([V, D] x [D, G*H]) and gathered, and in backward the
/// pre-activation gradients are first summed per item so that dW_ih and the embedding
/// gradient are [V]-row products instead of [T*B]-row ones (exactly the same sums).
enum LayerInput {
    case dense(UnsafePointer<Float>)  // [T, B, D]
    case lookup(ids: UnsafePointer<Int32>, table: UnsafePointer<Float>, rows: Int)  // ids [B, T], table [V, D]
}

final class RecurrentLayer {
    let kind: CellKind
    /// The cell's static pieces; forward and backward hand it to TimeLoop, which runs the copy
    /// specialized for it.
    let cell: any RecurrentCell.Type
    let inputSize: Int
    let hiddenSize: Int
    let gateCount: Int
    let weightIH: Parameter  // [G*H, D]
    let weightHH: Parameter  // [G*H, H]
    let biasIH: Parameter    // [G*H]
    let biasHH: Parameter    // [G*H]

    // Workspaces: regions of the model's ActivationArena, declared by `activationRegions`
    // in `activationBuffers` order.
    private let gates = FloatBuffer()
    private let recurrent = FloatBuffer()
    private let states = FloatBuffer()
    private let cells = FloatBuffer()
    private let cellTanh = FloatBuffer()
    private let stateGrad = FloatBuffer()
    private let weightHHTransposed = FloatBuffer()  // [H, G*H], few-row batches only
    private let cellGrad = FloatBuffer()
    private let gateBias = FloatBuffer()       // [G*H]
    private let recurrentBias = FloatBuffer()  // [G*H]
    private let biasSums = FloatBuffer()       // [G*H] bias gradient sums (input side)
    private let hiddenBiasSums = FloatBuffer() // [G*H] GRU hidden-side bias gradient sums
    private let tableBuffer = FloatBuffer()    // lookup input: [V, G*H] projected table / per-item gradients
    private let inferenceStateBuffer = FloatBuffer()  // [B, H] evaluation forward: h of each row
    private let inferenceCells = FloatBuffer()        // [B, H] evaluation forward: c (LSTM)
    private var lookupIds: UnsafePointer<Int32>?  // set only during a lookup forward
    /// Whether tableBuffer holds this evaluation pass's projected table (see keepsProjectedTable).
    private var projectedTableIsCurrent = false

    /// During an evaluation pass the weights do not change, so `inference` projects the item
    /// table once, at its first lookup, and reuses it for the pass's other batches. Set true
    /// for the pass and false after it; `forward` and `backward` reuse the table buffer, so
    /// they drop the projection too.
    var keepsProjectedTable = false {
        didSet { projectedTableIsCurrent = false }
    }
    private(set) var batch = 0
    private(set) var steps = 0

    /// `forgetBias` is added to the forget-gate block of bias_ih after the uniform init (the
    /// LSTM's f, [H ..< 2H] in gate order i, f, g, o); cells without a forget gate ignore it.
    init(kind: CellKind, inputSize: Int, hiddenSize: Int, layerIndex: Int, forgetBias: Float = 0, rng: inout SeededGenerator) {
        guard let cell = kind.recurrentCell else { preconditionFailure("\(kind) is not a recurrent cell") }
        self.kind = kind
        self.cell = cell
        self.inputSize = inputSize
        self.hiddenSize = hiddenSize
        gateCount = cell.gateCount
        let bound = 1 / Float(hiddenSize).squareRoot()
        func uniform(_ shape: [Int], _ name: String, _ rng: inout SeededGenerator) -> Parameter {
            let count = shape.reduce(1, *)
            var values = [Float](repeating: 0, count: count)
            for index in 0..<count { values[index] = rng.nextFloat(in: -bound, bound) }
            return Parameter(name: "rnn.\(name)_l\(layerIndex)", shape: shape, values: values)
        }
        let rows = gateCount * hiddenSize
        weightIH = uniform([rows, inputSize], "weight_ih", &rng)
        weightHH = uniform([rows, hiddenSize], "weight_hh", &rng)
        biasIH = uniform([rows], "bias_ih", &rng)
        biasHH = uniform([rows], "bias_hh", &rng)
        if let gate = cell.forgetGate, forgetBias != 0 {
            for j in (gate * hiddenSize)..<((gate + 1) * hiddenSize) { biasIH.value[j] += forgetBias }
        }
    }

    var parameters: [Parameter] { [weightIH, weightHH, biasIH, biasHH] }

    /// The floats one layer uses for a [B, T] batch, in `bind` order: `pass` .training is
    /// `forward` + `backward`, .forward the same without dropout, .evaluation `inference`. `lookup`: the input is the
    /// embedding table of `tableRows` rows (LayerInput.lookup), else a dense [T, B, D] buffer.
    static func activationRegions(into layout: inout ActivationLayout, prefix: @autoclosure () -> String, cell: any RecurrentCell.Type,
                                  hiddenSize h: Int, batch b: Int, steps t: Int, pass: ActivationPass,
                                  lookup: Bool, tableRows: Int) {
        let width = cell.gateCount * h
        let lstm = cell.stateCount == 2, gru = cell.separateHiddenSide
        let training = pass != .evaluation
        func add(_ name: String, _ include: Bool, _ factors: Int...) {
            layout.add("\(prefix()).\(name)", include ? factors.reduce(1.0) { $0 * Double($1) } : 0)
        }
        if training {
            add("gates", true, t, b, width)                    // [T, B, G*H]
            add("recurrent", gru, t, b, width)                 // [T, B, 3H]
        } else {
            add("gates", true, lookup ? 1 : t, b, width)       // [T or 1, B, G*H]
            add("recurrent", gru, b, width)                    // [B, 3H]
        }
        add("states", training, t + 1, b, h)                   // [T+1, B, H]
        add("cells", training && lstm, t + 1, b, h)            // [T+1, B, H]
        add("cellTanh", training ? lstm : true, training ? t : 1, b, h)  // [T, B, H]; evaluation [B, H]
        add("stateGrad", training, b, h)                       // [B, H]
        add("weightHHTransposed", training && b <= SkinnyProduct.maxRows, h, width)  // [H, G*H]
        add("cellGrad", training && lstm, b, h)                // [B, H]
        add("gateBias", true, width)                           // [G*H]
        add("recurrentBias", true, width)                      // [G*H]
        add("biasSums", training, width)                        // [G*H]
        add("hiddenBiasSums", training, width)        // [G*H]
        add("table", lookup, tableRows, width)                 // [V, G*H]
        add("inferenceStates", !training, b, h)                // [B, H]
        add("inferenceCells", !training, b, h)                 // [B, H]
    }

    /// Points the workspaces at `activationRegions`' regions (in its order).
    func bind(_ cursor: inout ActivationCursor) {
        cursor.bind(gates, "gates")
        cursor.bind(recurrent, "recurrent")
        cursor.bind(states, "states")
        cursor.bind(cells, "cells")
        cursor.bind(cellTanh, "cellTanh")
        cursor.bind(stateGrad, "stateGrad")
        cursor.bind(weightHHTransposed, "weightHHTransposed")
        cursor.bind(cellGrad, "cellGrad")
        cursor.bind(gateBias, "gateBias")
        cursor.bind(recurrentBias, "recurrentBias")
        cursor.bind(biasSums, "biasSums")
        cursor.bind(hiddenBiasSums, "hiddenBiasSums")
        cursor.bind(tableBuffer, "table")
        cursor.bind(inferenceStateBuffer, "inferenceStates")
        cursor.bind(inferenceCells, "inferenceCells")
        projectedTableIsCurrent = false  // the table region may have moved
    }

    /// Every workspace, for tests that compare what a step used with its layout.
    var activationBuffers: [FloatBuffer] {
        [gates, recurrent, states, cells, cellTanh, stateGrad, weightHHTransposed, cellGrad, gateBias, recurrentBias,
         biasSums, hiddenBiasSums, tableBuffer, inferenceStateBuffer, inferenceCells]
    }

    /// Sizes the workspaces for [B, T]; allocation happens only when a shape needs more room.
    private func prepare(batch: Int, steps: Int) {
        self.batch = batch
        self.steps = steps
        let h = hiddenSize
        gates.resize(to: steps * batch * gateCount * h)
        states.resize(to: (steps + 1) * batch * h)
        states.pointer.update(repeating: 0, count: batch * h)  // zero initial state
        stateGrad.resize(to: batch * h)
        gateBias.resize(to: gateCount * h)
        recurrentBias.resize(to: gateCount * h)
        biasSums.resize(to: gateCount * h)
        if cell.separateHiddenSide { recurrent.resize(to: steps * batch * gateCount * h) }
        if cell.stateCount == 2 {
            cells.resize(to: (steps + 1) * batch * h)
            cells.pointer.update(repeating: 0, count: batch * h)
            cellTanh.resize(to: steps * batch * h)
            cellGrad.resize(to: batch * h)
        }
    }

    private func buffers(mask: UnsafePointer<Bool>) -> RecurrentBuffers {
        RecurrentBuffers(
            batch: batch, steps: steps, hidden: hiddenSize,
            gates: gates.pointer, recurrent: recurrent.pointer, states: states.pointer,
            cells: cells.pointer, cellTanh: cellTanh.pointer,
            gateBias: gateBias.pointer, recurrentBias: recurrentBias.pointer,
            inputTable: lookupIds == nil ? nil : UnsafePointer(tableBuffer.pointer), ids: lookupIds,
            stateGrad: stateGrad.pointer, cellGrad: cellGrad.pointer, mask: mask,
            weightHHTransposed: hasFewRows ? UnsafePointer(weightHHTransposed.pointer) : nil,
            usesSkinnyProduct: SkinnyProduct.isPreferred(m: batch, n: gateCount * hiddenSize))
    }

    /// Whether this batch shape's forward products use the stored W_hh^T.
    private var hasFewRows: Bool { batch <= SkinnyProduct.maxRows }

    /// Outputs of the last forward: states[1...T], [T, B, H].
    var outputs: UnsafeMutablePointer<Float> { states.pointer + batch * hiddenSize }

    /// After `inference`: each row's state after its last step, [B, H] in its order.
    var inferenceStates: UnsafeMutablePointer<Float> { inferenceStateBuffer.pointer }

    /// The state after the last step, [B, H] (equal to the state after each row's last
    /// non-padding step, because padded steps carry it).
    var finalState: UnsafeMutablePointer<Float> { states.pointer + steps * batch * hiddenSize }

    /// Forward over all steps; mask [T, B].
    /// Returns the outputs [T, B, H] (`outputs`), valid until the next forward: the next
    /// layer's input, which its backward reads again.
    @discardableResult
    func forward(input: LayerInput, mask: UnsafePointer<Bool>, batch: Int, steps: Int) -> UnsafePointer<Float> {
        prepare(batch: batch, steps: steps)
        projectedTableIsCurrent = false
        let rows = steps * batch
        let width = gateCount * hiddenSize
        if hasFewRows {
            weightHHTransposed.resize(to: width * hiddenSize)
            let (w, transposed) = (weightHH.value, weightHHTransposed.pointer)
            for row in 0..<width {
                for column in 0..<hiddenSize { transposed[column * width + row] = w[row * hiddenSize + column] }
            }
        }
        let g = gates.pointer
        prepareBiases(width: width)
        let wih = UnsafePointer(weightIH.value)
        do {
            switch input {
            case .dense(let x):
                // gates [T*B, G*H] = x [T*B, D] x W_ih^T [D, G*H]
                BLAS.sgemm(transA: false, transB: true, m: rows, n: width, k: inputSize,
                           alpha: 1, a: x, lda: inputSize, b: wih, ldb: inputSize,
                           beta: 0, c: g, ldc: width)
            case .lookup(_, let table, let tableRows):
                projectTable(table, rows: tableRows, width: width)
            }
        }
        if case .lookup(let ids, _, _) = input { lookupIds = ids }
        defer { lookupIds = nil }
        let views = buffers(mask: mask)
        do {
            TimeLoop.forward(cell, views, weightHH: weightHH.value)
        }
        return UnsafePointer(outputs)
    }

    /// Evaluation forward (TimeLoop.inference) over rows ordered longest first: `ids` [B, T]
    /// of those rows (mask: id != 0), `active` [T] the rows still running at each step.
    /// Leaves each row's last state in `inferenceStates` [B, H]; `outputs` [T, B, H], when
    /// given, receives the running rows' h_t. The x side is computed as in `forward` (one
    /// dense sgemm, or the projected table with its rows gathered per step), and the cells'
    /// pointwise chunks are `forward`'s.
    func inference(input: LayerInput, ids: UnsafePointer<Int32>, active: UnsafePointer<Int>, batch: Int, steps: Int,
                   outputs: UnsafeMutablePointer<Float>?) {
        let h = hiddenSize, width = gateCount * hiddenSize
        prepareBiases(width: width)
        var inputTable: UnsafePointer<Float>?
        switch input {
        case .dense(let x):
            // gates [T*B, G*H] = x [T*B, D] x W_ih^T [D, G*H]; the pointwise step adds the biases
            gates.resize(to: steps * batch * width)
            BLAS.sgemm(transA: false, transB: true, m: steps * batch, n: width, k: inputSize,
                       alpha: 1, a: x, lda: inputSize, b: weightIH.value, ldb: inputSize, beta: 0, c: gates.pointer, ldc: width)
        case .lookup(_, let table, let tableRows):
            if !(keepsProjectedTable && projectedTableIsCurrent) {
                projectTable(table, rows: tableRows, width: width)
                projectedTableIsCurrent = keepsProjectedTable
            }
            gates.resize(to: batch * width)
            inputTable = UnsafePointer(tableBuffer.pointer)
        }
        inferenceStateBuffer.resize(to: batch * h)
        inferenceStateBuffer.zero()
        inferenceCells.resize(to: batch * h)
        if cell.stateCount == 2 { inferenceCells.zero() }
        cellTanh.resize(to: batch * h)
        if cell.separateHiddenSide { recurrent.resize(to: batch * width) }
        let views = InferenceBuffers(
            batch: batch, steps: steps, hidden: h, active: active, ids: ids, inputTable: inputTable,
            gates: gates.pointer, recurrent: recurrent.pointer, states: inferenceStateBuffer.pointer, cells: inferenceCells.pointer,
            cellTanh: cellTanh.pointer, inputBias: inputTable == nil ? UnsafePointer(gateBias.pointer) : nil,
            recurrentBias: recurrentBias.pointer)
        TimeLoop.inference(cell, views, weightHH: weightHH.value, outputs: outputs)
    }

    /// The biases the pointwise loops add (no extra pass over [T*B, G*H]): b_ih + b_hh, or
    /// both apart for a separate hidden side (the GRU needs b_hn inside r * (.)).
    private func prepareBiases(width: Int) {
        gateBias.resize(to: width)
        recurrentBias.resize(to: width)
        gateBias.pointer.update(from: biasIH.value, count: width)
        recurrentBias.pointer.update(from: biasHH.value, count: width)
        if !cell.separateHiddenSide { BufferOps.axpy(count: width, alpha: 1, x: biasHH.value, y: gateBias.pointer) }
    }

    /// Lookup input: projected [V, G*H] = table [V, D] x W_ih^T + x-side biases, into
    /// tableBuffer; the cells read row ids[b, t] at step t.
    private func projectTable(_ table: UnsafePointer<Float>, rows tableRows: Int, width: Int) {
        tableBuffer.resize(to: tableRows * width)
        let projected = tableBuffer.pointer
        for row in 0..<tableRows { (projected + row * width).update(from: gateBias.pointer, count: width) }
        BLAS.sgemm(transA: false, transB: true, m: tableRows, n: width, k: inputSize,
                   alpha: 1, a: table, lda: inputSize, b: weightIH.value, ldb: inputSize,
                   beta: 1, c: projected, ldc: width)
    }

    /// Backward through time for the last forward, with the same `input`. dOutputs [T, B, H]
    /// is consumed (overwritten). For a dense input, dInput [T, B, D] is overwritten with the
    /// input gradient; for a lookup, the table gradient is ADDED into tableGrad [V, D] (the
    /// padding row's gradient sum is exactly zero, as padded steps have zero gradients).
    /// Adds into all four parameter gradients. Overwrites the gate workspace: once per forward.
    func backward(input: LayerInput, mask: UnsafePointer<Bool>, dOutputs: UnsafeMutablePointer<Float>,
                  dInput: UnsafeMutablePointer<Float>?, tableGrad: UnsafeMutablePointer<Float>?) {
        let rows = steps * batch
        let width = gateCount * hiddenSize
        let views = buffers(mask: mask)
        projectedTableIsCurrent = false
        stateGrad.zero()
        if cell.stateCount == 2 { cellGrad.zero() }
        // Input-side and hidden-side pre-activation gradients [T*B, G*H]; equal unless the
        // hidden side is separate (GRU).
        let separateHiddenSide = cell.separateHiddenSide
        let dGatesX = UnsafePointer(gates.pointer)
        let dGatesH = separateHiddenSide ? UnsafePointer(recurrent.pointer) : dGatesX
        // Per-step accumulations, done right after each step while its [B, G*H] gradients are
        // in cache:
        //   dense input: bias sums [G*H] += column sums of dGatesX_t
        //   lookup input: perItem[ids[b, t]] += dGatesX_t[b]  ([V, G*H], padding skipped)
        //   separate hidden side: hidden-side bias sums [G*H] += column sums of dGatesH_t
        let h = hiddenSize
        hiddenBiasSums.resize(to: width)
        let sums = biasSums.pointer, hiddenSums = hiddenBiasSums.pointer
        sums.update(repeating: 0, count: width)
        hiddenSums.update(repeating: 0, count: width)
        var lookup: (ids: UnsafePointer<Int32>, table: UnsafePointer<Float>, rows: Int)?
        if case .lookup(let ids, let table, let tableRows) = input {
            lookup = (ids, table, tableRows)
            tableBuffer.resize(to: tableRows * width)
            tableBuffer.pointer.update(repeating: 0, count: tableRows * width)
        }
        let perItem = tableBuffer.pointer  // [V, G*H] (lookup only)
        let statesPointer = UnsafePointer(states.pointer)
        let (batch, steps) = (self.batch, self.steps)
        let afterStep = { (t: Int) in
            let dX = dGatesX + t * batch * width, dH = dGatesH + t * batch * width
            if separateHiddenSide { BufferOps.addColumnSums(rows: batch, columns: width, matrix: dH, into: hiddenSums) }
            guard let lookup else {
                BufferOps.addColumnSums(rows: batch, columns: width, matrix: dX, into: sums)
                return
            }
            for b in 0..<batch {
                let id = Int(lookup.ids[b * steps + t])
                if id == 0 { continue }  // padded step: its gradients are zero
                BufferOps.axpy(count: width, alpha: 1, x: dX + b * width, y: perItem + id * width)
            }
        }
        do {
            TimeLoop.backward(cell, views, weightHH: weightHH.value, dOutputs: dOutputs, afterStep: afterStep)
        }
        // Lookup input: the input-side bias gradient is the sum of the per-item sums (V rows
        // instead of T*B).
        if let lookup { BufferOps.addColumnSums(rows: lookup.rows, columns: width, matrix: perItem, into: sums) }
        // dW_hh [G*H, H] += dGatesH^T [G*H, T*B] x states[0..<T] [T*B, H] (h_{t-1} of every
        // step; padded steps add nothing, their pre-activation gradients are zero).
        do {
            let dW = weightHH.grad
            BLAS.sgemm(transA: true, transB: false, m: width, n: h, k: rows,
                       alpha: 1, a: dGatesH, lda: width, b: statesPointer, ldb: h,
                       beta: 1, c: dW, ldc: h)
        }
        BufferOps.axpy(count: width, alpha: 1, x: sums, y: biasIH.grad)
        BufferOps.axpy(count: width, alpha: 1, x: separateHiddenSide ? hiddenSums : sums, y: biasHH.grad)

        // Rows of the input-side products: every (t, b), or every table row (gradients summed per item).
        let factorRows: Int
        let dFactor: UnsafePointer<Float>
        let inputRows: UnsafePointer<Float>
        if let lookup {
            (factorRows, dFactor, inputRows) = (lookup.rows, UnsafePointer(perItem), lookup.table)
        } else if case .dense(let x) = input {
            (factorRows, dFactor, inputRows) = (rows, dGatesX, x)
        } else {
            return
        }
        do {
            let dW = weightIH.grad
            // dW_ih [G*H, D] += dFactor^T [G*H, rows] x inputRows [rows, D]
            BLAS.sgemm(transA: true, transB: false, m: width, n: inputSize, k: factorRows,
                       alpha: 1, a: dFactor, lda: width, b: inputRows, ldb: inputSize,
                       beta: 1, c: dW, ldc: inputSize)
        }
        let (target, beta): (UnsafeMutablePointer<Float>?, Float) = {
            switch input {
            case .dense: return (dInput, 0)
            case .lookup: return (tableGrad, 1)
            }
        }()
        guard let target else { return }
        do {
            let wih = UnsafePointer(weightIH.value)
            // dInput [rows, D] (=, or += for the table) dFactor [rows, G*H] x W_ih [G*H, D]
            BLAS.sgemm(transA: false, transB: false, m: factorRows, n: inputSize, k: width,
                       alpha: 1, a: dFactor, lda: width, b: wih, ldb: inputSize,
                       beta: beta, c: target, ldc: inputSize)
        }
    }
}
