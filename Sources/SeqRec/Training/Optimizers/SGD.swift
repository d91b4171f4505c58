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

public final class SGD: Optimizer {
    public let momentum: Float
    public let dampening: Float
    public let nesterov: Bool
    public let weightDecay: Float
    private var momentumBuffers = OptimizerSlots()

    public init(momentum: Float = 0, dampening: Float = 0, nesterov: Bool = false, weightDecay: Float = 0) {
        self.momentum = momentum
        self.dampening = dampening
        self.nesterov = nesterov
        self.weightDecay = weightDecay
    }

    public func step(_ parameters: [Parameter], learningRate: Float) {
        let firstStep = momentumBuffers.prepare(for: parameters)
        let lr = SIMD8<Float>(repeating: learningRate)
        let decay = SIMD8<Float>(repeating: weightDecay)
        let mu = SIMD8<Float>(repeating: momentum)
        let keep = SIMD8<Float>(repeating: firstStep ? 0 : momentum)
        let add = SIMD8<Float>(repeating: firstStep ? 1 : 1 - dampening)
        for (index, parameter) in parameters.enumerated() {
            let rows = momentum == 0 && weightDecay == 0 ? parameter.touchedRows : nil
            withValueAndGradient(parameter) { p, g, count in
                if momentum == 0 {
                    forEachSegment(rows: rows, count: count) { offset, length in
                        let (p, g) = (p + offset, g + offset)
                        forEachLane(length) { j in
                            let d = g.simd8(at: j) + decay * p.simd8(at: j)
                            p.setSIMD8(p.simd8(at: j) - lr * d, at: j)
                        } scalar: { j in
                            p[j] -= learningRate * (g[j] + weightDecay * p[j])
                        }
                    }
                    return
                }
                momentumBuffers[index].withUnsafeMutableBufferPointer { bufBuffer in
                    guard let buf = bufBuffer.baseAddress else { return }
                    forEachLane(count) { j in
                        let d = g.simd8(at: j) + decay * p.simd8(at: j)
                        let b = keep * buf.simd8(at: j) + add * d
                        buf.setSIMD8(b, at: j)
                        let update = nesterov ? d + mu * b : b
                        p.setSIMD8(p.simd8(at: j) - lr * update, at: j)
                    } scalar: { j in
                        let d = g[j] + weightDecay * p[j]
                        let b = keep[0] * buf[j] + add[0] * d
                        buf[j] = b
                        p[j] -= learningRate * (nesterov ? d + momentum * b : b)
                    }
                }
            }
            if rows != nil { parameter.noteRowSparseUpdate() }
        }
    }
}

/// Calls `vector(j)` for j = 0, 8, 16, ... while 8 lanes fit, then `scalar(j)` for the tail.
@inline(__always)
func forEachLane(_ count: Int, _ vector: (Int) -> Void, scalar: (Int) -> Void) {
    var j = 0
    while j + 8 <= count {
        vector(j)
        j += 8
    }
    while j < count {
        scalar(j)
        j += 1
    }
}
