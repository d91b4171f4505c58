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

enum LSTMCell {
    static func forward(_ w: RecurrentBuffers, weightHH: UnsafePointer<Float>) {
        let (batch, hidden) = (w.batch, w.hidden)
        let width = 4 * hidden
        for t in 0..<w.steps {
            let gates = w.gates + t * batch * width         // [B, 4H]
            let hPrev = w.states + t * batch * hidden        // [B, H]
            let hNext = hPrev + batch * hidden
            let cPrev = w.cells + t * batch * hidden
            let cNext = cPrev + batch * hidden
            let cellTanh = w.cellTanh + t * batch * hidden
            // gates [B, 4H] += h_{t-1} [B, H] x W_hh^T [H, 4H], onto the x side (the dense
            // projection, or the table rows gathered here); a dense input's biases are added below
            w.gatherInputRows(step: t, width: width)
            w.recurrentProduct(h: hPrev, weightHH: weightHH, width: width, beta: 1, into: gates)
            let bias = w.inputBias  // [4H] or nil
            for b in 0..<batch {
                let row = b * hidden
                if !w.mask[t * batch + b] {
                    (hNext + row).update(from: hPrev + row, count: hidden)
                    (cNext + row).update(from: cPrev + row, count: hidden)
                    continue
                }
                let gi = gates + b * width  // i, f, g, o blocks at gi + k*H
                // 8-lane chunks, the last one overlapping (see VectorMath.lastChunk)
                let last = VectorMath.lastChunk(width: hidden)
                let lastInputs = forwardInputs(gates: gi + last.start, bias: bias.map { $0 + last.start }, hidden: hidden,
                                               cell: cPrev + row + last.start, lanes: last.lanes)
                for j in stride(from: 0, to: last.start, by: 8) {
                    let inputs = forwardInputs(gates: gi + j, bias: bias.map { $0 + j }, hidden: hidden, cell: cPrev + row + j, lanes: 8)
                    forwardChunk(inputs, gates: gi + j, hidden: hidden, cell: cNext + row + j,
                                 cellTanh: cellTanh + row + j, output: hNext + row + j, lanes: 8)
                }
                forwardChunk(lastInputs, gates: gi + last.start, hidden: hidden, cell: cNext + row + last.start,
                             cellTanh: cellTanh + row + last.start, output: hNext + row + last.start, lanes: last.lanes)
            }
        }
    }

    /// One chunk's forward inputs: (a_i, a_f, a_g, a_o, c_{t-1}), the pre-activations being
    /// gates + k*hidden (+ the bias, for a dense input).
    @_transparent
    static func forwardInputs(gates: UnsafePointer<Float>, bias: UnsafePointer<Float>?, hidden: Int,
                              cell: UnsafePointer<Float>, lanes n: Int) -> (Float8, Float8, Float8, Float8, Float8) {
        var pre = (VectorMath.load(gates, count: n), VectorMath.load(gates + hidden, count: n),
                   VectorMath.load(gates + 2 * hidden, count: n), VectorMath.load(gates + 3 * hidden, count: n))
        if let bias {
            pre.0 += VectorMath.load(bias, count: n)
            pre.1 += VectorMath.load(bias + hidden, count: n)
            pre.2 += VectorMath.load(bias + 2 * hidden, count: n)
            pre.3 += VectorMath.load(bias + 3 * hidden, count: n)
        }
        return (pre.0, pre.1, pre.2, pre.3, VectorMath.load(cell, count: n))
    }

    /// One chunk of the forward pointwise step: `pre` = (a_i, a_f, a_g, a_o, c_{t-1}); stores
    /// i, f, g, o over the pre-activations (gates + k*hidden), c_t, tanh(c_t) and h_t.
    /// Transparent (always inlined): as a closure, or with only @inline(__always), the
    /// optimizer outlined it and passed every chunk's vectors through memory.
    @_transparent
    static func forwardChunk(_ pre: (Float8, Float8, Float8, Float8, Float8), gates: UnsafeMutablePointer<Float>, hidden: Int,
                             cell: UnsafeMutablePointer<Float>, cellTanh: UnsafeMutablePointer<Float>,
                             output: UnsafeMutablePointer<Float>, lanes n: Int) {
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
        VectorMath.store(c, to: cell, count: n)
        VectorMath.store(tc, to: cellTanh, count: n)
        VectorMath.store(o * tc, to: output, count: n)
    }

    /// dOutputs [T, B, H]; leaves da [T, B, 4H] in w.gates.
    /// `afterStep(t)` runs once step t's gradients are final (while they are hot in cache).
    static func backward(_ w: RecurrentBuffers, weightHH: UnsafePointer<Float>, dOutputs: UnsafeMutablePointer<Float>, afterStep: (Int) -> Void) {
        let (batch, hidden) = (w.batch, w.hidden)
        let width = 4 * hidden
        for t in stride(from: w.steps - 1, through: 0, by: -1) {
            let gates = w.gates + t * batch * width
            let cPrev = w.cells + t * batch * hidden
            let cellTanh = w.cellTanh + t * batch * hidden
            let dOut = dOutputs + t * batch * hidden
            for b in 0..<batch {
                let row = b * hidden
                let dhCarry = w.stateGrad + row, dcCarry = w.cellGrad + row
                let gi = gates + b * width  // i, f, g, o blocks at gi + k*H
                if !w.mask[t * batch + b] {
                    // State carried: dh flows on unchanged (dc_carry already holds dc).
                    BufferOps.axpy(count: hidden, alpha: 1, x: dOut + row, y: dhCarry)
                    gi.update(repeating: 0, count: width)
                    continue
                }
                // 8-lane chunks, the last one overlapping (see VectorMath.lastChunk)
                let last = VectorMath.lastChunk(width: hidden)
                let lastInputs = backwardInputs(gates: gi + last.start, hidden: hidden, dOut: dOut + row + last.start,
                                                dhCarry: dhCarry + last.start, dcCarry: dcCarry + last.start,
                                                cellTanh: cellTanh + row + last.start, cPrev: cPrev + row + last.start, lanes: last.lanes)
                for j in stride(from: 0, to: last.start, by: 8) {
                    let inputs = backwardInputs(gates: gi + j, hidden: hidden, dOut: dOut + row + j, dhCarry: dhCarry + j,
                                                dcCarry: dcCarry + j, cellTanh: cellTanh + row + j, cPrev: cPrev + row + j, lanes: 8)
                    backwardChunk(inputs, gates: gi + j, hidden: hidden, dhCarry: dhCarry + j, dcCarry: dcCarry + j, lanes: 8)
                }
                backwardChunk(lastInputs, gates: gi + last.start, hidden: hidden, dhCarry: dhCarry + last.start,
                              dcCarry: dcCarry + last.start, lanes: last.lanes)
            }
            // dh_carry += da [B, 4H] x W_hh [4H, H]
            w.addRecurrentGradient(dGates: gates, weightHH: weightHH, width: width)
            afterStep(t)
        }
    }

    /// One chunk's backward inputs: (dh = dOut + dh_carry, i, f, g, o, tanh(c_t), dc_carry, c_{t-1}).
    @_transparent
    static func backwardInputs(gates: UnsafePointer<Float>, hidden: Int, dOut: UnsafePointer<Float>,
                               dhCarry: UnsafePointer<Float>, dcCarry: UnsafePointer<Float>, cellTanh: UnsafePointer<Float>,
                               cPrev: UnsafePointer<Float>, lanes n: Int)
        -> (Float8, Float8, Float8, Float8, Float8, Float8, Float8, Float8) {
        (VectorMath.load(dhCarry, count: n) + VectorMath.load(dOut, count: n),
         VectorMath.load(gates, count: n), VectorMath.load(gates + hidden, count: n),
         VectorMath.load(gates + 2 * hidden, count: n), VectorMath.load(gates + 3 * hidden, count: n),
         VectorMath.load(cellTanh, count: n), VectorMath.load(dcCarry, count: n), VectorMath.load(cPrev, count: n))
    }

    /// One chunk of the backward pointwise step: stores da_i, da_f, da_g, da_o over the
    /// activations, dc_carry = dc * f, and zero into dh_carry (the step's sgemm adds da x W_hh).
    @_transparent
    static func backwardChunk(_ v: (Float8, Float8, Float8, Float8, Float8, Float8, Float8, Float8),
                              gates: UnsafeMutablePointer<Float>, hidden: Int, dhCarry: UnsafeMutablePointer<Float>,
                              dcCarry: UnsafeMutablePointer<Float>, lanes n: Int) {
        let (dh, i, f, g, o, tc, dcIn, cOld) = v
        let dc = dcIn.addingProduct(dh * o, 1 - tc * tc)
        VectorMath.store(dc * g * i * (1 - i), to: gates, count: n)
        VectorMath.store(dc * cOld * f * (1 - f), to: gates + hidden, count: n)
        VectorMath.store(dc * i * (1 - g * g), to: gates + 2 * hidden, count: n)
        VectorMath.store(dh * tc * o * (1 - o), to: gates + 3 * hidden, count: n)
        VectorMath.store(dc * f, to: dcCarry, count: n)
        VectorMath.store(Float8(), to: dhCarry, count: n)
    }
}
