// Elman RNN cell with tanh, exactly torch.nn.RNN(nonlinearity="tanh"):
//
//   forward (per step t, row b)                    backward
//   a   = W_ih x_t + b_ih + W_hh h + b_hh  [B, H]   dh = dOut_t + dh_carry
//   h_t = tanh(a)                                  da = dh * (1 - h_t^2)
//                                                  dh_carry = da [B, H] x W_hh [H, H]
//
// Padded steps carry h and write da = 0. Forward leaves a in gates and h_t in states only.

enum RNNCell {
    static func forward(_ w: RecurrentBuffers, weightHH: UnsafePointer<Float>) {
        let (batch, hidden) = (w.batch, w.hidden)
        for t in 0..<w.steps {
            let gates = w.gates + t * batch * hidden  // [B, H]
            let hPrev = w.states + t * batch * hidden
            let hNext = hPrev + batch * hidden
            // gates [B, H] += h_{t-1} [B, H] x W_hh^T [H, H], onto the x side (the dense
            // projection, or the table rows gathered here); a dense input's biases are added below
            w.gatherInputRows(step: t, width: hidden)
            w.recurrentProduct(h: hPrev, weightHH: weightHH, width: hidden, beta: 1, into: gates)
            let bias = w.inputBias  // [H] or nil
            for b in 0..<batch {
                let row = b * hidden
                if !w.mask[t * batch + b] {
                    (hNext + row).update(from: hPrev + row, count: hidden)
                    continue
                }
                // 8-lane chunks, the last one overlapping (see VectorMath.lastChunk); h_t goes to
                // states only (backward reads it there)
                let last = VectorMath.lastChunk(width: hidden)
                let lastInput = preActivation(gates + row + last.start, bias: bias.map { $0 + last.start }, lanes: last.lanes)
                for j in stride(from: 0, to: last.start, by: 8) {
                    let input = preActivation(gates + row + j, bias: bias.map { $0 + j }, lanes: 8)
                    VectorMath.store(VectorMath.tanh(input), to: hNext + row + j, count: 8)
                }
                VectorMath.store(VectorMath.tanh(lastInput), to: hNext + row + last.start, count: last.lanes)
            }
        }
    }

    /// `afterStep(t)` runs once step t's gradients are final (while they are hot in cache).
    static func backward(_ w: RecurrentBuffers, weightHH: UnsafePointer<Float>, dOutputs: UnsafeMutablePointer<Float>, afterStep: (Int) -> Void) {
        let (batch, hidden) = (w.batch, w.hidden)
        for t in stride(from: w.steps - 1, through: 0, by: -1) {
            let gates = w.gates + t * batch * hidden
            let hNext = w.states + (t + 1) * batch * hidden  // h_t
            let dOut = dOutputs + t * batch * hidden
            for b in 0..<batch {
                let row = b * hidden
                let dhCarry = w.stateGrad + row
                if !w.mask[t * batch + b] {
                    BufferOps.axpy(count: hidden, alpha: 1, x: dOut + row, y: dhCarry)
                    (gates + row).update(repeating: 0, count: hidden)
                    continue
                }
                // da = dh * (1 - h_t^2) into gates, zero into dh_carry (the sgemm adds da x W_hh)
                let h = hNext + row
                VectorMath.forEachChunk(width: hidden, load: { j, n in
                    (VectorMath.load(dhCarry + j, count: n) + VectorMath.load(dOut + row + j, count: n),
                     VectorMath.load(h + j, count: n))
                }, finish: { v, j, n in
                    let (dh, h) = v
                    VectorMath.store(dh * (1 - h * h), to: gates + row + j, count: n)
                    VectorMath.store(Float8(), to: dhCarry + j, count: n)
                })
            }
            // dh_carry += da [B, H] x W_hh [H, H]
            w.addRecurrentGradient(dGates: gates, weightHH: weightHH, width: hidden)
            afterStep(t)
        }
    }

    /// a = gates (+ the bias, for a dense input), one chunk.
    @_transparent
    static func preActivation(_ gates: UnsafePointer<Float>, bias: UnsafePointer<Float>?, lanes n: Int) -> Float8 {
        let value = VectorMath.load(gates, count: n)
        guard let bias else { return value }
        return value + VectorMath.load(bias, count: n)
    }
}
