import Foundation

/// The standard normal distribution truncated to [a, b], in log space where it matters: the
/// kernels of the Parzen estimator (TPESampler) are normals cut at the ends of a parameter's
/// range, and a kernel far from a candidate has a density far below Double's smallest normal.
///
/// The formulas are SciPy's `truncnorm` as Optuna carries them (`optuna/samplers/_tpe/
/// _truncnorm.py`): the mass of an interval is computed in the left tail (mirrored when the
/// interval lies right of 0), the log of the normal CDF switches to its asymptotic series below
/// -20, and the quantile function inverts the log CDF by Newton's method.
enum TruncatedNormal {
    static let logSqrtTwoPi = log((2 * Double.pi).squareRoot())
    private static let sqrtTwo = 2.0.squareRoot()
    /// √3 / π: the scale of the logistic approximation to the normal CDF (the Newton start).
    private static let logisticScale = 3.0.squareRoot() / Double.pi

    /// Φ(a), the standard normal CDF, with erfc in the tails (no cancellation).
    static func cdf(_ a: Double) -> Double {
        let x = a / sqrtTwo
        if x < -1 / sqrtTwo { return 0.5 * erfc(-x) }
        if x < 1 / sqrtTwo { return 0.5 + 0.5 * erf(x) }
        return 1.0 - 0.5 * erfc(x)
    }

    /// log Φ(a), accurate in both tails.
    static func logCDF(_ a: Double) -> Double {
        if a > 6 { return -cdf(-a) }  // log(1 - ε) = -ε to Double precision
        if a > -20 { return log(cdf(a)) }
        // log Φ(a) = -a²/2 - log(-a) - log √(2π) + log(1 - 1/a² + 3/a⁴ - 15/a⁶ + ...)
        let logLeading = -0.5 * a * a - log(-a) - logSqrtTwoPi
        var lastTotal = 0.0, total = 1.0, numerator = 1.0, denominator = 1.0, sign = 1.0
        let inverseSquare = 1 / (a * a)
        var i = 0.0
        while abs(lastTotal - total) > Double.ulpOfOne {
            i += 1
            lastTotal = total
            sign = -sign
            denominator *= inverseSquare
            numerator *= 2 * i - 1
            total += sign * numerator * denominator
        }
        return logLeading + log(total)
    }

    /// log of the standard normal density at x.
    static func logDensity(_ x: Double) -> Double { -(x * x) / 2 - logSqrtTwoPi }

    /// log(Φ(b) - Φ(a)) for a ≤ b: the log of the standard normal's mass in [a, b].
    static func logMass(_ a: Double, _ b: Double) -> Double {
        if b <= 0 { return logDifference(logCDF(b), logCDF(a)) }
        if a > 0 { return logDifference(logCDF(-a), logCDF(-b)) }
        // Across 0 the mass is near 1: 1 - Φ(a) - Φ(-b) loses nothing to cancellation.
        return log1p(-(0.5 + 0.5 * erf(a / sqrtTwo)) - (0.5 + 0.5 * erf(-b / sqrtTwo)))
    }

    /// log(exp(p) - exp(q)) for p ≥ q.
    private static func logDifference(_ p: Double, _ q: Double) -> Double {
        p + log1p(-exp(q - p))
    }

    /// log(exp(p) + exp(q)).
    private static func logSum(_ p: Double, _ q: Double) -> Double {
        let high = max(p, q), low = min(p, q)
        if high == -.infinity { return -.infinity }
        return high + log1p(exp(low - high))
    }

    /// The x with Φ(x) = exp(y), for y ≤ 0 (Newton's method on log Φ from an asymptotic or
    /// logistic start; relative tolerance 1e-8, as Optuna).
    static func inverseLogCDF(_ y: Double) -> Double {
        // Near y = 0 solve for -x in the left tail instead: log Φ(-x) = log(1 - exp(y)).
        let flipped = y > -1e-2
        let z = flipped ? log(-expm1(y)) : y
        var x = z < -5 ? -(-2.0 * (z + logSqrtTwoPi)).squareRoot() : -logisticScale * log(expm1(-z))
        for _ in 0..<100 {
            let logCDFx = logCDF(x)
            let step = (logCDFx - z) * exp(logCDFx - logDensity(x))
            x -= step
            if !(abs(step) >= 1e-8 * abs(x)) { break }  // converged (or NaN: stop)
        }
        return flipped ? -x : x
    }

    /// The quantile q ∈ [0, 1] of the standard normal truncated to [a, b], a < b.
    static func quantile(_ q: Double, _ a: Double, _ b: Double) -> Double {
        if q <= 0 { return a }
        if q >= 1 { return b }
        let logMassAB = logMass(a, b)
        let x: Double
        if a < 0 {
            x = inverseLogCDF(logSum(logCDF(a), log(q) + logMassAB))
        } else {
            // Mirrored into the left tail, where log Φ is accurate.
            x = -inverseLogCDF(logSum(logCDF(-b), log1p(-q) + logMassAB))
        }
        return min(max(x, a), b)
    }
}
