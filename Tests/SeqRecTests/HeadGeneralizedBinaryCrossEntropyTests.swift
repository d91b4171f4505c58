// The gbce head (gSASRec's generalised binary cross-entropy): β against hand values, the loss
// and gradients against a float64 PyTorch transcription of the paper's formula
// (Tests/Fixtures/make_golden_gbce.py), finite-difference gradients (untied and tied), the
// bce form as its k = 1, β = 1 case, and the per-target negative draws.

import Foundation
import Testing
@testable import SeqRec
@testable import SeqRecCore
@testable import SeqRecNumerics

private func headLoss(_ head: GeneralizedBinaryCrossEntropy, hidden: [Float], targets: [Int32], negatives: [Int32])
    -> (loss: Double, targets: Int, dHidden: [Float]) {
    var dHidden = [Float](repeating: 0, count: hidden.count)
    let result = hidden.withUnsafeBufferPointer { h in
        targets.withUnsafeBufferPointer { t in
            dHidden.withUnsafeMutableBufferPointer { d in
                head.lossAndBackward(hidden: h.baseAddress!, targets: t, dHidden: d.baseAddress!, negatives: negatives)
            }
        }
    }
    return (result.loss, result.targets, dHidden)
}


/// β = α (t (1 − 1/α) + 1/α), α = k / (|I| − 1), worked out by hand as 1 − t (1 − α).
@Test(arguments: [
    (256, 1682, 0.75, 1 - 0.75 * (1 - 256.0 / 1681)),  // the grid's setting on MovieLens-100K: 0.36421772754...
    (1, 3, 0.5, 0.75),  // α = 1/2
    (4, 101, 0.0, 1.0),  // t = 0: plain BCE
    (4, 101, 1.0, 0.04),  // t = 1: β = α
    (10, 11, 0.3, 1.0),  // α = 1: every other item is sampled, β = 1 whatever t
])
func gbceBetaMatchesHandValues(_ k: Int, _ items: Int, _ t: Double, _ expected: Double) {
    let beta = GeneralizedBinaryCrossEntropy.Form.beta(negatives: k, items: items, t: t)
    #expect(abs(beta - expected) <= 1e-12, "k \(k), |I| \(items), t \(t): \(beta) vs \(expected)")
    let form = GeneralizedBinaryCrossEntropy.Form.gbce(negatives: k, items: items, t: t)
    #expect(form.beta == beta && form.negativesPerTarget == k && form.averagesTerms)
}

private struct GoldenGBCE: Decodable {
    let rows: Int, hidden_size: Int, items: Int, negatives_per_target: Int
    let t: Double, beta: Double, loss: Double
    let hidden: [Double], weight: [Double], bias: [Double]?
    let targets: [Int32], negatives: [Int32]
    let d_hidden: [Double], d_weight: [Double], d_bias: [Double]?
}

/// Loss and every gradient against PyTorch's float64 transcription of the paper's formula
/// (the positive logit through γ with the reference's clamps, BCE averaged over the k + 1
/// columns, then over the targets), for the negatives in the fixture.
@Test(arguments: ["gbce-k4-t075-bias", "gbce-k3-t0-tied", "gbce-k1-t1-bias"])
func gbceMatchesThePyTorchGolden(_ name: String) throws {
    let url = HeadTestSupport.fixtures.deletingLastPathComponent().appendingPathComponent("golden-gbce/\(name).json")
    let golden = try JSONDecoder().decode(GoldenGBCE.self, from: Data(contentsOf: url))
    let (h, classes, k) = (golden.hidden_size, golden.items + 1, golden.negatives_per_target)
    let output: SoftmaxOutputLayer
    if golden.bias == nil {
        output = SoftmaxOutputLayer(tiedTo: Parameter(name: "item_embedding.weight", shape: [classes, h], values: golden.weight.map(Float.init)))
    } else {
        var unused = SeededGenerator(seed: 0)
        output = SoftmaxOutputLayer(classes: classes, inputSize: h, rng: &unused)
        output.weight.setValues(golden.weight.map(Float.init))
    }
    if let bias = golden.bias { output.bias?.setValues(bias.map(Float.init)) }
    let form = GeneralizedBinaryCrossEntropy.Form.gbce(negatives: k, items: golden.items, t: golden.t)
    #expect(abs(form.beta - golden.beta) <= 1e-12 * golden.beta)
    let head = GeneralizedBinaryCrossEntropy(output: output, sampler: HeadTestSupport.uniformSampler(classes), form: form)
    let result = headLoss(head, hidden: golden.hidden.map(Float.init), targets: golden.targets, negatives: golden.negatives)
    #expect(result.targets == golden.targets.filter { $0 != 0 }.count)
    #expect(abs(result.loss - golden.loss) <= 1e-6 * golden.loss, "\(result.loss) vs \(golden.loss)")
    // Float32 gradients against float64: within 1e-5 of the tensor's largest entry.
    func compare(_ actual: [Float], _ expected: [Double], _ label: String) {
        #expect(actual.count == expected.count, "\(label) count")
        let scale = expected.map(abs).max() ?? 0
        let worst = zip(actual, expected).map { abs(Double($0) - $1) }.max() ?? 0
        #expect(worst <= 1e-5 * scale + 1e-9, "\(name) \(label): off by \(worst) (largest entry \(scale))")
    }
    compare(result.dHidden, golden.d_hidden, "d hidden")
    compare(output.weight.gradArray, golden.d_weight, "d weight")
    if let dBias = golden.d_bias, let bias = output.bias { compare(bias.gradArray, dBias, "d bias") }
}

// 6 rows, H = 5, V = 9, k = 3: a row without target (1), a duplicate negative in a row (row 0:
// item 3 twice), another row's target as a negative (row 2 gets 1, row 3's target).
private let targets: [Int32] = [5, 0, 8, 1, 3, 2]
private let negatives: [Int32] = [3, 6, 3, 7, 1, 2, 2, 6, 4, 6, 7, 1, 3, 8, 5]

@Test(arguments: [false, true])
func gbceGradientsMatchFiniteDifferences(tied: Bool) {
    let output = HeadTestSupport.outputLayer(classes: 9, hidden: 5, tied: tied, seed: 21)
    let head = GeneralizedBinaryCrossEntropy(output: output, sampler: HeadTestSupport.uniformSampler(9), form: .gbce(negatives: 3, items: 8, t: 0.75))
    var rng = SeededGenerator(seed: 22)
    var hidden = HeadTestSupport.uniformValues(6 * 5, &rng, scale: 1.5)
    let dHidden = headLoss(head, hidden: hidden, targets: targets, negatives: negatives).dHidden
    let trained = tied ? [output.weight] : output.parameters
    let analytic = trained.map(\.gradArray)  // (each evaluation below adds into the gradients)
    let loss = { headLoss(head, hidden: hidden, targets: targets, negatives: negatives).loss }
    let check = HeadTestSupport.gradientCheck(loss: loss)
    check.verify(dHidden, of: PerturbableValues(name: "hidden", count: hidden.count, get: { hidden[$0] }, set: { hidden[$0] = $1 }), label: "gbce")
    for (parameter, analytic) in zip(trained, analytic) {
        check.verify(analytic, of: PerturbableValues(parameter), label: "gbce")
    }
    #expect(dHidden[5..<10].allSatisfy { $0 == 0 }, "a row without target gets no gradient")
    // Item 0 (padding) is neither a target nor a negative: no gradient.
    #expect(analytic[0][0..<5].allSatisfy { $0 == 0 })
}

/// gbce with k = 1 and t = 0 (β = 1) is bce with its two terms averaged instead of summed:
/// exactly half the loss and half every gradient (halving is exact in binary floating point).
@Test func gbceWithOneNegativeAndBetaOneIsHalfOfBCE() {
    let single: [Int32] = [3, 6, 7, 2, 6]
    var results: [(loss: Double, dHidden: [Float], grads: [[Float]])] = []
    for form in [GeneralizedBinaryCrossEntropy.Form.bce, .gbce(negatives: 1, items: 8, t: 0)] {
        let output = HeadTestSupport.outputLayer(classes: 9, hidden: 5, tied: false, seed: 23)
        var rng = SeededGenerator(seed: 24)
        let hidden = HeadTestSupport.uniformValues(6 * 5, &rng, scale: 1.5)
        let head = GeneralizedBinaryCrossEntropy(output: output, sampler: HeadTestSupport.uniformSampler(9), form: form)
        #expect(form.beta == 1 && form.negativesPerTarget == 1)
        let result = headLoss(head, hidden: hidden, targets: targets, negatives: single)
        results.append((result.loss, result.dHidden, output.parameters.map(\.gradArray)))
    }
    #expect(results[1].loss == results[0].loss / 2)
    #expect(results[1].dHidden == results[0].dHidden.map { $0 / 2 })
    #expect(results[1].grads == results[0].grads.map { $0.map { $0 / 2 } })
}

@Test(arguments: [SamplingStrategy.uniform, .popularity])
func gbceDrawsKNegativesPerTargetFromTheStreamNeverTheTarget(_ strategy: SamplingStrategy) {
    let k = 4
    let head = GeneralizedBinaryCrossEntropy(output: HeadTestSupport.outputLayer(classes: 4, hidden: 3, tied: false, seed: 25),
                                             sampler: NegativeSampler(numItems: 3, strategy: strategy, itemCounts: [0, 50, 1, 1]),
                                             form: .gbce(negatives: k, items: 3, t: 0.75))
    let rows = 200
    var rng = SeededGenerator(seed: 26)
    let hidden = HeadTestSupport.uniformValues(rows * 3, &rng)
    let rowTargets = (0..<rows).map { Int32($0 % 4) }  // every fourth row without target
    func run(seed: UInt64) -> Double {
        head.output.parameters.forEach { $0.zeroGrad() }
        var dHidden = [Float](repeating: 0, count: hidden.count)
        var stream = SeededGenerator(seed: seed)
        let result = hidden.withUnsafeBufferPointer { h in rowTargets.withUnsafeBufferPointer { t in
            dHidden.withUnsafeMutableBufferPointer { head.lossAndBackward(hidden: h.baseAddress!, targets: t, dHidden: $0.baseAddress!, rng: &stream) }
        }}
        #expect(result.targets == 150)
        return result.loss
    }
    let first = run(seed: 27)
    #expect(first == run(seed: 27))
    #expect(first != run(seed: 28))
    // The draws: row by row, k per target, each redrawn while equal to the row's target.
    var stream = SeededGenerator(seed: 27)
    var expected: [Int32] = []
    for target in rowTargets where target != 0 {
        for _ in 0..<k {
            var negative = head.sampler.sample(&stream)
            while negative == target { negative = head.sampler.sample(&stream) }
            expected.append(negative)
        }
    }
    #expect(expected.count == 150 * k && expected.allSatisfy { $0 >= 1 && $0 <= 3 })
    let filtered = rowTargets.filter { $0 != 0 }
    #expect(zip(expected, filtered.flatMap { Array(repeating: $0, count: k) }).allSatisfy { $0 != $1 })
    head.output.parameters.forEach { $0.zeroGrad() }
    #expect(headLoss(head, hidden: hidden, targets: rowTargets, negatives: expected).loss == first)
}
