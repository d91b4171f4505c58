// The LSTM cell's pointwise step, forward and backward, over one step's rows (the equations,
// gate order i, f, g, o, are in Models/Recurrent/LSTMCell.swift). Shapes: gates [B, 4H],
// c, tanh(c), h [B, H]. Each row runs in Lanes-wide chunks, the last one overlapping (see
// VectorMath.lastChunk); the chunk functions are @_transparent: as closures, or with only
// @inline(__always), the optimizer outlined them and passed every chunk's vectors through memory.

import SeqRecKernelAPI

extension Kernels {
    public static func lstmForward(_ step: RecurrentForwardStep) {
        let size = Lanes.scalarCount
        for b in 0..<step.batch {
            guard step.mask[b] else {
                PaddedRow.forward(step, row: b, carriesCell: true)
                continue
            }
            let row = ForwardRow(step, row: b, gateCount: 4)
            let last = VectorMath.lastChunk(width: step.hidden)
            let lastInputs = LSTMChunk.forwardInputs(row, at: last.start, lanes: last.lanes)
            for j in stride(from: 0, to: last.start, by: size) {
                LSTMChunk.forward(LSTMChunk.forwardInputs(row, at: j, lanes: size), row, at: j, lanes: size)
            }
            LSTMChunk.forward(lastInputs, row, at: last.start, lanes: last.lanes)
        }
    }

    public static func lstmBackward(_ step: RecurrentBackwardStep) {
        let size = Lanes.scalarCount
        for b in 0..<step.batch {
            guard step.mask[b] else {
                PaddedRow.backward(step, row: b, gateCount: 4, separateHiddenSide: false)
                continue
            }
            let row = BackwardRow(step, row: b, gateCount: 4)
            let last = VectorMath.lastChunk(width: step.hidden)
            let lastInputs = LSTMChunk.backwardInputs(row, at: last.start, lanes: last.lanes)
            for j in stride(from: 0, to: last.start, by: size) {
                LSTMChunk.backward(LSTMChunk.backwardInputs(row, at: j, lanes: size), row, at: j, lanes: size)
            }
            LSTMChunk.backward(lastInputs, row, at: last.start, lanes: last.lanes)
        }
    }
}

enum LSTMChunk {
    /// One chunk's forward inputs: (a_i, a_f, a_g, a_o, c_{t-1}), the pre-activations being
    /// gates + k*hidden (+ the bias, for a dense input).
    @_transparent
    static func forwardInputs(_ row: ForwardRow, at j: Int, lanes n: Int) -> (Lanes, Lanes, Lanes, Lanes, Lanes) {
        let (gates, hidden) = (row.gates + j, row.hidden)
        var pre = (VectorMath.load(gates, count: n), VectorMath.load(gates + hidden, count: n),
                   VectorMath.load(gates + 2 * hidden, count: n), VectorMath.load(gates + 3 * hidden, count: n))
        if let bias = row.bias?.advanced(by: j) {
            pre.0 += VectorMath.load(bias, count: n)
            pre.1 += VectorMath.load(bias + hidden, count: n)
            pre.2 += VectorMath.load(bias + 2 * hidden, count: n)
            pre.3 += VectorMath.load(bias + 3 * hidden, count: n)
        }
        return (pre.0, pre.1, pre.2, pre.3, VectorMath.load(row.cPrev + j, count: n))
    }

    /// One chunk of the forward step: stores i, f, g, o over the pre-activations (gates +
    /// k*hidden), c_t, tanh(c_t) and h_t.
    @_transparent
    static func forward(_ pre: (Lanes, Lanes, Lanes, Lanes, Lanes), _ row: ForwardRow, at j: Int, lanes n: Int) {
        let (gates, hidden) = (row.gates + j, row.hidden)
        let i = VectorMath.sigmoid(pre.0)
        let f = VectorMath.sigmoid(pre.1)
        let g = VectorMath.tanh(pre.2)
        let o = VectorMath.sigmoid(pre.3)
        let c = (i * g).addingProduct(f, pre.4)
        let tc = VectorMath.tanh(c)
        VectorMath.store(i, to: gates, count: n)
        VectorMath.store(f, to: gates + hidden, count: n)
        VectorMath.store(g, to: gates + 2 * hidden, count: n)
        VectorMath.store(o, to: gates + 3 * hidden, count: n)
        VectorMath.store(c, to: row.cNext + j, count: n)
        VectorMath.store(tc, to: row.cellTanh + j, count: n)
        VectorMath.store(o * tc, to: row.hNext + j, count: n)
    }

    /// One chunk's backward inputs: (dh = dOut + dh_carry, i, f, g, o, tanh(c_t), dc_carry, c_{t-1}).
    @_transparent
    static func backwardInputs(_ row: BackwardRow, at j: Int, lanes n: Int)
        -> (Lanes, Lanes, Lanes, Lanes, Lanes, Lanes, Lanes, Lanes) {
        let (gates, hidden) = (row.gates + j, row.hidden)
        return (VectorMath.load(row.dhCarry + j, count: n) + VectorMath.load(row.dOut + j, count: n),
                VectorMath.load(gates, count: n), VectorMath.load(gates + hidden, count: n),
                VectorMath.load(gates + 2 * hidden, count: n), VectorMath.load(gates + 3 * hidden, count: n),
                VectorMath.load(row.cellTanh + j, count: n), VectorMath.load(row.dcCarry + j, count: n),
                VectorMath.load(row.cPrev + j, count: n))
    }

    /// One chunk of the backward step: stores da_i, da_f, da_g, da_o over the activations,
    /// dc_carry = dc * f, and zero into dh_carry (the step's sgemm adds da x W_hh).
    @_transparent
    static func backward(_ v: (Lanes, Lanes, Lanes, Lanes, Lanes, Lanes, Lanes, Lanes),
                         _ row: BackwardRow, at j: Int, lanes n: Int) {
        let (gates, hidden) = (row.gates + j, row.hidden)
        let (dh, i, f, g, o, tc, dcIn, cOld) = v
        let dc = dcIn.addingProduct(dh * o, 1 - tc * tc)
        VectorMath.store(dc * g * i * (1 - i), to: gates, count: n)
        VectorMath.store(dc * cOld * f * (1 - f), to: gates + hidden, count: n)
        VectorMath.store(dc * i * (1 - g * g), to: gates + 2 * hidden, count: n)
        VectorMath.store(dh * tc * o * (1 - o), to: gates + 3 * hidden, count: n)
        VectorMath.store(dc * f, to: row.dcCarry + j, count: n)
        VectorMath.store(Lanes(), to: row.dhCarry + j, count: n)
    }
}
