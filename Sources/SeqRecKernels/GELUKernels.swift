// GELU in its exact (erf) form, PyTorch's nn.GELU() default (Models/Attention/GELU.swift has
// the layer): y = x Φ(x), dy/dx = Φ(x) + x φ(x), Φ and φ the standard normal CDF and density,
// from VectorMath's Gaussian g = e^(-x²/2) and tail ratio m = Q(|x|)/g:
//
//     x < 0:  Φ = g m,      y = (x g) m       (x g first: Φ is subnormal below x = -13.05, y not yet)
//     x >= 0: Φ = 1 - g m,  y = x Φ
//     dy/dx = Φ + (x g)/√(2π)
//
// Element-wise, full Lanes-wide chunks then one partial chunk: bitwise the same in every build.

import SeqRecKernelAPI

extension Kernels {
    public static func geluForward(_ x: UnsafePointer<Float>, into y: UnsafeMutablePointer<Float>,
                                   cdf: UnsafeMutablePointer<Float>?, count: Int) {
        let size = Lanes.scalarCount
        var j = 0
        while j < count {
            let n = min(size, count - j)
            let v = VectorMath.load(x + j, count: n)
            let g = VectorMath.gaussian(VectorMath.magnitude(v))
            let m = VectorMath.normalTailRatio(VectorMath.magnitude(v))
            let negative = v .< 0
            if let cdf { VectorMath.store(GELUChunk.cdf(g: g, m: m, negative: negative), to: cdf + j, count: n) }
            let y1 = (v * g) * m, y2 = v * (1 - g * m)
            VectorMath.store(y2.replacing(with: y1, where: negative), to: y + j, count: n)
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
            let phi: Lanes
            if let cdf {
                phi = VectorMath.load(cdf + j, count: n)
            } else {
                phi = GELUChunk.cdf(g: g, m: VectorMath.normalTailRatio(u), negative: v .< 0)
            }
            let slope = phi + (v * g) * Lanes(repeating: 0.398_942_280_401_432_7)  // 1/√(2π)
            VectorMath.store(VectorMath.load(dy + j, count: n) * slope, to: dx + j, count: n)
            j += size
        }
    }
}

enum GELUChunk {
    /// Φ(x) from g = e^(-x²/2), m = Q(|x|)/g and x < 0. Φ(0) = 1/2 exactly.
    @_transparent
    static func cdf(g: Lanes, m: Lanes, negative: SIMDMask<Lanes.MaskStorage>) -> Lanes {
        let tail = g * m
        return (1 - tail).replacing(with: tail, where: negative)
    }
}
