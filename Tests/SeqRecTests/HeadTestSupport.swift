// Shared helpers of the head, optimizer and model tests: the heads' finite-difference check,
// fixture locations, and the output layers and negative samplers the sampled heads are tested on.

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

    /// An untied output layer [V, H] with a non-trivial bias, or a tied one over an item table of the same shape.
    static func outputLayer(classes: Int, hidden: Int, tied: Bool, seed: UInt64) -> SoftmaxOutputLayer {
        var rng = SeededGenerator(seed: seed)
        if tied {
            let table = Parameter(name: "item_embedding.weight", shape: [classes, hidden],
                                  values: uniformValues(classes * hidden, &rng, scale: 1.2))
            return SoftmaxOutputLayer(tiedTo: table)
        }
        let layer = SoftmaxOutputLayer(classes: classes, inputSize: hidden, rng: &rng)
        layer.bias?.setValues(uniformValues(classes, &rng))
        return layer
    }

    /// Uniform negatives over the V - 1 items of a V-class head.
    static func uniformSampler(_ classes: Int) -> NegativeSampler {
        NegativeSampler(numItems: classes - 1, strategy: .uniform, itemCounts: [])
    }
}
