// LSTM cell, exactly torch.nn.LSTM (gate order i, f, g, o in the fused [4H, .] weights):
//
//   forward (per step t, row b)                 backward (dh, dc arrive from step t+1 and the output)
//   a      = W_ih x_t + b_ih + W_hh h + b_hh    dh    = dOut_t + dh_carry
//   i      = sigmoid(a_i)                       dc    = dc_carry + dh * o * (1 - tanh(c_t)^2)
//   f      = sigmoid(a_f)                       da_i  = dc * g * i (1 - i)
//   g      = tanh(a_g)                          da_f  = dc * c_{t-1} * f (1 - f)
//   o      = sigmoid(a_o)                       da_g  = dc * i * (1 - g^2)
//   c_t    = f * c_{t-1} + i * g                da_o  = dh * tanh(c_t) * o (1 - o)
//   h_t    = o * tanh(c_t)                      dc_carry = dc * f
//                                               dh_carry = da [B, 4H] x W_hh [4H, H]   (sgemm per step)
//
// Padded (mask false) steps: h_t = h_{t-1}, c_t = c_{t-1}; backward passes dh and dc straight
// through and writes da = 0. Shapes: a/gates [B, 4H] per step, h and c [B, H], W_hh [4H, H].
// The time loop is TimeLoop's (RecurrentCell.swift); here are the chunk pieces it runs.

enum LSTMCell: RecurrentCell {
    static var gateCount: Int { 4 }
    static var stateCount: Int { 2 }
    static var separateHiddenSide: Bool { false }
    static var forgetGate: Int? { 1 }

    /// One chunk's forward inputs: (a_i, a_f, a_g, a_o, c_{t-1}), the pre-activations being
    /// gates + k*hidden (+ the bias, for a dense input).
    @_transparent
    static func forwardInputs(_ row: ForwardRow, at j: Int, lanes n: Int) -> (Float8, Float8, Float8, Float8, Float8) {
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

    /// One chunk of the forward pointwise step: `pre` = (a_i, a_f, a_g, a_o, c_{t-1}); stores
    /// i, f, g, o over the pre-activations (gates + k*hidden), c_t, tanh(c_t) and h_t.
    /// Transparent (always inlined): as a closure, or with only @inline(__always), the
    /// optimizer outlined it and passed every chunk's vectors through memory.
    @_transparent
    static func forwardChunk(_ pre: (Float8, Float8, Float8, Float8, Float8), _ row: ForwardRow, at j: Int, lanes n: Int) {
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
        -> (Float8, Float8, Float8, Float8, Float8, Float8, Float8, Float8) {
        let (gates, hidden) = (row.gates + j, row.hidden)
        return (VectorMath.load(row.dhCarry + j, count: n) + VectorMath.load(row.dOut + j, count: n),
                VectorMath.load(gates, count: n), VectorMath.load(gates + hidden, count: n),
                VectorMath.load(gates + 2 * hidden, count: n), VectorMath.load(gates + 3 * hidden, count: n),
                VectorMath.load(row.cellTanh + j, count: n), VectorMath.load(row.dcCarry + j, count: n),
                VectorMath.load(row.cPrev + j, count: n))
    }

    /// One chunk of the backward pointwise step: stores da_i, da_f, da_g, da_o over the
    /// activations, dc_carry = dc * f, and zero into dh_carry (the step's sgemm adds da x W_hh).
    @_transparent
    static func backwardChunk(_ v: (Float8, Float8, Float8, Float8, Float8, Float8, Float8, Float8),
                              _ row: BackwardRow, at j: Int, lanes n: Int) {
        let (gates, hidden) = (row.gates + j, row.hidden)
        let (dh, i, f, g, o, tc, dcIn, cOld) = v
        let dc = dcIn.addingProduct(dh * o, 1 - tc * tc)
        VectorMath.store(dc * g * i * (1 - i), to: gates, count: n)
        VectorMath.store(dc * cOld * f * (1 - f), to: gates + hidden, count: n)
        VectorMath.store(dc * i * (1 - g * g), to: gates + 2 * hidden, count: n)
        VectorMath.store(dh * tc * o * (1 - o), to: gates + 3 * hidden, count: n)
        VectorMath.store(dc * f, to: row.dcCarry + j, count: n)
        VectorMath.store(Float8(), to: row.dhCarry + j, count: n)
    }
}
