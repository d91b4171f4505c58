// Adam's update over a range of the parameter arena (Training/Optimizers/Adam.swift has the
// equations and the step's constants). Element-wise: bitwise the same in every build.

import SeqRecKernelAPI

extension Kernels {
    public static func adamDense(_ c: AdamStepConstants, decay: Bool, values p: UnsafeMutablePointer<Float>,
                                 grads g: UnsafePointer<Float>, means m: UnsafeMutablePointer<Float>,
                                 squares v: UnsafeMutablePointer<Float>, count: Int) {
        let (l2, shrink) = (Lanes(repeating: c.l2), Lanes(repeating: c.shrink))
        let (oneMinusBeta1, beta2, oneMinusBeta2) = (Lanes(repeating: c.oneMinusBeta1), Lanes(repeating: c.beta2),
                                                     Lanes(repeating: c.oneMinusBeta2))
        let (inverseRoot2, eps, negStep) = (Lanes(repeating: c.inverseRoot2), Lanes(repeating: c.eps), Lanes(repeating: c.negStep))
        RowKernels.forEachChunk(count) { j, n in
            // Without weight decay (the usual case) param and grad are the stored values,
            // bit for bit, and the two operations are skipped.
            let stored = VectorMath.load(p + j, count: n)
            let param = decay ? stored * shrink : stored
            let grad = decay ? VectorMath.load(g + j, count: n) + l2 * param : VectorMath.load(g + j, count: n)
            let oldMean = VectorMath.load(m + j, count: n)
            let mean = oldMean + oneMinusBeta1 * (grad - oldMean)
            let square = beta2 * VectorMath.load(v + j, count: n) + oneMinusBeta2 * grad * grad
            VectorMath.store(mean, to: m + j, count: n)
            VectorMath.store(square, to: v + j, count: n)
            let denom = VectorMath.squareRoot(square) * inverseRoot2 + eps
            VectorMath.store(param + negStep * (mean / denom), to: p + j, count: n)
        }
    }

    /// SparseAdam's operation order: update = (new - old) * (1 - beta), moment = old + update,
    /// and numer/denom from update + old.
    public static func adamRow(_ c: AdamStepConstants, values p: UnsafeMutablePointer<Float>, grads g: UnsafePointer<Float>,
                               means m: UnsafeMutablePointer<Float>, squares v: UnsafeMutablePointer<Float>, count: Int) {
        let (keep1, keep2) = (Lanes(repeating: c.sparseKeep1), Lanes(repeating: c.sparseKeep2))
        let (eps, negStep) = (Lanes(repeating: c.eps), Lanes(repeating: c.sparseNegStep))
        RowKernels.forEachChunk(count) { j, n in
            let grad = VectorMath.load(g + j, count: n)
            let oldMean = VectorMath.load(m + j, count: n), oldSquare = VectorMath.load(v + j, count: n)
            let meanUpdate = (grad - oldMean) * keep1
            let squareUpdate = (grad * grad - oldSquare) * keep2
            VectorMath.store(oldMean + meanUpdate, to: m + j, count: n)
            VectorMath.store(oldSquare + squareUpdate, to: v + j, count: n)
            let denom = VectorMath.squareRoot(squareUpdate + oldSquare) + eps
            VectorMath.store(VectorMath.load(p + j, count: n) + negStep * ((meanUpdate + oldMean) / denom), to: p + j, count: n)
        }
    }
}
