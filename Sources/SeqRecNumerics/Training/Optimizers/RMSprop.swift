// torch.optim.RMSprop (defaults lr 1e-2, alpha 0.99, eps 1e-8, weight_decay 0,
// momentum 0, centered false; centered is not supported):
//
//     g = grad + weight_decay * p
//     v = alpha * v + (1 - alpha) * g * g
//     avg = sqrt(v) + eps
//     if momentum > 0:  buf = momentum * buf + g / avg;  p = p - lr * buf
//     else:             p = p - lr * g / avg

package final class RMSprop: Optimizer {
    package let alpha: Float
    package let eps: Float
    package let momentum: Float
    package let weightDecay: Float
    private var slots: OptimizerSlots
    private var constants = (decay: Float8(), alpha: Float8(), oneMinusAlpha: Float8(), eps: Float8(), mu: Float8(), negRate: Float8())

    package init(alpha: Float = 0.99, eps: Float = 1e-8, momentum: Float = 0, weightDecay: Float = 0) {
        self.alpha = alpha
        self.eps = eps
        self.momentum = momentum
        self.weightDecay = weightDecay
        slots = OptimizerSlots(momentum > 0 ? ["square_avg", "momentum_buffer"] : ["square_avg"])
    }

    /// torch has no row-sparse RMSprop: tracked parameters are updated densely.
    package var updatesTouchedRowsOnly: Bool { false }
    package var state: OptimizerState { slots.state }
    package var stateBufferNames: [String] { slots.names }

    package func restore(_ state: OptimizerState, arena: ParameterArena) throws(OptimizerStateError) {
        try slots.restore(state, count: arena.count)
    }

    package func beginStep(_ arena: ParameterArena, learningRate: Float) {
        slots.beginStep(arena)
        constants = (Float8(repeating: weightDecay), Float8(repeating: alpha), Float8(repeating: 1 - alpha),
                     Float8(repeating: eps), Float8(repeating: momentum), Float8(repeating: -learningRate))
    }

    package func updateDense(_ arena: ParameterArena, _ range: Range<Int>) {
        let c = constants
        let (p, g, v) = (arena.values + range.lowerBound, UnsafePointer(arena.grads + range.lowerBound), slots[0] + range.lowerBound)
        guard momentum > 0 else {
            forEachChunk(range.count) { j, n in
                let param = VectorMath.load(p + j, count: n)
                let grad = VectorMath.load(g + j, count: n) + c.decay * param
                let average = c.alpha * VectorMath.load(v + j, count: n) + c.oneMinusAlpha * grad * grad
                VectorMath.store(average, to: v + j, count: n)
                VectorMath.store(param + c.negRate * (grad / (VectorMath.squareRoot(average) + c.eps)), to: p + j, count: n)
            }
            return
        }
        let buffer = slots[1] + range.lowerBound
        forEachChunk(range.count) { j, n in
            let param = VectorMath.load(p + j, count: n)
            let grad = VectorMath.load(g + j, count: n) + c.decay * param
            let average = c.alpha * VectorMath.load(v + j, count: n) + c.oneMinusAlpha * grad * grad
            VectorMath.store(average, to: v + j, count: n)
            let b = c.mu * VectorMath.load(buffer + j, count: n) + grad / (VectorMath.squareRoot(average) + c.eps)
            VectorMath.store(b, to: buffer + j, count: n)
            VectorMath.store(param + c.negRate * b, to: p + j, count: n)
        }
    }

    package func updateRow(_ arena: ParameterArena, _ range: Range<Int>) { updateDense(arena, range) }
}
