// The GRU cell's pointwise step, forward and backward, over one step's rows (the equations,
// gate order r, z, n, are in Models/Recurrent/GRUCell.swift). Shapes: gates (x side) and
// recurrent (W_hh h) [B, 3H], h [B, H]; b_hh [3H] is added here.

import SeqRecKernelAPI

extension Kernels {
    public static func gruForward(_ step: RecurrentForwardStep) {
        let size = Lanes.scalarCount
        for b in 0..<step.batch {
            guard step.mask[b] else {
                PaddedRow.forward(step, row: b, carriesCell: false)
                continue
            }
            let row = ForwardRow(step, row: b, gateCount: 3)
            let last = VectorMath.lastChunk(width: step.hidden)
            let lastInputs = GRUChunk.forwardInputs(row, at: last.start, lanes: last.lanes)
            for j in stride(from: 0, to: last.start, by: size) {
                GRUChunk.forward(GRUChunk.forwardInputs(row, at: j, lanes: size), row, at: j, lanes: size)
            }
            GRUChunk.forward(lastInputs, row, at: last.start, lanes: last.lanes)
        }
    }

    public static func gruBackward(_ step: RecurrentBackwardStep) {
        let size = Lanes.scalarCount
        for b in 0..<step.batch {
            guard step.mask[b] else {
                PaddedRow.backward(step, row: b, gateCount: 3, separateHiddenSide: true)
                continue
            }
            let row = BackwardRow(step, row: b, gateCount: 3)
            let last = VectorMath.lastChunk(width: step.hidden)
            let lastInputs = GRUChunk.backwardInputs(row, at: last.start, lanes: last.lanes)
            for j in stride(from: 0, to: last.start, by: size) {
                GRUChunk.backward(GRUChunk.backwardInputs(row, at: j, lanes: size), row, at: j, lanes: size)
            }
            GRUChunk.backward(lastInputs, row, at: last.start, lanes: last.lanes)
        }
    }
}

enum GRUChunk {
    /// One chunk's forward inputs: (xr + hr + b_r, xz + hz + b_z, hn + b_hn, xn + b_in, h_{t-1}),
    /// x = gates + k*H (+ b_ih for a dense input), h = recurrent + k*H, b_hh = recurrentBias.
    @_transparent
    static func forwardInputs(_ row: ForwardRow, at j: Int, lanes n: Int) -> (Lanes, Lanes, Lanes, Lanes, Lanes) {
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

    /// One chunk of the forward step: stores r, z, n over gates + k*H, hn + b_hn over
    /// recurrent + 2H (both kept for backward), and h_t.
    @_transparent
    static func forward(_ v: (Lanes, Lanes, Lanes, Lanes, Lanes), _ row: ForwardRow, at j: Int, lanes n: Int) {
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
    static func backwardInputs(_ row: BackwardRow, at j: Int, lanes n: Int) -> (Lanes, Lanes, Lanes, Lanes, Lanes, Lanes) {
        let (gates, recurrent, hidden) = (row.gates + j, row.recurrent + j, row.hidden)
        return (VectorMath.load(row.dhCarry + j, count: n) + VectorMath.load(row.dOut + j, count: n),
                VectorMath.load(gates, count: n), VectorMath.load(gates + hidden, count: n), VectorMath.load(gates + 2 * hidden, count: n),
                VectorMath.load(recurrent + 2 * hidden, count: n), VectorMath.load(row.hPrev + j, count: n))
    }

    /// One chunk of the backward step: [dr_pre, dz_pre, dn_pre] over gates + k*H,
    /// [dr_pre, dz_pre, d hn] over recurrent + k*H, dh * z into dh_carry (the step's sgemm adds the rest).
    @_transparent
    static func backward(_ v: (Lanes, Lanes, Lanes, Lanes, Lanes, Lanes), _ row: BackwardRow, at j: Int, lanes n: Int) {
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
