// torch.optim.Adam (defaults lr 1e-3, betas (0.9, 0.999), eps 1e-8, weight_decay 0,
// amsgrad false). Weight decay is L2: added to the gradient. At step t (from 1):
//
//     g = grad + weight_decay * p
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
    let decoupledWeightDecay: Bool
    private var firstMoments = OptimizerSlots()
    private var secondMoments = OptimizerSlots()
    private(set) var stepCount = 0

    public convenience init(beta1: Float = 0.9, beta2: Float = 0.999, eps: Float = 1e-8, weightDecay: Float = 0) {
        self.init(beta1: beta1, beta2: beta2, eps: eps, weightDecay: weightDecay, decoupled: false)
    }

    init(beta1: Float, beta2: Float, eps: Float, weightDecay: Float, decoupled: Bool) {
        self.beta1 = beta1
        self.beta2 = beta2
        self.eps = eps
        self.weightDecay = weightDecay
        self.decoupledWeightDecay = decoupled
    }

    public func step(_ parameters: [Parameter], learningRate: Float) {
        _ = firstMoments.prepare(for: parameters)
        _ = secondMoments.prepare(for: parameters)
        stepCount += 1
        let t = Double(stepCount)
        let stepSize = Float(Double(learningRate) / (1 - pow(Double(beta1), t)))
        let correction2Root = Float((1 - pow(Double(beta2), t)).squareRoot())
        let l2 = SIMD8<Float>(repeating: decoupledWeightDecay ? 0 : weightDecay)
        let shrink = SIMD8<Float>(repeating: decoupledWeightDecay ? 1 - learningRate * weightDecay : 1)
        let oneMinusBeta1 = SIMD8<Float>(repeating: 1 - beta1)
        let b2 = SIMD8<Float>(repeating: beta2)
        let oneMinusBeta2 = SIMD8<Float>(repeating: 1 - beta2)
        let inverseRoot2 = SIMD8<Float>(repeating: 1 / correction2Root)
        let epsLanes = SIMD8<Float>(repeating: eps)
        let negStep = SIMD8<Float>(repeating: -stepSize)
        let hasDecay = weightDecay != 0
        for (index, parameter) in parameters.enumerated() {
            if weightDecay == 0, let rows = parameter.touchedRows {
                sparseStep(parameter, rows: rows, slot: index, learningRate: learningRate)
                continue
            }
            withValueAndGradient(parameter) { p, g, count in
                firstMoments[index].withUnsafeMutableBufferPointer { mBuffer in
                    secondMoments[index].withUnsafeMutableBufferPointer { vBuffer in
                        guard let m = mBuffer.baseAddress, let v = vBuffer.baseAddress else { return }
                        forEachLane(count) { j in
                            // Without weight decay (the usual case) param and grad are the
                            // stored values, bit for bit, and the two operations are skipped.
                            let param = hasDecay ? p.simd8(at: j) * shrink : p.simd8(at: j)
                            let grad = hasDecay ? g.simd8(at: j) + l2 * param : g.simd8(at: j)
                            let mean = m.simd8(at: j) + oneMinusBeta1 * (grad - m.simd8(at: j))
                            let square = b2 * v.simd8(at: j) + oneMinusBeta2 * grad * grad
                            m.setSIMD8(mean, at: j)
                            v.setSIMD8(square, at: j)
                            let denom = VectorMath.squareRoot(square) * inverseRoot2 + epsLanes
                            p.setSIMD8(param + negStep * (mean / denom), at: j)
                        } scalar: { j in
                            let param = p[j] * shrink[0]
                            let grad = g[j] + l2[0] * param
                            m[j] += (1 - beta1) * (grad - m[j])
                            v[j] = beta2 * v[j] + (1 - beta2) * grad * grad
                            let denom = v[j].squareRoot() * inverseRoot2[0] + eps
                            p[j] = param + -stepSize * (m[j] / denom)
                        }
                    }
                }
            }
        }
    }

    /// torch.optim.SparseAdam on the touched rows of one parameter (step count already advanced).
    private func sparseStep(_ parameter: Parameter, rows: TouchedRows, slot index: Int, learningRate: Float) {
        let t = Double(stepCount)
        let correction1 = 1 - pow(Double(beta1), t)
        let correction2 = 1 - pow(Double(beta2), t)
        let negStepSize = Float(-(Double(learningRate) * correction2.squareRoot() / correction1))
        let oneMinusBeta1 = Float(1 - Double(beta1))
        let oneMinusBeta2 = Float(1 - Double(beta2))
        let (negStep, keep1, keep2, epsLanes) = (SIMD8<Float>(repeating: negStepSize), SIMD8<Float>(repeating: oneMinusBeta1),
                                                 SIMD8<Float>(repeating: oneMinusBeta2), SIMD8<Float>(repeating: eps))
        let width = rows.width
        withValueAndGradient(parameter) { pBase, gBase, _ in
            firstMoments[index].withUnsafeMutableBufferPointer { mBuffer in
                secondMoments[index].withUnsafeMutableBufferPointer { vBuffer in
                    guard let mBase = mBuffer.baseAddress, let vBase = vBuffer.baseAddress else { return }
                    for row in rows.rows {
                        let offset = Int(row) * width
                        let (p, g, m, v) = (pBase + offset, gBase + offset, mBase + offset, vBase + offset)
                        // The same operation order as SparseAdam: update = (new - old) * (1 - beta),
                        // moment = old + update, and numer/denom from update + old.
                        forEachLane(width) { j in
                            let grad = g.simd8(at: j), oldMean = m.simd8(at: j), oldSquare = v.simd8(at: j)
                            let meanUpdate = (grad - oldMean) * keep1
                            let squareUpdate = (grad * grad - oldSquare) * keep2
                            m.setSIMD8(oldMean + meanUpdate, at: j)
                            v.setSIMD8(oldSquare + squareUpdate, at: j)
                            let denom = VectorMath.squareRoot(squareUpdate + oldSquare) + epsLanes
                            p.setSIMD8(p.simd8(at: j) + negStep * ((meanUpdate + oldMean) / denom), at: j)
                        } scalar: { j in
                            let grad = g[j], oldMean = m[j], oldSquare = v[j]
                            let meanUpdate = (grad - oldMean) * oneMinusBeta1
                            let squareUpdate = (grad * grad - oldSquare) * oneMinusBeta2
                            m[j] = oldMean + meanUpdate
                            v[j] = oldSquare + squareUpdate
                            let denom = (squareUpdate + oldSquare).squareRoot() + eps
                            p[j] = p[j] + negStepSize * ((meanUpdate + oldMean) / denom)
                        }
                    }
                }
            }
        }
        parameter.noteRowSparseUpdate()
    }
}
