// Global gradient-norm clipping, as torch.nn.utils.clip_grad_norm_(parameters, max_norm)
// with norm_type 2: total = sqrt(sum over all gradient elements of g²); if
// total + 1e-6 > max_norm, every gradient is scaled by max_norm / (total + 1e-6).

/// Clips in place and returns the total norm measured before clipping (accumulated in Double).
@discardableResult
public func clipGradientNorm(_ parameters: [Parameter], maxNorm: Float) -> Float {
    var squaredSum = 0.0
    for parameter in parameters {
        parameter.grad.storage.withUnsafeBufferPointer { g in
            guard let gp = g.baseAddress else { return }
            var lanes = SIMD8<Float>.zero
            var partial = 0.0
            forEachLane(g.count) { j in
                let v = gp.simd8(at: j)
                lanes += v * v
                if j & 1023 == 1016 {  // flush every 1024 elements to keep the Float sum exact enough
                    partial += Double(lanes.sum())
                    lanes = .zero
                }
            } scalar: { j in
                partial += Double(gp[j]) * Double(gp[j])
            }
            squaredSum += partial + Double(lanes.sum())
        }
    }
    let total = squaredSum.squareRoot()
    let coefficient = Double(maxNorm) / (total + 1e-6)
    if coefficient < 1 {
        let factor = SIMD8<Float>(repeating: Float(coefficient))
        for parameter in parameters {
            parameter.grad.storage.withUnsafeMutableBufferPointer { g in
                guard let gp = g.baseAddress else { return }
                forEachLane(g.count) { j in
                    gp.setSIMD8(gp.simd8(at: j) * factor, at: j)
                } scalar: { j in
                    gp[j] *= factor[0]
                }
            }
        }
    }
    return Float(total)
}
