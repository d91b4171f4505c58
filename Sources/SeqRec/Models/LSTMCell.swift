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
            // gates (+)= h_{t-1} [B, H] x W_hh^T [H, 4H]; the x side (dense: already in gates,
            // plus biases; lookup: table row incl. biases) is added below
            BLAS.sgemm(transA: false, transB: true, m: batch, n: width, k: hidden,
                       alpha: 1, a: hPrev, lda: hidden, b: weightHH, ldb: hidden,
                       beta: w.recurrentBeta, c: gates, ldc: width)
            for b in 0..<batch {
                let row = b * hidden
                if !w.mask[t * batch + b] {
                    (hNext + row).update(from: hPrev + row, count: hidden)
                    (cNext + row).update(from: cPrev + row, count: hidden)
                    continue
                }
                let gi = gates + b * width, gf = gi + hidden, gg = gf + hidden, go = gg + hidden
                let bi = w.inputRow(step: t, row: b, width: width), bf = bi + hidden, bg = bf + hidden, bo = bg + hidden
                VectorMath.forEachChunk(width: hidden, load: { j, n in
                    (VectorMath.load(gi + j, count: n) + VectorMath.load(bi + j, count: n),
                     VectorMath.load(gf + j, count: n) + VectorMath.load(bf + j, count: n),
                     VectorMath.load(gg + j, count: n) + VectorMath.load(bg + j, count: n),
                     VectorMath.load(go + j, count: n) + VectorMath.load(bo + j, count: n),
                     VectorMath.load(cPrev + row + j, count: n))
                }, finish: { pre, j, n in
                    let i = VectorMath.sigmoid(pre.0)
                    let f = VectorMath.sigmoid(pre.1)
                    let g = VectorMath.tanh(pre.2)
                    let o = VectorMath.sigmoid(pre.3)
                    let c = (i * g).addingProduct(f, pre.4)
                    let tc = VectorMath.tanh(c)
                    VectorMath.store(i, to: gi + j, count: n)
                    VectorMath.store(f, to: gf + j, count: n)
                    VectorMath.store(g, to: gg + j, count: n)
                    VectorMath.store(o, to: go + j, count: n)
                    VectorMath.store(c, to: cNext + row + j, count: n)
                    VectorMath.store(tc, to: cellTanh + row + j, count: n)
                    VectorMath.store(o * tc, to: hNext + row + j, count: n)
                })
            }
        }
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
                let gi = gates + b * width, gf = gi + hidden, gg = gf + hidden, go = gg + hidden
                if !w.mask[t * batch + b] {
                    // State carried: dh flows on unchanged (dc_carry already holds dc).
                    BufferOps.axpy(count: hidden, alpha: 1, x: dOut + row, y: dhCarry)
                    gi.update(repeating: 0, count: width)
                    continue
                }
                VectorMath.forEachChunk(width: hidden, load: { j, n in
                    (VectorMath.load(dhCarry + j, count: n) + VectorMath.load(dOut + row + j, count: n),
                     VectorMath.load(gi + j, count: n), VectorMath.load(gf + j, count: n),
                     VectorMath.load(gg + j, count: n), VectorMath.load(go + j, count: n),
                     VectorMath.load(cellTanh + row + j, count: n), VectorMath.load(dcCarry + j, count: n),
                     VectorMath.load(cPrev + row + j, count: n))
                }, finish: { v, j, n in
                    let (dh, i, f, g, o, tc, dcIn, cOld) = v
                    let dc = dcIn.addingProduct(dh * o, 1 - tc * tc)
                    VectorMath.store(dc * g * i * (1 - i), to: gi + j, count: n)
                    VectorMath.store(dc * cOld * f * (1 - f), to: gf + j, count: n)
                    VectorMath.store(dc * i * (1 - g * g), to: gg + j, count: n)
                    VectorMath.store(dh * tc * o * (1 - o), to: go + j, count: n)
                    VectorMath.store(dc * f, to: dcCarry + j, count: n)
                    VectorMath.store(Float8(), to: dhCarry + j, count: n)
                })
            }
            // dh_carry += da [B, 4H] x W_hh [4H, H]
            BLAS.sgemm(transA: false, transB: false, m: batch, n: hidden, k: width,
                       alpha: 1, a: gates, lda: width, b: weightHH, ldb: hidden,
                       beta: 1, c: w.stateGrad, ldc: hidden)
            afterStep(t)
        }
    }
}
