// Shared helpers of the head, optimizer and model tests: the heads' finite-difference check
// and fixture locations.

import Foundation
@testable import SeqRec
@testable import SeqRecCore
@testable import SeqRecNumerics

enum HeadTestSupport {
    static let fixtures = URL(fileURLWithPath: #filePath)
        .deletingLastPathComponent().deletingLastPathComponent()
        .appendingPathComponent("Fixtures/golden-model")

    /// The heads' finite-difference check: h = 3e-3, accepted within relative * (1e-2 + |gradient|)
    /// plus the loss's measured rounding noise over h (FiniteDifferenceCheck).
    static func gradientCheck(step: Float = 3e-3, relative: Double = 2e-3, loss: @escaping () -> Double) -> FiniteDifferenceCheck {
        FiniteDifferenceCheck(step: step, absolute: relative * 1e-2, relative: relative, loss: loss)
    }

    static func uniformValues(_ count: Int, _ rng: inout SeededGenerator, scale: Float = 1) -> [Float] {
        (0..<count).map { _ in rng.nextFloat(in: -scale, scale) }
    }
}
