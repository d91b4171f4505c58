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
            BLAS.sgemm(transA: false, transB: true, m: batch, n: width, k: hidden,
                       alpha: 1, a: hPrev, lda: hidden, b: weightHH, ldb: hidden,
                       beta: 0, c: recurrent, ldc: width)
            let bias = w.inputBias  // [3H] or nil
            for b in 0..<batch {
                let row = b * hidden
                if !w.mask[t * batch + b] {
                    (hNext + row).update(from: hPrev + row, count: hidden)
                    continue
                }
                // x side in gates: dense = projection, + b_ih here; lookup = table row (b_ih folded in).
                let gr = gates + b * width, gz = gr + hidden, gn = gz + hidden
                let hr = recurrent + b * width, hz = hr + hidden, hn = hz + hidden
                let bhr = w.recurrentBias, bhz = bhr + hidden, bhn = bhz + hidden
                @inline(__always) func xSide(_ gate: UnsafePointer<Float>, _ offset: Int, _ j: Int, _ n: Int) -> Float8 {
                    let value = VectorMath.load(gate + j, count: n)
                    guard let bias else { return value }
                    return value + VectorMath.load(bias + offset + j, count: n)
                }
                VectorMath.forEachChunk(width: hidden, load: { j, n in
                    (xSide(gr, 0, j, n) + VectorMath.load(hr + j, count: n) + VectorMath.load(bhr + j, count: n),
                     xSide(gz, hidden, j, n) + VectorMath.load(hz + j, count: n) + VectorMath.load(bhz + j, count: n),
                     VectorMath.load(hn + j, count: n) + VectorMath.load(bhn + j, count: n),
                     xSide(gn, 2 * hidden, j, n),
                     VectorMath.load(hPrev + row + j, count: n))
                }, finish: { v, j, n in
                    let (rPre, zPre, hnBiased, xnBiased, hOld) = v
                    let r = VectorMath.sigmoid(rPre)
                    let z = VectorMath.sigmoid(zPre)
                    let candidate = VectorMath.tanh(xnBiased.addingProduct(r, hnBiased))
                    let h = candidate.addingProduct(z, hOld - candidate)
                    VectorMath.store(r, to: gr + j, count: n)
                    VectorMath.store(z, to: gz + j, count: n)
                    VectorMath.store(candidate, to: gn + j, count: n)
                    VectorMath.store(hnBiased, to: hn + j, count: n)
                    VectorMath.store(h, to: hNext + row + j, count: n)
                })
            }
        }
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
                let gr = gates + b * width, gz = gr + hidden, gn = gz + hidden
                let rr = recurrent + b * width, rz = rr + hidden, rn = rz + hidden
                if !w.mask[t * batch + b] {
                    BufferOps.axpy(count: hidden, alpha: 1, x: dOut + row, y: dhCarry)
                    gr.update(repeating: 0, count: width)
                    rr.update(repeating: 0, count: width)
                    continue
                }
                VectorMath.forEachChunk(width: hidden, load: { j, n in
                    (VectorMath.load(dhCarry + j, count: n) + VectorMath.load(dOut + row + j, count: n),
                     VectorMath.load(gr + j, count: n), VectorMath.load(gz + j, count: n),
                     VectorMath.load(gn + j, count: n), VectorMath.load(rn + j, count: n),
                     VectorMath.load(hPrev + row + j, count: n))
                }, finish: { v, j, n in
                    let (dh, r, z, candidate, hn, hOld) = v
                    let dz = dh * (hOld - candidate)
                    let dnPre = dh * (1 - z) * (1 - candidate * candidate)
                    let drPre = dnPre * hn * r * (1 - r)
                    let dzPre = dz * z * (1 - z)
                    VectorMath.store(drPre, to: gr + j, count: n)
                    VectorMath.store(dzPre, to: gz + j, count: n)
                    VectorMath.store(dnPre, to: gn + j, count: n)
                    VectorMath.store(drPre, to: rr + j, count: n)
                    VectorMath.store(dzPre, to: rz + j, count: n)
                    VectorMath.store(dnPre * r, to: rn + j, count: n)
                    VectorMath.store(dh * z, to: dhCarry + j, count: n)
                })
            }
            // dh_carry += [dr_pre, dz_pre, d hn] [B, 3H] x W_hh [3H, H]
            BLAS.sgemm(transA: false, transB: false, m: batch, n: hidden, k: width,
                       alpha: 1, a: recurrent, lda: width, b: weightHH, ldb: hidden,
                       beta: 1, c: w.stateGrad, ldc: hidden)
            afterStep(t)
        }
    }
}
