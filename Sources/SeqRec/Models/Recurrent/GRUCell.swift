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
// The hidden side is separate (r multiplies hn + b_hn): W_hh h goes to recurrent [B, 3H] and
// b_hh is added here. The input-side gradients [dr_pre, dz_pre, dn_pre] go to gates and the
// hidden-side ones [dr_pre, dz_pre, d hn] to recurrent (they differ only in the n block).
// Padded steps carry h and write zero gradients. The time loop is TimeLoop's (RecurrentCell.swift).

enum GRUCell: RecurrentCell {
    static var gateCount: Int { 3 }
    static var stateCount: Int { 1 }
    static var separateHiddenSide: Bool { true }
    static var forgetGate: Int? { nil }

    /// One chunk's forward inputs: (xr + hr + b_r, xz + hz + b_z, hn + b_hn, xn + b_in, h_{t-1}),
    /// x = gates + k*H (+ b_ih for a dense input), h = recurrent + k*H, b_hh = recurrentBias.
    @_transparent
    static func forwardInputs(_ row: ForwardRow, at j: Int, lanes n: Int) -> (Float8, Float8, Float8, Float8, Float8) {
        let (gates, recurrent, recurrentBias, hidden) = (row.gates + j, row.recurrent + j, row.recurrentBias + j, row.hidden)
        var x = (VectorMath.load(gates, count: n), VectorMath.load(gates + hidden, count: n), VectorMath.load(gates + 2 * hidden, count: n))
        if let bias = row.bias?.advanced(by: j) {
            x.0 += VectorMath.load(bias, count: n)
            x.1 += VectorMath.load(bias + hidden, count: n)
            x.2 += VectorMath.load(bias + 2 * hidden, count: n)
        }
        return (x.0 + VectorMath.load(recurrent, count: n) + VectorMath.load(recurrentBias, count: n),
                x.1 + VectorMath.load(recurrent + hidden, count: n) + VectorMath.load(recurrentBias + hidden, count: n),
                VectorMath.load(recurrent + 2 * hidden, count: n) + VectorMath.load(recurrentBias + 2 * hidden, count: n),
                x.2, VectorMath.load(row.hPrev + j, count: n))
    }

    /// One chunk of the forward pointwise step: stores r, z, n over gates + k*H, hn + b_hn over
    /// recurrent + 2H (both kept for backward), and h_t.
    @_transparent
    static func forwardChunk(_ v: (Float8, Float8, Float8, Float8, Float8), _ row: ForwardRow, at j: Int, lanes n: Int) {
        let (gates, recurrent, hidden) = (row.gates + j, row.recurrent + j, row.hidden)
        let (rPre, zPre, hnBiased, xnBiased, hOld) = v
        let r = VectorMath.sigmoid(rPre)
        let z = VectorMath.sigmoid(zPre)
        let candidate = VectorMath.tanh(xnBiased.addingProduct(r, hnBiased))
        let h = candidate.addingProduct(z, hOld - candidate)
        VectorMath.store(r, to: gates, count: n)
        VectorMath.store(z, to: gates + hidden, count: n)
        VectorMath.store(candidate, to: gates + 2 * hidden, count: n)
        VectorMath.store(hnBiased, to: recurrent + 2 * hidden, count: n)
        VectorMath.store(h, to: row.hNext + j, count: n)
    }

    /// One chunk's backward inputs: (dh = dOut + dh_carry, r, z, n, hn + b_hn, h_{t-1}).
    @_transparent
    static func backwardInputs(_ row: BackwardRow, at j: Int, lanes n: Int) -> (Float8, Float8, Float8, Float8, Float8, Float8) {
        let (gates, recurrent, hidden) = (row.gates + j, row.recurrent + j, row.hidden)
        return (VectorMath.load(row.dhCarry + j, count: n) + VectorMath.load(row.dOut + j, count: n),
                VectorMath.load(gates, count: n), VectorMath.load(gates + hidden, count: n), VectorMath.load(gates + 2 * hidden, count: n),
                VectorMath.load(recurrent + 2 * hidden, count: n), VectorMath.load(row.hPrev + j, count: n))
    }

    /// One chunk of the backward pointwise step: [dr_pre, dz_pre, dn_pre] over gates + k*H,
    /// [dr_pre, dz_pre, d hn] over recurrent + k*H, dh * z into dh_carry (the step's sgemm adds the rest).
    @_transparent
    static func backwardChunk(_ v: (Float8, Float8, Float8, Float8, Float8, Float8), _ row: BackwardRow, at j: Int, lanes n: Int) {
        let (gates, recurrent, hidden) = (row.gates + j, row.recurrent + j, row.hidden)
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
        VectorMath.store(dh * z, to: row.dhCarry + j, count: n)
    }
}
