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

import Foundation

public final class Adam: Optimizer {
    public let beta1: Float
    public let beta2: Float
    public let eps: Float
    public let weightDecay: Float
    /// Decoupled (AdamW) decay: p *= 1 - lr * weight_decay before the Adam step, and no L2 term.
    public let decoupled: Bool
    private var slots = OptimizerSlots(["exp_avg", "exp_avg_sq"])
    private var constants = StepConstants()

    /// This step's lane constants (set by beginStep).
    private struct StepConstants {
        var l2 = Float8(), shrink = Float8(), oneMinusBeta1 = Float8(), beta2 = Float8(), oneMinusBeta2 = Float8()
        var inverseRoot2 = Float8(), eps = Float8(), negStep = Float8()
        // SparseAdam's
        var sparseNegStep = Float8(), sparseKeep1 = Float8(), sparseKeep2 = Float8()
    }

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
        constants = StepConstants(
            l2: Float8(repeating: decoupled ? 0 : weightDecay),
            shrink: Float8(repeating: decoupled ? 1 - learningRate * weightDecay : 1),
            oneMinusBeta1: Float8(repeating: 1 - beta1), beta2: Float8(repeating: beta2),
            oneMinusBeta2: Float8(repeating: 1 - beta2),
            inverseRoot2: Float8(repeating: 1 / Float(correction2.squareRoot())),
            eps: Float8(repeating: eps), negStep: Float8(repeating: -stepSize),
            sparseNegStep: Float8(repeating: Float(-(Double(learningRate) * correction2.squareRoot() / correction1))),
            sparseKeep1: Float8(repeating: Float(1 - Double(beta1))), sparseKeep2: Float8(repeating: Float(1 - Double(beta2))))
    }

    public func updateDense(_ arena: ParameterArena, _ range: Range<Int>) {
        let c = constants
        let hasDecay = weightDecay != 0
        let (p, g, m, v) = (arena.values + range.lowerBound, UnsafePointer(arena.grads + range.lowerBound),
                            slots[0] + range.lowerBound, slots[1] + range.lowerBound)
        forEachChunk(range.count) { j, n in
            // Without weight decay (the usual case) param and grad are the stored values,
            // bit for bit, and the two operations are skipped.
            let stored = VectorMath.load(p + j, count: n)
            let param = hasDecay ? stored * c.shrink : stored
            let grad = hasDecay ? VectorMath.load(g + j, count: n) + c.l2 * param : VectorMath.load(g + j, count: n)
            let oldMean = VectorMath.load(m + j, count: n)
            let mean = oldMean + c.oneMinusBeta1 * (grad - oldMean)
            let square = c.beta2 * VectorMath.load(v + j, count: n) + c.oneMinusBeta2 * grad * grad
            VectorMath.store(mean, to: m + j, count: n)
            VectorMath.store(square, to: v + j, count: n)
            let denom = VectorMath.squareRoot(square) * c.inverseRoot2 + c.eps
            VectorMath.store(param + c.negStep * (mean / denom), to: p + j, count: n)
        }
    }

    /// torch.optim.SparseAdam on one touched row. The same operation order as SparseAdam:
    /// update = (new - old) * (1 - beta), moment = old + update, and numer/denom from update + old.
    public func updateRow(_ arena: ParameterArena, _ range: Range<Int>) {
        let c = constants
        let (p, g, m, v) = (arena.values + range.lowerBound, UnsafePointer(arena.grads + range.lowerBound),
                            slots[0] + range.lowerBound, slots[1] + range.lowerBound)
        forEachChunk(range.count) { j, n in
            let grad = VectorMath.load(g + j, count: n)
            let oldMean = VectorMath.load(m + j, count: n), oldSquare = VectorMath.load(v + j, count: n)
            let meanUpdate = (grad - oldMean) * c.sparseKeep1
            let squareUpdate = (grad * grad - oldSquare) * c.sparseKeep2
            VectorMath.store(oldMean + meanUpdate, to: m + j, count: n)
            VectorMath.store(oldSquare + squareUpdate, to: v + j, count: n)
            let denom = VectorMath.squareRoot(squareUpdate + oldSquare) + c.eps
            VectorMath.store(VectorMath.load(p + j, count: n) + c.sparseNegStep * ((meanUpdate + oldMean) / denom), to: p + j, count: n)
        }
    }
}
