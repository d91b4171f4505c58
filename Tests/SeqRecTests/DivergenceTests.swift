import Foundation
import Testing
@testable import SeqRec
@testable import SeqRecCore
@testable import SeqRecNumerics

// A diverged run names the step and the parameter whose gradient is to blame.

@Suite("Divergence")
struct DivergenceTests {
    /// Two parameters; `grads` are written into their gradients.
    private func arena(_ first: [Float], _ second: [Float]) -> ParameterArena {
        let a = Parameter(name: "rnn.weight_hh_l0", shape: [first.count], values: [Float](repeating: 0, count: first.count))
        let b = Parameter(name: "output.weight", shape: [second.count], values: [Float](repeating: 0, count: second.count))
        let arena = ParameterArena([a, b])
        for (index, value) in first.enumerated() { a.grad[index] = value }
        for (index, value) in second.enumerated() { b.grad[index] = value }
        return arena
    }

    @Test("finite gradients whose norm overflows Float: infinite norm, nothing scaled, the largest tensor named")
    func overflowingNorm() {
        // Eight values: the 8-lane Float sum of squares overflows (1e60), the Double one would not.
        let arena = arena([Float](repeating: 1e30, count: 8), [3, 4])
        let norm = clipGradientNorm(arena, maxNorm: 5)
        #expect(norm == .infinity)
        #expect(arena.parameters[0].grad[0] == 1e30)  // left as it was for the report
        let culprit = GradientCulprit.find(in: arena)
        #expect(culprit?.name == "rnn.weight_hh_l0")
        #expect(Divergence.message(step: 1234, epoch: 3, batch: 17, loss: 4.25, norm: norm, culprit: culprit) == """
            training diverged at step 1234 (epoch 3, batch 17): the loss was finite (4.25) but the gradient norm was inf; \
            the largest gradient is rnn.weight_hh_l0's (norm 2.83e+30 over 8 values). Lower \
            training.optimizer.learning_rate or set training.clip_norm
            """)
    }

    @Test("non-finite gradient values outrank a larger finite norm")
    func nonFiniteValues() {
        let arena = arena([1e20, 1], [.nan, 1, .infinity])
        let culprit = GradientCulprit.find(in: arena)
        #expect(culprit == GradientCulprit(name: "output.weight", norm: 1, nonFinite: 2, count: 3))
        #expect(Divergence.message(step: 2, epoch: 1, batch: 2, loss: .nan, norm: .nan, culprit: culprit) == """
            training diverged at step 2 (epoch 1, batch 2): the loss was nan (gradient norm nan); 2 of 3 gradient \
            values of output.weight are not finite. Lower training.optimizer.learning_rate or set training.clip_norm
            """)
    }

    @Test("a finite norm is clipped as before")
    func finiteNormStillClips() {
        let arena = arena([3, 0, 0], [4, 0])
        #expect(clipGradientNorm(arena, maxNorm: 1) == 5)
        #expect(abs(arena.parameters[0].grad[0] - 0.6) < 1e-6)
    }
}
