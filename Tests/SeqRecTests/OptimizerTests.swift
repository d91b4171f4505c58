// Optimizers against torch.optim (fixture: Tests/Fixtures/golden-model/optimizers.json, a
// [2, 5] parameter, 3 fixed gradients, weight decay on), and gradient-norm clipping.

import Foundation
import Testing
@testable import SeqRec

private struct OptimizerFixture: Decodable {
    struct Settings: Decodable {
        let lr: Double
        let momentum: Double?, nesterov: Bool?, weight_decay: Double?
        let beta1: Double?, beta2: Double?, eps: Double?, alpha: Double?
    }
    struct Case: Decodable { let kind: String; let settings: Settings; let after: [[Float]] }
    let shape: [Int]
    let initial: [Float]
    let grads: [[Float]]
    let cases: [Case]
}

/// The OptimizerSpec a YAML file would produce for these PyTorch settings (unset keys keep
/// seqrec's defaults, which the fixture always overrides where PyTorch's differ).
private func spec(_ kind: String, _ s: OptimizerFixture.Settings) throws -> OptimizerSpec {
    var spec = OptimizerSpec()
    spec.name = try #require(OptimizerKind(rawValue: kind))
    spec.learningRate = s.lr
    spec.momentum = s.momentum ?? 0
    spec.nesterov = s.nesterov ?? false
    spec.weightDecay = s.weight_decay ?? 0
    spec.beta1 = s.beta1 ?? spec.beta1
    spec.beta2 = s.beta2 ?? spec.beta2
    spec.eps = s.eps ?? spec.eps
    spec.alpha = s.alpha ?? spec.alpha
    return spec
}

@Test func optimizersMatchTorchOptim() throws {
    let data = try Data(contentsOf: HeadTestSupport.fixtures.appendingPathComponent("optimizers.json"))
    let fixture = try JSONDecoder().decode(OptimizerFixture.self, from: data)
    #expect(fixture.cases.count == 8)
    for testCase in fixture.cases {
        let spec = try spec(testCase.kind, testCase.settings)
        let optimizer = Optimizers.make(spec)
        let parameter = Parameter(name: "p", value: Tensor(shape: fixture.shape, storage: fixture.initial))
        for (step, grad) in fixture.grads.enumerated() {
            parameter.grad.storage = grad
            optimizer.step([parameter], learningRate: Float(spec.learningRate))
            let expected = testCase.after[step]
            // Relative 2e-6: Float32 rounding of the same formulas (PyTorch computes the bias
            // corrections in double, as here).
            let error = zip(parameter.value.storage, expected).map { abs($0 - $1) / (1 + abs($1)) }.max() ?? 0
            #expect(error < 2e-6, "\(testCase.kind) \(testCase.settings) step \(step + 1): off by \(error)")
        }
    }
}

@Test func optimizerFactoryBuildsTheRequestedKind() {
    var spec = OptimizerSpec()
    spec.name = .sgd
    spec.momentum = 0.5
    spec.nesterov = true
    let sgd = Optimizers.make(spec) as? SGD
    #expect(sgd?.momentum == 0.5 && sgd?.nesterov == true)
    spec.name = .adamw
    spec.weightDecay = 0.25
    #expect((Optimizers.make(spec) as? AdamW)?.weightDecay == 0.25)
    spec.name = .adagrad
    #expect(Optimizers.make(spec) is Adagrad)
    spec.name = .rmsprop
    #expect((Optimizers.make(spec) as? RMSprop)?.momentum == 0.5)
    spec.name = .adam
    #expect((Optimizers.make(spec) as? Adam)?.weightDecay == 0.25)
}

@Test func optimizerStateIsPerParameter() {
    // Two parameters stepped together equal each stepped alone (state keyed by position).
    let a = Parameter(name: "a", value: Tensor(shape: [3], storage: [1, 2, 3]))
    let b = Parameter(name: "b", value: Tensor(shape: [2], storage: [-1, 5]))
    let aAlone = Parameter(name: "a", value: a.value)
    let bAlone = Parameter(name: "b", value: b.value)
    let together = Adam(), first = Adam(), second = Adam()
    for step in 0..<3 {
        for p in [a, aAlone] { p.grad.storage = [0.1, -0.2, Float(step)] }
        for p in [b, bAlone] { p.grad.storage = [3, Float(-step)] }
        together.step([a, b], learningRate: 0.1)
        first.step([aAlone], learningRate: 0.1)
        second.step([bAlone], learningRate: 0.1)
    }
    #expect(a.value == aAlone.value && b.value == bAlone.value)
}

@Test func clippingScalesToTheMaximumNormAndReturnsThePreClipNorm() {
    let a = Parameter(name: "a", value: Tensor(zeros: [2]))
    let b = Parameter(name: "b", value: Tensor(zeros: [1]))
    a.grad.storage = [3, 4]
    b.grad.storage = [12]
    let norm = clipGradientNorm([a, b], maxNorm: 1)
    #expect(norm == 13)
    let coefficient = Float(1 / (13 + 1e-6))
    #expect(a.grad.storage == [3 * coefficient, 4 * coefficient] && b.grad.storage == [12 * coefficient])
    // Under the limit: untouched, norm still reported.
    a.grad.storage = [3, 4]
    b.grad.storage = [12]
    #expect(clipGradientNorm([a, b], maxNorm: 13.5) == 13)
    #expect(a.grad.storage == [3, 4] && b.grad.storage == [12])
}

@Test func clippingNormIsAccurateOnLongVectors() {
    // 10,001 elements (SIMD blocks, flushes and a tail): norm of [1, 1, ..., 1] = 100.005.
    let p = Parameter(name: "p", value: Tensor(zeros: [10_001]))
    p.grad.storage = [Float](repeating: 1, count: 10_001)
    let norm = clipGradientNorm([p], maxNorm: 1e9)
    #expect(abs(Double(norm) - 10_001.0.squareRoot()) < 1e-4)
    #expect(clipGradientNorm([p], maxNorm: 50) == norm)
    let clipped = p.grad.storage.reduce(0.0) { $0 + Double($1) * Double($1) }.squareRoot()
    #expect(abs(clipped - 50) < 1e-3)
}
