// Shared helpers of the head, optimizer and model tests: central finite differences and
// fixture locations.

import Foundation
@testable import SeqRec

enum HeadTestSupport {
    static let fixtures = URL(fileURLWithPath: #filePath)
        .deletingLastPathComponent().deletingLastPathComponent()
        .appendingPathComponent("Fixtures/golden-model")

    /// Central difference (f(x + eps) - f(x - eps)) / 2 eps for every element of `values`,
    /// restoring each element afterwards. `loss` reads the perturbed values.
    static func numericGradient(count: Int, eps: Float, get: (Int) -> Float, set: (Int, Float) -> Void, loss: () -> Double) -> [Double] {
        (0..<count).map { index in
            let original = get(index)
            set(index, original + eps)
            let plus = loss()
            set(index, original - eps)
            let minus = loss()
            set(index, original)
            return (plus - minus) / (2 * Double(eps))
        }
    }

    static func numericGradient(of parameter: Parameter, eps: Float, loss: () -> Double) -> [Double] {
        numericGradient(count: parameter.count, eps: eps,
                        get: { parameter.value[$0] }, set: { parameter.value[$0] = $1 }, loss: loss)
    }

    /// Largest |analytic - numeric| / (absoluteFloor + |numeric|) over all elements.
    static func worstError(_ analytic: [Float], _ numeric: [Double], absoluteFloor: Double = 1e-2) -> Double {
        precondition(analytic.count == numeric.count)
        return zip(analytic, numeric).map { abs(Double($0) - $1) / (absoluteFloor + abs($1)) }.max() ?? 0
    }

    static func uniformValues(_ count: Int, _ rng: inout SeededGenerator, scale: Float = 1) -> [Float] {
        (0..<count).map { _ in rng.nextFloat(in: -scale, scale) }
    }
}
