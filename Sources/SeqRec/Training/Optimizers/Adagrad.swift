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

public final class Adagrad: Optimizer {
    public let learningRateDecay: Float
    public let initialAccumulatorValue: Float
    public let eps: Float
    public let weightDecay: Float
    private var sums = OptimizerSlots()
    private(set) var stepCount = 0

    public init(learningRateDecay: Float = 0, initialAccumulatorValue: Float = 0, eps: Float = 1e-10, weightDecay: Float = 0) {
        self.learningRateDecay = learningRateDecay
        self.initialAccumulatorValue = initialAccumulatorValue
        self.eps = eps
        self.weightDecay = weightDecay
    }

    public func step(_ parameters: [Parameter], learningRate: Float) {
        if sums.prepare(for: parameters) && initialAccumulatorValue != 0 {
            for index in parameters.indices {
                sums[index].withUnsafeMutableBufferPointer { $0.update(repeating: initialAccumulatorValue) }
            }
        }
        stepCount += 1
        let currentRate = Float(Double(learningRate) / (1 + Double(stepCount - 1) * Double(learningRateDecay)))
        let decay = SIMD8<Float>(repeating: weightDecay)
        let negRate = SIMD8<Float>(repeating: -currentRate)
        let epsLanes = SIMD8<Float>(repeating: eps)
        for (index, parameter) in parameters.enumerated() {
            let rows = weightDecay == 0 ? parameter.touchedRows : nil
            withValueAndGradient(parameter) { pBase, gBase, count in
                sums[index].withUnsafeMutableBufferPointer { sumBuffer in
                    guard let sumBase = sumBuffer.baseAddress else { return }
                    forEachSegment(rows: rows, count: count) { offset, length in
                        let (p, g, sum) = (pBase + offset, gBase + offset, sumBase + offset)
                        forEachLane(length) { j in
                            let grad = g.simd8(at: j) + decay * p.simd8(at: j)
                            let accumulated = sum.simd8(at: j) + grad * grad
                            sum.setSIMD8(accumulated, at: j)
                            p.setSIMD8(p.simd8(at: j) + negRate * (grad / (VectorMath.squareRoot(accumulated) + epsLanes)), at: j)
                        } scalar: { j in
                            let grad = g[j] + weightDecay * p[j]
                            sum[j] += grad * grad
                            p[j] += -currentRate * (grad / (sum[j].squareRoot() + eps))
                        }
                    }
                }
            }
            if rows != nil { parameter.noteRowSparseUpdate() }
        }
    }
}
