// torch.optim.Adagrad (defaults lr 1e-2, lr_decay 0, weight_decay 0,
// initial_accumulator_value 0, eps 1e-10). At step t (from 1):
//
//     g = grad + weight_decay * p
//     clr = lr / (1 + (t - 1) * lr_decay)
//     sum = sum + g * g
//     p = p - clr * g / (sqrt(sum) + eps)
//
// A parameter that tracks rows (training.sparse_gradients) is updated on its touched rows
// only, as torch's Adagrad does for a sparse gradient. Without weight decay (which torch
// rejects for sparse gradients) that equals the dense update bitwise: an untouched row has
// g = 0, so neither its sum nor its value moves.

package final class Adagrad: Optimizer {
    package let learningRateDecay: Float
    package let initialAccumulatorValue: Float
    package let eps: Float
    package let weightDecay: Float
    private var slots = OptimizerSlots(["sum"])
    private var constants = (decay: Float8(), negRate: Float8(), eps: Float8())

    package init(learningRateDecay: Float = 0, initialAccumulatorValue: Float = 0, eps: Float = 1e-10, weightDecay: Float = 0) {
        self.learningRateDecay = learningRateDecay
        self.initialAccumulatorValue = initialAccumulatorValue
        self.eps = eps
        self.weightDecay = weightDecay
    }

    package var updatesTouchedRowsOnly: Bool { weightDecay == 0 }
    package var state: OptimizerState { slots.state }
    package var stateBufferNames: [String] { slots.names }

    package func restore(_ state: OptimizerState, arena: ParameterArena) throws(OptimizerStateError) {
        try slots.restore(state, count: arena.count)
    }

    package func beginStep(_ arena: ParameterArena, learningRate: Float) {
        slots.beginStep(arena, initialValue: initialAccumulatorValue)
        let currentRate = Float(Double(learningRate) / (1 + Double(slots.stepCount - 1) * Double(learningRateDecay)))
        constants = (Float8(repeating: weightDecay), Float8(repeating: -currentRate), Float8(repeating: eps))
    }

    package func updateDense(_ arena: ParameterArena, _ range: Range<Int>) {
        let c = constants
        let (p, g, sum) = (arena.values + range.lowerBound, UnsafePointer(arena.grads + range.lowerBound), slots[0] + range.lowerBound)
        forEachChunk(range.count) { j, n in
            let param = VectorMath.load(p + j, count: n)
            let grad = VectorMath.load(g + j, count: n) + c.decay * param
            let accumulated = VectorMath.load(sum + j, count: n) + grad * grad
            VectorMath.store(accumulated, to: sum + j, count: n)
            VectorMath.store(param + c.negRate * (grad / (VectorMath.squareRoot(accumulated) + c.eps)), to: p + j, count: n)
        }
    }

    /// Without decay (the only row-sparse case) a row's update is the dense one.
    package func updateRow(_ arena: ParameterArena, _ range: Range<Int>) { updateDense(arena, range) }
}
