// Elman RNN cell with tanh, exactly torch.nn.RNN(nonlinearity="tanh"):
//
//   forward (per step t, row b)                    backward
//   a   = W_ih x_t + b_ih + W_hh h + b_hh  [B, H]   dh = dOut_t + dh_carry
//   h_t = tanh(a)                                  da = dh * (1 - h_t^2)
//                                                  dh_carry = da [B, H] x W_hh [H, H]
//
// Padded steps carry h and write da = 0. Forward leaves a in gates and h_t in states only
// (backward reads it there). The time loop is TimeLoop's (RecurrentCell.swift).

enum RNNCell: RecurrentCell {
    static var gateCount: Int { 1 }
    static var stateCount: Int { 1 }
    static var separateHiddenSide: Bool { false }
    static var forgetGate: Int? { nil }

    /// a = gates (+ the bias, for a dense input), one chunk.
    @_transparent
    static func forwardInputs(_ row: ForwardRow, at j: Int, lanes n: Int) -> Float8 {
        let value = VectorMath.load(row.gates + j, count: n)
        guard let bias = row.bias else { return value }
        return value + VectorMath.load(bias + j, count: n)
    }

    /// h_t = tanh(a), one chunk.
    @_transparent
    static func forwardChunk(_ a: Float8, _ row: ForwardRow, at j: Int, lanes n: Int) {
        VectorMath.store(VectorMath.tanh(a), to: row.hNext + j, count: n)
    }

    /// (dh = dOut + dh_carry, h_t), one chunk.
    @_transparent
    static func backwardInputs(_ row: BackwardRow, at j: Int, lanes n: Int) -> (Float8, Float8) {
        (VectorMath.load(row.dhCarry + j, count: n) + VectorMath.load(row.dOut + j, count: n),
         VectorMath.load(row.hNext + j, count: n))
    }

    /// da = dh * (1 - h_t^2) into gates, zero into dh_carry (the step's sgemm adds da x W_hh).
    @_transparent
    static func backwardChunk(_ v: (Float8, Float8), _ row: BackwardRow, at j: Int, lanes n: Int) {
        let (dh, h) = v
        VectorMath.store(dh * (1 - h * h), to: row.gates + j, count: n)
        VectorMath.store(Float8(), to: row.dhCarry + j, count: n)
    }
}
