// Distribution functions the paired tests need: Student's t via the regularized incomplete
// beta function, and the standard normal tail via erfc.

import Foundation

enum SpecialFunctions {
    /// Regularized incomplete beta I_x(a, b) for a, b > 0 and 0 <= x <= 1, by the continued
    /// fraction (modified Lentz), using the symmetry I_x(a, b) = 1 - I_{1-x}(b, a) where the
    /// fraction converges slowly. Relative accuracy about 1e-14.
    static func regularizedIncompleteBeta(_ x: Double, a: Double, b: Double) -> Double {
        guard x > 0 else { return 0 }
        guard x < 1 else { return 1 }
        let logFront = lgamma(a + b) - lgamma(a) - lgamma(b) + a * log(x) + b * log1p(-x)
        if x < (a + 1) / (a + b + 2) {
            return exp(logFront) * betaContinuedFraction(x, a: a, b: b) / a
        }
        return 1 - exp(logFront) * betaContinuedFraction(1 - x, a: b, b: a) / b
    }

    /// The continued fraction of I_x(a, b) (Numerical Recipes `betacf`).
    private static func betaContinuedFraction(_ x: Double, a: Double, b: Double) -> Double {
        let tiny = 1e-300
        let epsilon = 1e-16
        let sum = a + b, plus = a + 1, minus = a - 1
        var c = 1.0
        var d = 1 - sum * x / plus
        if abs(d) < tiny { d = tiny }
        d = 1 / d
        var fraction = d
        for m in 1...10_000 {
            let m = Double(m)
            let twoM = 2 * m
            // Even step.
            var coefficient = m * (b - m) * x / ((minus + twoM) * (a + twoM))
            d = 1 + coefficient * d
            if abs(d) < tiny { d = tiny }
            c = 1 + coefficient / c
            if abs(c) < tiny { c = tiny }
            d = 1 / d
            fraction *= d * c
            // Odd step.
            coefficient = -(a + m) * (sum + m) * x / ((a + twoM) * (plus + twoM))
            d = 1 + coefficient * d
            if abs(d) < tiny { d = tiny }
            c = 1 + coefficient / c
            if abs(c) < tiny { c = tiny }
            d = 1 / d
            let delta = d * c
            fraction *= delta
            if abs(delta - 1) < epsilon { break }
        }
        return fraction
    }

    /// Two-sided tail of Student's t with `degreesOfFreedom`: P(|T| >= |t|).
    static func studentTTwoSided(_ t: Double, degreesOfFreedom: Double) -> Double {
        if t.isInfinite { return 0 }
        return regularizedIncompleteBeta(degreesOfFreedom / (degreesOfFreedom + t * t),
                                         a: degreesOfFreedom / 2, b: 0.5)
    }

    /// Two-sided tail of the standard normal: P(|Z| >= |z|).
    static func normalTwoSided(_ z: Double) -> Double {
        erfc(abs(z) / 2.0.squareRoot())
    }
}
