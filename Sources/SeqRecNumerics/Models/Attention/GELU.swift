import Foundation

// GELU in its exact (erf) form, PyTorch's nn.GELU() default (approximate='none'):
//
//     y  = x Φ(x) = x/2 (1 + erf(x / √2))
//     dy/dx = Φ(x) + x φ(x),   φ(x) = exp(-x²/2) / √(2π)
//
// Computed in Double per element (erf of Float is not in every libm), rounded once to Float.

enum GELU {
    /// y[i] = GELU(x[i]) for i < count; y may be x.
    static func forward(_ x: UnsafePointer<Float>, into y: UnsafeMutablePointer<Float>, count: Int) {
        for i in 0..<count {
            let v = Double(x[i])
            y[i] = Float(v * cdf(v))
        }
    }

    /// `forward`, also keeping Φ(x[i]) in `cdf` for `backward(cdf:...)`: erf is most of
    /// GELU's cost, and the backward would compute the same values again.
    static func forward(_ x: UnsafePointer<Float>, into y: UnsafeMutablePointer<Float>, savingCDF cdf: UnsafeMutablePointer<Double>,
                        count: Int) {
        for i in 0..<count {
            let v = Double(x[i])
            let phi = Self.cdf(v)
            cdf[i] = phi
            y[i] = Float(v * phi)
        }
    }

    /// dx[i] = dy[i] * GELU'(x[i]) for i < count, x the forward's input; dx may be dy.
    static func backward(input x: UnsafePointer<Float>, dOutput dy: UnsafePointer<Float>,
                         into dx: UnsafeMutablePointer<Float>, count: Int) {
        for i in 0..<count {
            let v = Double(x[i])
            dx[i] = Float(Double(dy[i]) * derivative(v, cdf: cdf(v)))
        }
    }

    /// `backward` with Φ(x[i]) from `forward(_:into:savingCDF:count:)`; the same values.
    static func backward(input x: UnsafePointer<Float>, cdf: UnsafePointer<Double>, dOutput dy: UnsafePointer<Float>,
                         into dx: UnsafeMutablePointer<Float>, count: Int) {
        for i in 0..<count {
            dx[i] = Float(Double(dy[i]) * derivative(Double(x[i]), cdf: cdf[i]))
        }
    }

    /// Φ(v) = (1 + erf(v / √2)) / 2.
    @inline(__always) static func cdf(_ v: Double) -> Double {
        0.5 * (1 + erf(v / 2.0.squareRoot()))
    }

    /// GELU'(v) = Φ(v) + v φ(v).
    @inline(__always) static func derivative(_ v: Double, cdf: Double) -> Double {
        let inverseSqrt2Pi = 1 / (2 * Double.pi).squareRoot()
        return cdf + v * (inverseSqrt2Pi * exp(-0.5 * v * v))
    }
}
