// torch.optim.RMSprop (defaults lr 1e-2, alpha 0.99, eps 1e-8, weight_decay 0,
// momentum 0, centered false; centered is not supported):
//
//     g = grad + weight_decay * p
//     v = alpha * v + (1 - alpha) * g * g
//     avg = sqrt(v) + eps
//     if momentum > 0:  buf = momentum * buf + g / avg;  p = p - lr * buf
//     else:             p = p - lr * g / avg

public final class RMSprop: Optimizer {
    public let alpha: Float
    public let eps: Float
    public let momentum: Float
    public let weightDecay: Float
    private var squareAverages = OptimizerSlots()
    private var momentumBuffers = OptimizerSlots()

    public init(alpha: Float = 0.99, eps: Float = 1e-8, momentum: Float = 0, weightDecay: Float = 0) {
        self.alpha = alpha
        self.eps = eps
        self.momentum = momentum
        self.weightDecay = weightDecay
    }

    public func step(_ parameters: [Parameter], learningRate: Float) {
        _ = squareAverages.prepare(for: parameters)
        _ = momentumBuffers.prepare(for: momentum > 0 ? parameters : [])
        let decay = SIMD8<Float>(repeating: weightDecay)
        let alphaLanes = SIMD8<Float>(repeating: alpha)
        let oneMinusAlpha = SIMD8<Float>(repeating: 1 - alpha)
        let epsLanes = SIMD8<Float>(repeating: eps)
        let mu = SIMD8<Float>(repeating: momentum)
        let negRate = SIMD8<Float>(repeating: -learningRate)
        for (index, parameter) in parameters.enumerated() {
            withValueAndGradient(parameter) { p, g, count in
                squareAverages[index].withUnsafeMutableBufferPointer { vBuffer in
                    guard let v = vBuffer.baseAddress else { return }
                    if momentum > 0 {
                        momentumBuffers[index].withUnsafeMutableBufferPointer { bufBuffer in
                            guard let buf = bufBuffer.baseAddress else { return }
                            forEachLane(count) { j in
                                let grad = g.simd8(at: j) + decay * p.simd8(at: j)
                                let average = alphaLanes * v.simd8(at: j) + oneMinusAlpha * grad * grad
                                v.setSIMD8(average, at: j)
                                let b = mu * buf.simd8(at: j) + grad / (VectorMath.squareRoot(average) + epsLanes)
                                buf.setSIMD8(b, at: j)
                                p.setSIMD8(p.simd8(at: j) + negRate * b, at: j)
                            } scalar: { j in
                                let grad = g[j] + weightDecay * p[j]
                                v[j] = alpha * v[j] + (1 - alpha) * grad * grad
                                buf[j] = momentum * buf[j] + grad / (v[j].squareRoot() + eps)
                                p[j] += -learningRate * buf[j]
                            }
                        }
                    } else {
                        forEachLane(count) { j in
                            let grad = g.simd8(at: j) + decay * p.simd8(at: j)
                            let average = alphaLanes * v.simd8(at: j) + oneMinusAlpha * grad * grad
                            v.setSIMD8(average, at: j)
                            p.setSIMD8(p.simd8(at: j) + negRate * (grad / (VectorMath.squareRoot(average) + epsLanes)), at: j)
                        } scalar: { j in
                            let grad = g[j] + weightDecay * p[j]
                            v[j] = alpha * v[j] + (1 - alpha) * grad * grad
                            p[j] += -learningRate * (grad / (v[j].squareRoot() + eps))
                        }
                    }
                }
            }
        }
    }
}
