// torch.optim.Adam (defaults lr 1e-3, betas (0.9, 0.999), eps 1e-8, weight_decay 0,
// amsgrad false), and torch.optim.AdamW with `decoupled`. At step t (from 1):
//
//     p = p * (1 - lr * weight_decay)        (AdamW only; then no L2 term)
//     g = grad + weight_decay * p            (Adam only: L2 added to the gradient)
//     m = m + (1 - beta1) * (g - m)          (torch lerp_, = beta1 m + (1 - beta1) g)
//     v = beta2 * v + (1 - beta2) * g * g
//     step_size = lr / (1 - beta1^t)          (bias corrections in double, as in Python)
//     denom = sqrt(v) / sqrt(1 - beta2^t) + eps     (computed as sqrt(v) * (1 / sqrt(...)))
//     p = p - step_size * m / denom
//
// A parameter that tracks rows (training.sparse_gradients) is updated as by
// torch.optim.SparseAdam instead (no weight decay there): only the touched rows, lazily
// (the values and moments of other rows do not move), in SparseAdam's arithmetic:
//
//     m += (1 - beta1) * (g - m);  v += (1 - beta2) * (g*g - v)
//     step_size = lr * sqrt(1 - beta2^t) / (1 - beta1^t)
//     p = p - step_size * m / (sqrt(v) + eps)
//
// with t the optimizer's step count (SparseAdam counts every step, touched or not).
// The updates are hot kernels (Sources/SeqRecKernels/AdamKernels.swift, the build
// KernelDispatch chose); this file keeps the state and the step's constants.

import Foundation
import SeqRecKernelAPI

public final class Adam: Optimizer {
    package let beta1: Float
    package let beta2: Float
    package let eps: Float
    public let weightDecay: Float
    /// Decoupled (AdamW) decay: p *= 1 - lr * weight_decay before the Adam step, and no L2 term.
    package let decoupled: Bool
    private var slots = OptimizerSlots(["exp_avg", "exp_avg_sq"])
    private var constants = AdamStepConstants()

    public init(beta1: Float = 0.9, beta2: Float = 0.999, eps: Float = 1e-8, weightDecay: Float = 0, decoupled: Bool = false) {
        self.beta1 = beta1
        self.beta2 = beta2
        self.eps = eps
        self.weightDecay = weightDecay
        self.decoupled = decoupled
    }

    public var updatesTouchedRowsOnly: Bool { weightDecay == 0 }
    public var state: OptimizerState { slots.state }
    public var stateBufferNames: [String] { slots.names }
    var stepCount: Int { slots.stepCount }

    public func restore(_ state: OptimizerState, arena: ParameterArena) throws(OptimizerStateError) {
        try slots.restore(state, count: arena.count)
    }

    public func beginStep(_ arena: ParameterArena, learningRate: Float) {
        slots.beginStep(arena)
        let t = Double(slots.stepCount)
        let correction1 = 1 - pow(Double(beta1), t)
        let correction2 = 1 - pow(Double(beta2), t)
        let stepSize = Float(Double(learningRate) / correction1)
        var c = AdamStepConstants()
        c.l2 = decoupled ? 0 : weightDecay
        c.shrink = decoupled ? 1 - learningRate * weightDecay : 1
        c.oneMinusBeta1 = 1 - beta1
        c.beta2 = beta2
        c.oneMinusBeta2 = 1 - beta2
        c.inverseRoot2 = 1 / Float(correction2.squareRoot())
        c.eps = eps
        c.negStep = -stepSize
        c.sparseNegStep = Float(-(Double(learningRate) * correction2.squareRoot() / correction1))
        c.sparseKeep1 = Float(1 - Double(beta1))
        c.sparseKeep2 = Float(1 - Double(beta2))
        constants = c
    }

    public func updateDense(_ arena: ParameterArena, _ range: Range<Int>) {
        let offset = range.lowerBound
        KernelDispatch.active.adamDense(constants, decay: weightDecay != 0, values: arena.values + offset,
                                        grads: arena.grads + offset, means: slots[0] + offset, squares: slots[1] + offset,
                                        count: range.count)
    }

    /// torch.optim.SparseAdam on one touched row.
    public func updateRow(_ arena: ParameterArena, _ range: Range<Int>) {
        let offset = range.lowerBound
        KernelDispatch.active.adamRow(constants, values: arena.values + offset, grads: arena.grads + offset,
                                      means: slots[0] + offset, squares: slots[1] + offset, count: range.count)
    }
}
