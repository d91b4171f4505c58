// The Elman RNN cell's pointwise step (tanh), forward and backward, over one step's rows (the
// equations are in Models/Recurrent/RNNCell.swift). Shapes: gates [B, H] (a, then da), h [B, H].

import SeqRecKernelAPI

extension Kernels {
    /// h_t = tanh(a), a = gates (+ the bias, for a dense input).
    public static func rnnForward(_ step: RecurrentForwardStep) {
        let size = Lanes.scalarCount
        for b in 0..<step.batch {
            guard step.mask[b] else {
                PaddedRow.forward(step, row: b, carriesCell: false)
                continue
            }
            let row = ForwardRow(step, row: b, gateCount: 1)
            let last = VectorMath.lastChunk(width: step.hidden)
            let lastInputs = RNNChunk.forwardInputs(row, at: last.start, lanes: last.lanes)
            for j in stride(from: 0, to: last.start, by: size) {
                RNNChunk.forward(RNNChunk.forwardInputs(row, at: j, lanes: size), row, at: j, lanes: size)
            }
            RNNChunk.forward(lastInputs, row, at: last.start, lanes: last.lanes)
        }
    }

    /// da = dh * (1 - h_t^2) into gates, zero into dh_carry (the step's sgemm adds da x W_hh).
    public static func rnnBackward(_ step: RecurrentBackwardStep) {
        let size = Lanes.scalarCount
        for b in 0..<step.batch {
            guard step.mask[b] else {
                PaddedRow.backward(step, row: b, gateCount: 1, separateHiddenSide: false)
                continue
            }
            let row = BackwardRow(step, row: b, gateCount: 1)
            let last = VectorMath.lastChunk(width: step.hidden)
            let lastInputs = RNNChunk.backwardInputs(row, at: last.start, lanes: last.lanes)
            for j in stride(from: 0, to: last.start, by: size) {
                RNNChunk.backward(RNNChunk.backwardInputs(row, at: j, lanes: size), row, at: j, lanes: size)
            }
            RNNChunk.backward(lastInputs, row, at: last.start, lanes: last.lanes)
        }
    }
}

enum RNNChunk {
    @_transparent
    static func forwardInputs(_ row: ForwardRow, at j: Int, lanes n: Int) -> Lanes {
        let value = VectorMath.load(row.gates + j, count: n)
        guard let bias = row.bias else { return value }
        return value + VectorMath.load(bias + j, count: n)
    }

    @_transparent
    static func forward(_ a: Lanes, _ row: ForwardRow, at j: Int, lanes n: Int) {
        VectorMath.store(VectorMath.tanh(a), to: row.hNext + j, count: n)
    }

    /// (dh = dOut + dh_carry, h_t)
    @_transparent
    static func backwardInputs(_ row: BackwardRow, at j: Int, lanes n: Int) -> (Lanes, Lanes) {
        (VectorMath.load(row.dhCarry + j, count: n) + VectorMath.load(row.dOut + j, count: n),
         VectorMath.load(row.hNext + j, count: n))
    }

    @_transparent
    static func backward(_ v: (Lanes, Lanes), _ row: BackwardRow, at j: Int, lanes n: Int) {
        let (dh, h) = v
        VectorMath.store(dh * (1 - h * h), to: row.gates + j, count: n)
        VectorMath.store(Lanes(), to: row.dhCarry + j, count: n)
    }
}
