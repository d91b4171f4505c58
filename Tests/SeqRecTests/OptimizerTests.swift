// Optimizers against torch.optim (fixture: Tests/Fixtures/golden-model/optimizers.json, a
// [2, 5] parameter, 3 fixed gradients, weight decay on), and gradient-norm clipping.

import Foundation
import Testing
@testable import SeqRec
@testable import SeqRecCore
@testable import SeqRecNumerics

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
        let parameter = Parameter(name: "p", shape: fixture.shape, values: fixture.initial)
        let arena = ParameterArena([parameter])
        for (step, grad) in fixture.grads.enumerated() {
            parameter.gradArray = grad
            optimizer.step(arena, learningRate: Float(spec.learningRate))
            let expected = testCase.after[step]
            // Relative 2e-6: Float32 rounding of the same formulas (PyTorch computes the bias
            // corrections in double, as here).
            let error = zip(parameter.valueArray, expected).map { abs($0 - $1) / (1 + abs($1)) }.max() ?? 0
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
    #expect((Optimizers.make(spec) as? Adam).map { $0.weightDecay == 0.25 && $0.decoupled } == true)
    spec.name = .adagrad
    #expect(Optimizers.make(spec) is Adagrad)
    spec.name = .rmsprop
    #expect((Optimizers.make(spec) as? RMSprop)?.momentum == 0.5)
    spec.name = .adam
    #expect((Optimizers.make(spec) as? Adam).map { $0.weightDecay == 0.25 && !$0.decoupled } == true)
}

@Test func optimizerStateIsPerElement() {
    // Two parameters stepped together in one arena equal each stepped alone, and any split
    // of the arena into shares gives the same result (state is arena-shaped, updates elementwise).
    let a = Parameter(name: "a", shape: [3], values: [1, 2, 3])
    let b = Parameter(name: "b", shape: [2], values: [-1, 5])
    let aAlone = Parameter(name: "a", shape: [3], values: a.valueArray)
    let bAlone = Parameter(name: "b", shape: [2], values: b.valueArray)
    let aShared = Parameter(name: "a", shape: [3], values: a.valueArray)
    let bShared = Parameter(name: "b", shape: [2], values: b.valueArray)
    let (together, alone, shared) = (ParameterArena([a, b]), [ParameterArena([aAlone]), ParameterArena([bAlone])],
                                     ParameterArena([aShared, bShared]))
    let optimizers = (Adam(), Adam(), Adam(), Adam())
    for step in 0..<3 {
        for p in [a, aAlone, aShared] { p.gradArray = [0.1, -0.2, Float(step)] }
        for p in [b, bAlone, bShared] { p.gradArray = [3, Float(-step)] }
        optimizers.0.step(together, learningRate: 0.1)
        optimizers.1.step(alone[0], learningRate: 0.1)
        optimizers.2.step(alone[1], learningRate: 0.1)
        optimizers.3.beginStep(shared, learningRate: 0.1)
        for share in shared.shares(3) { optimizers.3.update(shared, share) }
    }
    #expect(a.valueArray == aAlone.valueArray && b.valueArray == bAlone.valueArray)
    #expect(a.valueArray == aShared.valueArray && b.valueArray == bShared.valueArray)
    #expect(a.valueArray != [1, 2, 3])
}

@Test func clippingScalesToTheMaximumNormAndReturnsThePreClipNorm() {
    let a = Parameter(name: "a", zeros: [2])
    let b = Parameter(name: "b", zeros: [1])
    let arena = ParameterArena([a, b])
    a.gradArray = [3, 4]
    b.gradArray = [12]
    let norm = clipGradientNorm(arena, maxNorm: 1)
    #expect(norm == 13)
    let coefficient = Float(1 / (13 + 1e-6))
    #expect(a.gradArray == [3 * coefficient, 4 * coefficient] && b.gradArray == [12 * coefficient])
    // Under the limit: untouched, norm still reported.
    a.gradArray = [3, 4]
    b.gradArray = [12]
    #expect(clipGradientNorm(arena, maxNorm: 13.5) == 13)
    #expect(a.gradArray == [3, 4] && b.gradArray == [12])
}

@Test func clippingNormIsAccurateOnLongVectors() {
    // 10,001 elements (SIMD blocks, flushes and a tail): norm of [1, 1, ..., 1] = 100.005.
    let p = Parameter(name: "p", zeros: [10_001])
    let arena = ParameterArena([p])
    p.gradArray = [Float](repeating: 1, count: 10_001)
    let norm = clipGradientNorm(arena, maxNorm: 1e9)
    #expect(abs(Double(norm) - 10_001.0.squareRoot()) < 1e-4)
    #expect(clipGradientNorm(arena, maxNorm: 50) == norm)
    let clipped = p.gradArray.reduce(0.0) { $0 + Double($1) * Double($1) }.squareRoot()
    #expect(abs(clipped - 50) < 1e-3)
}
