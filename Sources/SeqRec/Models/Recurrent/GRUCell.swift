// GRU cell, exactly torch.nn.GRU (gate order r, z, n in the fused [3H, .] weights):
//
//   forward (per step t, row b)                      backward (dh from step t+1 and the output)
//   xr, xz, xn = W_ih x_t + b_ih        [B, 3H]      dh     = dOut_t + dh_carry
//   hr, hz, hn = W_hh h + b_hh          [B, 3H]      dz     = dh * (h_{t-1} - n)
//   r  = sigmoid(xr + hr)                            dn     = dh * (1 - z)
//   z  = sigmoid(xz + hz)                            dn_pre = dn * (1 - n^2)          (= d xn)
//   n  = tanh(xn + r * hn)                           d hn   = dn_pre * r
//   h_t = (1 - z) * n + z * h_{t-1}                  dr_pre = dn_pre * hn * r (1 - r)   (= d xr = d hr)
//                                                    dz_pre = dz * z (1 - z)            (= d xz = d hz)
//                                                    dh_carry = dh * z + [dr_pre, dz_pre, d hn] x W_hh
//
// The input-side gradients [dr_pre, dz_pre, dn_pre] go to w.gates and the hidden-side ones
// [dr_pre, dz_pre, d hn] to w.recurrent (they differ only in the n block).
// Padded steps carry h and write zero gradients.

enum GRUCell {
    static func forward(_ w: RecurrentBuffers, weightHH: UnsafePointer<Float>) {
        let (batch, hidden) = (w.batch, w.hidden)
        let width = 3 * hidden
        for t in 0..<w.steps {
            let gates = w.gates + t * batch * width          // [B, 3H] x-side (no bias), then r, z, n
            let recurrent = w.recurrent + t * batch * width  // [B, 3H] h-side (no bias); hn + b_hn kept for backward
            let hPrev = w.states + t * batch * hidden
            let hNext = hPrev + batch * hidden
            // recurrent = h_{t-1} [B, H] x W_hh^T [H, 3H]; gates_t holds the x side (the dense
            // projection, or the table rows gathered here)
            w.gatherInputRows(step: t, width: width)
            w.recurrentProduct(h: hPrev, weightHH: weightHH, width: width, beta: 0, into: recurrent)
            let bias = w.inputBias  // [3H] or nil
            for b in 0..<batch {
                let row = b * hidden
                if !w.mask[t * batch + b] {
                    (hNext + row).update(from: hPrev + row, count: hidden)
                    continue
                }
                // 8-lane chunks, the last one overlapping (see VectorMath.lastChunk)
                let gr = gates + b * width, hr = recurrent + b * width  // r, z, n blocks at + k*H
                let last = VectorMath.lastChunk(width: hidden)
                let lastInputs = forwardInputs(gates: gr + last.start, recurrent: hr + last.start, bias: bias.map { $0 + last.start },
                                               recurrentBias: w.recurrentBias + last.start, hidden: hidden,
                                               state: hPrev + row + last.start, lanes: last.lanes)
                for j in stride(from: 0, to: last.start, by: 8) {
                    let inputs = forwardInputs(gates: gr + j, recurrent: hr + j, bias: bias.map { $0 + j },
                                               recurrentBias: w.recurrentBias + j, hidden: hidden, state: hPrev + row + j, lanes: 8)
                    forwardChunk(inputs, gates: gr + j, recurrent: hr + j, hidden: hidden, output: hNext + row + j, lanes: 8)
                }
                forwardChunk(lastInputs, gates: gr + last.start, recurrent: hr + last.start, hidden: hidden,
                             output: hNext + row + last.start, lanes: last.lanes)
            }
        }
    }

    /// One chunk's forward inputs: (xr + hr + b_r, xz + hz + b_z, hn + b_hn, xn + b_in, h_{t-1}),
    /// x = gates + k*H (+ b_ih for a dense input), h = recurrent + k*H, b_hh = recurrentBias.
    @_transparent
    static func forwardInputs(gates: UnsafePointer<Float>, recurrent: UnsafePointer<Float>, bias: UnsafePointer<Float>?,
                              recurrentBias: UnsafePointer<Float>, hidden: Int, state: UnsafePointer<Float>, lanes n: Int)
        -> (Float8, Float8, Float8, Float8, Float8) {
        var x = (VectorMath.load(gates, count: n), VectorMath.load(gates + hidden, count: n), VectorMath.load(gates + 2 * hidden, count: n))
        if let bias {
            x.0 += VectorMath.load(bias, count: n)
            x.1 += VectorMath.load(bias + hidden, count: n)
            x.2 += VectorMath.load(bias + 2 * hidden, count: n)
        }
        return (x.0 + VectorMath.load(recurrent, count: n) + VectorMath.load(recurrentBias, count: n),
                x.1 + VectorMath.load(recurrent + hidden, count: n) + VectorMath.load(recurrentBias + hidden, count: n),
                VectorMath.load(recurrent + 2 * hidden, count: n) + VectorMath.load(recurrentBias + 2 * hidden, count: n),
                x.2, VectorMath.load(state, count: n))
    }

    /// One chunk of the forward pointwise step: stores r, z, n over gates + k*H, hn + b_hn over
    /// recurrent + 2H (both kept for backward), and h_t.
    @_transparent
    static func forwardChunk(_ v: (Float8, Float8, Float8, Float8, Float8), gates: UnsafeMutablePointer<Float>,
                             recurrent: UnsafeMutablePointer<Float>, hidden: Int, output: UnsafeMutablePointer<Float>, lanes n: Int) {
        let (rPre, zPre, hnBiased, xnBiased, hOld) = v
        let r = VectorMath.sigmoid(rPre)
        let z = VectorMath.sigmoid(zPre)
        let candidate = VectorMath.tanh(xnBiased.addingProduct(r, hnBiased))
        let h = candidate.addingProduct(z, hOld - candidate)
        VectorMath.store(r, to: gates, count: n)
        VectorMath.store(z, to: gates + hidden, count: n)
        VectorMath.store(candidate, to: gates + 2 * hidden, count: n)
        VectorMath.store(hnBiased, to: recurrent + 2 * hidden, count: n)
        VectorMath.store(h, to: output, count: n)
    }

    /// `afterStep(t)` runs once step t's gradients are final (while they are hot in cache).
    static func backward(_ w: RecurrentBuffers, weightHH: UnsafePointer<Float>, dOutputs: UnsafeMutablePointer<Float>, afterStep: (Int) -> Void) {
        let (batch, hidden) = (w.batch, w.hidden)
        let width = 3 * hidden
        for t in stride(from: w.steps - 1, through: 0, by: -1) {
            let gates = w.gates + t * batch * width
            let recurrent = w.recurrent + t * batch * width
            let hPrev = w.states + t * batch * hidden
            let dOut = dOutputs + t * batch * hidden
            for b in 0..<batch {
                let row = b * hidden
                let dhCarry = w.stateGrad + row
                let gr = gates + b * width, rr = recurrent + b * width  // r, z, n blocks at + k*H
                if !w.mask[t * batch + b] {
                    BufferOps.axpy(count: hidden, alpha: 1, x: dOut + row, y: dhCarry)
                    gr.update(repeating: 0, count: width)
                    rr.update(repeating: 0, count: width)
                    continue
                }
                // 8-lane chunks, the last one overlapping (see VectorMath.lastChunk)
                let last = VectorMath.lastChunk(width: hidden)
                let lastInputs = backwardInputs(gates: gr + last.start, recurrent: rr + last.start, hidden: hidden,
                                                dOut: dOut + row + last.start, dhCarry: dhCarry + last.start,
                                                state: hPrev + row + last.start, lanes: last.lanes)
                for j in stride(from: 0, to: last.start, by: 8) {
                    let inputs = backwardInputs(gates: gr + j, recurrent: rr + j, hidden: hidden, dOut: dOut + row + j,
                                                dhCarry: dhCarry + j, state: hPrev + row + j, lanes: 8)
                    backwardChunk(inputs, gates: gr + j, recurrent: rr + j, hidden: hidden, dhCarry: dhCarry + j, lanes: 8)
                }
                backwardChunk(lastInputs, gates: gr + last.start, recurrent: rr + last.start, hidden: hidden,
                              dhCarry: dhCarry + last.start, lanes: last.lanes)
            }
            // dh_carry += [dr_pre, dz_pre, d hn] [B, 3H] x W_hh [3H, H]
            w.addRecurrentGradient(dGates: recurrent, weightHH: weightHH, width: width)
            afterStep(t)
        }
    }

    /// One chunk's backward inputs: (dh = dOut + dh_carry, r, z, n, hn + b_hn, h_{t-1}).
    @_transparent
    static func backwardInputs(gates: UnsafePointer<Float>, recurrent: UnsafePointer<Float>, hidden: Int,
                               dOut: UnsafePointer<Float>, dhCarry: UnsafePointer<Float>, state: UnsafePointer<Float>,
                               lanes n: Int) -> (Float8, Float8, Float8, Float8, Float8, Float8) {
        (VectorMath.load(dhCarry, count: n) + VectorMath.load(dOut, count: n),
         VectorMath.load(gates, count: n), VectorMath.load(gates + hidden, count: n), VectorMath.load(gates + 2 * hidden, count: n),
         VectorMath.load(recurrent + 2 * hidden, count: n), VectorMath.load(state, count: n))
    }

    /// One chunk of the backward pointwise step: [dr_pre, dz_pre, dn_pre] over gates + k*H,
    /// [dr_pre, dz_pre, d hn] over recurrent + k*H, dh * z into dh_carry (the step's sgemm adds the rest).
    @_transparent
    static func backwardChunk(_ v: (Float8, Float8, Float8, Float8, Float8, Float8), gates: UnsafeMutablePointer<Float>,
                              recurrent: UnsafeMutablePointer<Float>, hidden: Int, dhCarry: UnsafeMutablePointer<Float>, lanes n: Int) {
        let (dh, r, z, candidate, hn, hOld) = v
        let dz = dh * (hOld - candidate)
        let dnPre = dh * (1 - z) * (1 - candidate * candidate)
        let drPre = dnPre * hn * r * (1 - r)
        let dzPre = dz * z * (1 - z)
        VectorMath.store(drPre, to: gates, count: n)
        VectorMath.store(dzPre, to: gates + hidden, count: n)
        VectorMath.store(dnPre, to: gates + 2 * hidden, count: n)
        VectorMath.store(drPre, to: recurrent, count: n)
        VectorMath.store(dzPre, to: recurrent + hidden, count: n)
        VectorMath.store(dnPre * r, to: recurrent + 2 * hidden, count: n)
        VectorMath.store(dh * z, to: dhCarry, count: n)
    }
}
