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
            y[i] = Float(0.5 * v * (1 + erf(v / 2.0.squareRoot())))
        }
    }

    /// dx[i] = dy[i] * GELU'(x[i]) for i < count, x the forward's input; dx may be dy.
    static func backward(input x: UnsafePointer<Float>, dOutput dy: UnsafePointer<Float>,
                         into dx: UnsafeMutablePointer<Float>, count: Int) {
        let inverseSqrt2Pi = 1 / (2 * Double.pi).squareRoot()
        for i in 0..<count {
            let v = Double(x[i])
            let cdf = 0.5 * (1 + erf(v / 2.0.squareRoot()))
            let pdf = inverseSqrt2Pi * exp(-0.5 * v * v)
            dx[i] = Float(Double(dy[i]) * (cdf + v * pdf))
        }
    }
}
