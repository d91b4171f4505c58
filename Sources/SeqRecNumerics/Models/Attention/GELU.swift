// GELU in its exact (erf) form, PyTorch's nn.GELU() default (approximate='none'):
//
//     y  = x Φ(x) = x/2 (1 + erf(x / √2))
//     dy/dx = Φ(x) + x φ(x),   φ(x) = exp(-x²/2) / √(2π)
//
// In Float, vectorised, by the kernels (Sources/SeqRecKernels/GELUKernels.swift): Φ from the
// normal tail rather than 1 + erf, so y keeps its relative accuracy where Φ is tiny (within
// 8 ulp of float64 wherever it is a normal Float; GELUKernelTests).

enum GELU {
    /// y[i] = GELU(x[i]) for i < count; y may be x.
    static func forward(_ x: UnsafePointer<Float>, into y: UnsafeMutablePointer<Float>, count: Int) {
        KernelDispatch.active.geluForward(x, into: y, cdf: nil, count: count)
    }

    /// `forward`, also keeping Φ(x[i]) in `cdf` for `backward(cdf:...)`, which then skips the
    /// tail's polynomial and division.
    static func forward(_ x: UnsafePointer<Float>, into y: UnsafeMutablePointer<Float>, savingCDF cdf: UnsafeMutablePointer<Float>,
                        count: Int) {
        KernelDispatch.active.geluForward(x, into: y, cdf: cdf, count: count)
    }

    /// dx[i] = dy[i] * GELU'(x[i]) for i < count, x the forward's input; dx may be dy.
    static func backward(input x: UnsafePointer<Float>, dOutput dy: UnsafePointer<Float>,
                         into dx: UnsafeMutablePointer<Float>, count: Int) {
        KernelDispatch.active.geluBackward(input: x, cdf: nil, dOutput: dy, into: dx, count: count)
    }

    /// `backward` with Φ(x[i]) from `forward(_:into:savingCDF:count:)`; the same values.
    static func backward(input x: UnsafePointer<Float>, cdf: UnsafePointer<Float>, dOutput dy: UnsafePointer<Float>,
                         into dx: UnsafeMutablePointer<Float>, count: Int) {
        KernelDispatch.active.geluBackward(input: x, cdf: cdf, dOutput: dy, into: dx, count: count)
    }
}
