// The recurrent cells' common shape, and the one time loop they all run.
//
// A cell (LSTMCell, GRUCell, RNNCell) is a namespace of static pieces: its gate count G, its
// state count, whether its hidden-side product W_hh h stays apart from the input side, and its
// pointwise step over one time step's rows, forward and backward, which runs in the hot
// kernels (Sources/SeqRecKernels, the build KernelDispatch chose for this CPU). TimeLoop runs
// the steps around those pieces: the per-step recurrent sgemm and backward's per-step hook.
//
// Specialization: RecurrentLayer holds its cell as `any RecurrentCell.Type` and passes it to
// TimeLoop once per forward/backward; @_specialize makes the generic entry compare the type
// once and jump to the copy specialized for that cell.
//
// Letters: B batch rows, T steps, H hidden size, G gates. Buffers are time-major:
// gates and recurrent [T, B, G*H], states and cells [T+1, B, H], cellTanh [T, B, H].

import SeqRecKernelAPI

protocol RecurrentCell {
    /// G, the gate blocks of the fused weights W_ih [G*H, D] and W_hh [G*H, H].
    static var gateCount: Int { get }
    /// States carried from step to step: 1 (h), or 2 (h and the cell state c).
    static var stateCount: Int { get }
    /// false: W_hh h is added onto the x side in gates, and b_hh is folded into the gate bias.
    /// true: W_hh h goes to its own buffer (recurrent) and b_hh is added in the pointwise
    /// step, because the cell uses the hidden side apart from the input side.
    static var separateHiddenSide: Bool { get }
    /// The gate block whose b_ih gets the layer's forget bias, or nil.
    static var forgetGate: Int? { get }

    /// The pointwise step over step t's rows [B]: padded rows (mask false) carry the states
    /// (forward) or pass dh and dc on with zero gradients (backward).
    static func forward(_ kernels: any KernelSet.Type, _ step: RecurrentForwardStep)
    static func backward(_ kernels: any KernelSet.Type, _ step: RecurrentBackwardStep)
}

extension CellKind {
    /// The cell type of a recurrent kind; nil for the other families' cells.
    var recurrentCell: (any RecurrentCell.Type)? {
        switch self {
        case .lstm: LSTMCell.self
        case .gru: GRUCell.self
        case .rnn: RNNCell.self
        default: nil
        }
    }
}

enum TimeLoop {
    /// Forward over all steps: h_t into states[t+1] (c_t into cells[t+1]), the activations the
    /// backward needs into gates (and recurrent). Padded steps (mask false) carry the states.
    @_specialize(where Cell == LSTMCell)
    @_specialize(where Cell == GRUCell)
    @_specialize(where Cell == RNNCell)
    static func forward<Cell: RecurrentCell>(_ cell: Cell.Type, _ w: RecurrentBuffers, weightHH: UnsafePointer<Float>) {
        let (batch, hidden) = (w.batch, w.hidden)
        let width = Cell.gateCount * hidden
        let bias = w.inputBias  // [G*H] or nil
        let kernels = KernelDispatch.active
        for t in 0..<w.steps {
            let gates = w.gates + t * batch * width          // [B, G*H]
            let recurrent = w.recurrent + t * batch * width  // [B, G*H]
            let hPrev = w.states + t * batch * hidden        // [B, H]
            let hNext = hPrev + batch * hidden
            let cPrev = w.cells + t * batch * hidden
            let cNext = cPrev + batch * hidden
            let cellTanh = w.cellTanh + t * batch * hidden
            // The x side (a dense projection is already in gates; table rows are gathered here),
            // then gates [B, G*H] += h_{t-1} [B, H] x W_hh^T [H, G*H], or recurrent = that product.
            w.gatherInputRows(step: t, width: width)
            if Cell.separateHiddenSide {
                w.recurrentProduct(h: hPrev, weightHH: weightHH, width: width, beta: 0, into: recurrent)
            } else {
                w.recurrentProduct(h: hPrev, weightHH: weightHH, width: width, beta: 1, into: gates)
            }
            Cell.forward(kernels, RecurrentForwardStep(
                batch: batch, hidden: hidden, gates: gates, recurrent: recurrent, bias: bias, recurrentBias: w.recurrentBias,
                hPrev: hPrev, hNext: hNext, cPrev: cPrev, cNext: cNext, cellTanh: cellTanh, mask: w.mask + t * batch))
        }
    }

    /// Evaluation forward (nothing kept for backward). Rows are ordered longest first, so the
    /// rows still running at step t are the prefix 0 ..< active[t]: the step's product and
    /// pointwise work cover only those, and a finished row's state stays where its last step
    /// left it. h (and c) [B, H] are updated in place (the kernels load each chunk's inputs
    /// before they store it, the overlapping last chunk's first; see VectorMath.lastChunk). Per step: the x side into the step's gate rows
    /// (table rows gathered, or the dense projection's rows), then gates += h W_hh^T (or the
    /// separate hidden side), then the cell's chunks. A padded step inside the prefix (id 0)
    /// keeps its row's state. `outputs` [T, B, H], when given, receives each running row's h_t
    /// (a lower layer's outputs for the next one).
    @_specialize(where Cell == LSTMCell)
    @_specialize(where Cell == GRUCell)
    @_specialize(where Cell == RNNCell)
    static func inference<Cell: RecurrentCell>(_ cell: Cell.Type, _ w: InferenceBuffers, weightHH: UnsafePointer<Float>,
                                               outputs: UnsafeMutablePointer<Float>?) {
        let (batch, hidden, steps) = (w.batch, w.hidden, w.steps)
        let width = Cell.gateCount * hidden
        let kernels = KernelDispatch.active
        var stepMask = [Bool](repeating: false, count: batch)  // [B] this step's running rows with an item
        for t in 0..<steps {
            let active = w.active[t]
            if active == 0 { break }
            let gates: UnsafeMutablePointer<Float>  // [active, G*H]
            if let table = w.inputTable {
                gates = w.gates
                for b in 0..<active {
                    BufferOps.copyRow(table + Int(w.ids[b * steps + t]) * width, to: gates + b * width, count: width)
                }
            } else {
                gates = w.gates + t * batch * width
            }
            if Cell.separateHiddenSide {
                BLAS.sgemm(transA: false, transB: true, m: active, n: width, k: hidden, alpha: 1, a: w.states, lda: hidden,
                           b: weightHH, ldb: hidden, beta: 0, c: w.recurrent, ldc: width)
            } else {
                BLAS.sgemm(transA: false, transB: true, m: active, n: width, k: hidden, alpha: 1, a: w.states, lda: hidden,
                           b: weightHH, ldb: hidden, beta: 1, c: gates, ldc: width)
            }
            // The running rows' step in place (h, c [active, H]); a padded step keeps its row's state.
            for b in 0..<active { stepMask[b] = w.ids[b * steps + t] != 0 }
            stepMask.withUnsafeBufferPointer { mask in
                guard let mask = mask.baseAddress else { return }
                Cell.forward(kernels, RecurrentForwardStep(
                    batch: active, hidden: hidden, gates: gates, recurrent: w.recurrent, bias: w.inputBias,
                    recurrentBias: w.recurrentBias, hPrev: w.states, hNext: w.states, cPrev: w.cells, cNext: w.cells,
                    cellTanh: w.cellTanh, mask: mask))
            }
            if let outputs { (outputs + t * batch * hidden).update(from: w.states, count: active * hidden) }
        }
    }

    /// Backward through time for the last forward. dOutputs [T, B, H]; leaves the input-side
    /// pre-activation gradients [T, B, G*H] in gates (the hidden-side ones in recurrent, when
    /// separate). Padded steps pass dh (and dc) straight through and get zero gradients.
    /// `afterStep(t)` runs once step t's gradients are final (while they are hot in cache).
    @_specialize(where Cell == LSTMCell)
    @_specialize(where Cell == GRUCell)
    @_specialize(where Cell == RNNCell)
    static func backward<Cell: RecurrentCell>(_ cell: Cell.Type, _ w: RecurrentBuffers, weightHH: UnsafePointer<Float>,
                                              dOutputs: UnsafeMutablePointer<Float>, afterStep: (Int) -> Void) {
        let (batch, hidden) = (w.batch, w.hidden)
        let width = Cell.gateCount * hidden
        let kernels = KernelDispatch.active
        for t in stride(from: w.steps - 1, through: 0, by: -1) {
            let gates = w.gates + t * batch * width
            let recurrent = w.recurrent + t * batch * width
            let hPrev = w.states + t * batch * hidden
            let hNext = hPrev + batch * hidden
            let cPrev = w.cells + t * batch * hidden
            let cellTanh = w.cellTanh + t * batch * hidden
            let dOut = dOutputs + t * batch * hidden
            Cell.backward(kernels, RecurrentBackwardStep(
                batch: batch, hidden: hidden, gates: gates, recurrent: recurrent, hPrev: hPrev, hNext: hNext, cPrev: cPrev,
                cellTanh: cellTanh, dOut: dOut, dhCarry: w.stateGrad, dcCarry: w.cellGrad, mask: w.mask + t * batch))
            // dh_carry [B, H] += dGates [B, G*H] x W_hh [G*H, H], with the hidden-side gradients
            w.addRecurrentGradient(dGates: Cell.separateHiddenSide ? recurrent : gates, weightHH: weightHH, width: width)
            afterStep(t)
        }
    }
}

/// Raw views for the evaluation forward (TimeLoop.inference): one step's workspaces and the
/// running state, rows ordered longest first.
struct InferenceBuffers {
    let batch: Int
    let steps: Int
    let hidden: Int
    /// [T]: rows 0 ..< active[t] are still running at step t (non-increasing).
    let active: UnsafePointer<Int>
    /// [B, T] item ids of the ordered rows (0 = padding: the row's state is kept).
    let ids: UnsafePointer<Int32>
    /// Lookup input: [V, G*H] projected table with the x-side biases; nil for a dense input.
    let inputTable: UnsafePointer<Float>?
    /// [B, G*H] one step's gates (lookup), or [T, B, G*H] the dense projection of every step.
    let gates: UnsafeMutablePointer<Float>
    /// GRU only, [B, G*H]: the step's W_hh h.
    let recurrent: UnsafeMutablePointer<Float>
    /// [B, H] h, and (LSTM) c, updated in place; [B, H] scratch for tanh(c_t).
    let states: UnsafeMutablePointer<Float>
    let cells: UnsafeMutablePointer<Float>
    let cellTanh: UnsafeMutablePointer<Float>
    /// [G*H] x-side bias for a dense input (nil for a lookup: the table rows hold it), and b_hh.
    let inputBias: UnsafePointer<Float>?
    let recurrentBias: UnsafePointer<Float>
}
