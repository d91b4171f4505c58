// torch.optim.SGD (defaults lr 1e-3 in recent PyTorch, momentum 0, dampening 0,
// weight_decay 0, nesterov false):
//
//     g = grad + weight_decay * p
//     if momentum != 0:
//         buf = g                                   (first step)
//         buf = momentum * buf + (1 - dampening) * g (later steps)
//         g = g + momentum * buf  if nesterov  else  buf
//     p = p - lr * g
//
// A parameter that tracks rows (training.sparse_gradients) is updated on its touched rows
// only when momentum and weight decay are 0; that equals the dense update bitwise (an
// untouched row has g = 0). With momentum or decay every row moves, so the update stays dense.

package final class SGD: Optimizer {
    package let momentum: Float
    package let dampening: Float
    package let nesterov: Bool
    package let weightDecay: Float
    private var slots = OptimizerSlots(["momentum_buffer"])
    private var constants = (lr: Float8(), decay: Float8(), mu: Float8(), keep: Float8(), add: Float8())

    package init(momentum: Float = 0, dampening: Float = 0, nesterov: Bool = false, weightDecay: Float = 0) {
        self.momentum = momentum
        self.dampening = dampening
        self.nesterov = nesterov
        self.weightDecay = weightDecay
    }

    package var updatesTouchedRowsOnly: Bool { momentum == 0 && weightDecay == 0 }
    package var state: OptimizerState { slots.state }
    package var stateBufferNames: [String] { momentum != 0 ? slots.names : [] }

    package func restore(_ state: OptimizerState, arena: ParameterArena) throws(OptimizerStateError) {
        try slots.restore(state, count: arena.count)
    }

    package func beginStep(_ arena: ParameterArena, learningRate: Float) {
        let firstStep = momentum != 0 ? slots.beginStep(arena) : false
        constants = (Float8(repeating: learningRate), Float8(repeating: weightDecay), Float8(repeating: momentum),
                     Float8(repeating: firstStep ? 0 : momentum), Float8(repeating: firstStep ? 1 : 1 - dampening))
    }

    package func updateDense(_ arena: ParameterArena, _ range: Range<Int>) {
        let c = constants
        let (p, g) = (arena.values + range.lowerBound, UnsafePointer(arena.grads + range.lowerBound))
        guard momentum != 0 else {
            forEachChunk(range.count) { j, n in
                let param = VectorMath.load(p + j, count: n)
                let d = VectorMath.load(g + j, count: n) + c.decay * param
                VectorMath.store(param - c.lr * d, to: p + j, count: n)
            }
            return
        }
        let buffer = slots[0] + range.lowerBound
        let nesterov = self.nesterov
        forEachChunk(range.count) { j, n in
            let param = VectorMath.load(p + j, count: n)
            let d = VectorMath.load(g + j, count: n) + c.decay * param
            let b = c.keep * VectorMath.load(buffer + j, count: n) + c.add * d
            VectorMath.store(b, to: buffer + j, count: n)
            let update = nesterov ? d + c.mu * b : b
            VectorMath.store(param - c.lr * update, to: p + j, count: n)
        }
    }

    /// Without momentum and decay (the only row-sparse case) a row's update is the dense one.
    package func updateRow(_ arena: ParameterArena, _ range: Range<Int>) { updateDense(arena, range) }
}
