// GELU in its exact (erf) form, PyTorch's nn.GELU() default (Models/Attention/GELU.swift has
// the layer): y = x Φ(x), dy/dx = Φ(x) + x φ(x), Φ and φ the standard normal CDF and density
// (VectorMath: Φ from the normal tail, relative accuracy in both tails). Element-wise, full
// Lanes-wide chunks then one partial chunk: bitwise the same in every build.

import SeqRecKernelAPI

extension Kernels {
    public static func geluForward(_ x: UnsafePointer<Float>, into y: UnsafeMutablePointer<Float>,
                                   cdf: UnsafeMutablePointer<Float>?, count: Int) {
        let size = Lanes.scalarCount
        var j = 0
        while j < count {
            let n = min(size, count - j)
            let v = VectorMath.load(x + j, count: n)
            let phi = GELUChunk.cdf(v)
            if let cdf { VectorMath.store(phi, to: cdf + j, count: n) }
            VectorMath.store(v * phi, to: y + j, count: n)
            j += size
        }
    }

    public static func geluBackward(input x: UnsafePointer<Float>, cdf: UnsafePointer<Float>?, dOutput dy: UnsafePointer<Float>,
                                    into dx: UnsafeMutablePointer<Float>, count: Int) {
        let size = Lanes.scalarCount
        var j = 0
        while j < count {
            let n = min(size, count - j)
            let v = VectorMath.load(x + j, count: n)
            let u = VectorMath.magnitude(v)
            let g = VectorMath.gaussian(u)
            // Φ as the forward computed it: read back, or the same operations again.
            let phi = cdf.map { VectorMath.load($0 + j, count: n) } ?? VectorMath.normalCDF(v, gaussian: g, magnitude: u)
            let density = g * Lanes(repeating: 0.398_942_280_401_432_7)  // φ(x) = e^(-x²/2)/√(2π)
            VectorMath.store(VectorMath.load(dy + j, count: n) * phi.addingProduct(v, density), to: dx + j, count: n)
            j += size
        }
    }
}

enum GELUChunk {
    /// Φ(x).
    @_transparent
    static func cdf(_ x: Lanes) -> Lanes {
        let u = VectorMath.magnitude(x)
        return VectorMath.normalCDF(x, gaussian: VectorMath.gaussian(u), magnitude: u)
    }
}
