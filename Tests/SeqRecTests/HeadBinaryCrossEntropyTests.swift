// The BCE head (one sampled negative per target) and the sampled softmax over a tied output
// layer: the loss against its formula, finite-difference gradients (untied: output.weight,
// output.bias and the hidden rows; tied: the item table and the hidden rows), tied = untied
// with a zero bias, and the negative draws. Finite differences as in HeadSampledSoftmaxTests:
// eps 3e-3, accepted within 2e-3 relative to (1e-2 + |numeric|).

import Foundation
import Testing
@testable import SeqRec
@testable import SeqRecCore
@testable import SeqRecNumerics

private func bceLoss(_ head: GeneralizedBinaryCrossEntropy, hidden: [Float], targets: [Int32], negatives: [Int32]) -> (loss: Double, targets: Int, dHidden: [Float]) {
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

private func sampledLoss(_ head: SampledSoftmax, hidden: [Float], targets: [Int32], negatives: [Int32]) -> (loss: Double, dHidden: [Float]) {
    var dHidden = [Float](repeating: 0, count: hidden.count)
    let result = hidden.withUnsafeBufferPointer { h in
        targets.withUnsafeBufferPointer { t in
            dHidden.withUnsafeMutableBufferPointer { d in
                head.lossAndBackward(hidden: h.baseAddress!, targets: t, dHidden: d.baseAddress!, negatives: negatives)
            }
        }
    }
    return (result.loss, dHidden)
}


// 6 rows, H = 5, V = 9: a row without target (1), a negative that is another row's target
// (3 for row 0 and the target of row 4), a repeated negative (rows 2 and 5: item 6) and a
// negative equal to another row's negative and target (row 4's 2 is row 5's target).
private let targets: [Int32] = [5, 0, 8, 1, 3, 2]
private let negatives: [Int32] = [3, 6, 7, 2, 6]

@Test(arguments: [false, true])
func bceMatchesItsFormula(tied: Bool) {
    let output = HeadTestSupport.outputLayer(classes: 9, hidden: 5, tied: tied, seed: 1)
    let head = GeneralizedBinaryCrossEntropy(output: output, sampler: HeadTestSupport.uniformSampler(9), form: .bce)
    var rng = SeededGenerator(seed: 2)
    let hidden = HeadTestSupport.uniformValues(6 * 5, &rng, scale: 1.5)
    let result = bceLoss(head, hidden: hidden, targets: targets, negatives: negatives)
    let w = output.weight.valueArray, b = output.bias?.valueArray
    func score(_ row: Int, _ item: Int32) -> Double {
        var total: Double = b.map { Double($0[Int(item)]) } ?? 0
        for j in 0..<5 { total += Double(hidden[row * 5 + j]) * Double(w[Int(item) * 5 + j]) }
        return total
    }
    var expected = 0.0
    for (k, row) in [0, 2, 3, 4, 5].enumerated() {
        let (positive, negative) = (score(row, targets[row]), score(row, negatives[k]))
        let positiveTerm: Double = -log(1 / (1 + exp(-positive)))
        let negativeTerm: Double = -log(1 - 1 / (1 + exp(-negative)))
        expected += positiveTerm + negativeTerm
    }
    #expect(result.targets == 5)
    #expect(abs(result.loss - expected / 5) < 1e-6, "\(result.loss) vs \(expected / 5)")
    #expect(result.dHidden[5..<10].allSatisfy { $0 == 0 }, "a row without target gets no gradient")
}

@Test(arguments: [false, true])
func bceGradientsMatchFiniteDifferences(tied: Bool) {
    let output = HeadTestSupport.outputLayer(classes: 9, hidden: 5, tied: tied, seed: 3)
    let head = GeneralizedBinaryCrossEntropy(output: output, sampler: HeadTestSupport.uniformSampler(9), form: .bce)
    var rng = SeededGenerator(seed: 4)
    var hidden = HeadTestSupport.uniformValues(6 * 5, &rng, scale: 1.5)
    let dHidden = bceLoss(head, hidden: hidden, targets: targets, negatives: negatives).dHidden
    // Every parameter of the head: output.weight and output.bias, or the tied item table.
    let trained = tied ? [output.weight] : output.parameters
    #expect(trained.count == (tied ? 1 : 2))
    let analytic = trained.map(\.gradArray)  // (each evaluation below adds into the gradients)
    let loss = { bceLoss(head, hidden: hidden, targets: targets, negatives: negatives).loss }
    let check = HeadTestSupport.gradientCheck(loss: loss)
    check.verify(dHidden, of: PerturbableValues(name: "hidden", count: hidden.count, get: { hidden[$0] }, set: { hidden[$0] = $1 }), label: "bce")
    for (parameter, analytic) in zip(trained, analytic) {
        check.verify(analytic, of: PerturbableValues(parameter), label: "bce")
    }
    // Items neither a target nor a negative (0 = padding, 4) get no gradient at all.
    let width = 5
    for item in [0, 4] {
        #expect(analytic[0][(item * width)..<(item * width + width)].allSatisfy { $0 == 0 })
        if !tied { #expect(analytic[1][item] == 0) }
    }
}

/// Tied = untied with the same weights and a zero bias, bitwise: the heads share their code.
@Test func tiedHeadsEqualUntiedHeadsWithAZeroBias() {
    let tied = HeadTestSupport.outputLayer(classes: 9, hidden: 5, tied: true, seed: 5)
    var unused = SeededGenerator(seed: 0)
    let untied = SoftmaxOutputLayer(classes: 9, inputSize: 5, rng: &unused)
    untied.weight.setValues(tied.weight.valueArray)
    untied.bias?.setValues([Float](repeating: 0, count: 9))
    var rng = SeededGenerator(seed: 6)
    let hidden = HeadTestSupport.uniformValues(6 * 5, &rng, scale: 1.5)

    let bce = [tied, untied].map { bceLoss(GeneralizedBinaryCrossEntropy(output: $0, sampler: HeadTestSupport.uniformSampler(9), form: .bce), hidden: hidden, targets: targets,
                                            negatives: negatives) }
    #expect(bce[0].loss == bce[1].loss && bce[0].dHidden == bce[1].dHidden)
    #expect(tied.weight.gradArray == untied.weight.gradArray)

    tied.weight.zeroGrad()
    untied.weight.zeroGrad()
    let shared: [Int32] = [6, 3, 6, 1]  // a duplicate, accidental hits with rows 3 and 4
    let sampled = [tied, untied].map { sampledLoss(SampledSoftmax(output: $0, negatives: 4, sampler: HeadTestSupport.uniformSampler(9)), hidden: hidden,
                                                   targets: targets, negatives: shared) }
    #expect(sampled[0].loss == sampled[1].loss && sampled[0].dHidden == sampled[1].dHidden)
    #expect(tied.weight.gradArray == untied.weight.gradArray)
}

@Test func sampledSoftmaxOverATiedTableMatchesFiniteDifferences() {
    let output = HeadTestSupport.outputLayer(classes: 13, hidden: 5, tied: true, seed: 7)
    let counts = [0, 3, 1, 4, 1, 5, 9, 2, 6, 5, 3, 5, 8]
    let head = SampledSoftmax(output: output, negatives: 10,
                              sampler: NegativeSampler(numItems: 12, strategy: .popularity, itemCounts: counts))
    #expect(head.bias == nil && output.parameters.isEmpty)
    var rng = SeededGenerator(seed: 8)
    var hidden = HeadTestSupport.uniformValues(5 * 5, &rng, scale: 1.5)
    let sampledTargets: [Int32] = [3, 0, 12, 7, 3]
    let shared: [Int32] = [9, 3, 1, 7, 9, 11, 2, 5, 6, 10]
    let dHidden = sampledLoss(head, hidden: hidden, targets: sampledTargets, negatives: shared).dHidden
    let tableGrad = output.weight.gradArray
    let loss = { sampledLoss(head, hidden: hidden, targets: sampledTargets, negatives: shared).loss }
    let check = HeadTestSupport.gradientCheck(loss: loss)
    check.verify(dHidden, of: PerturbableValues(name: "hidden", count: hidden.count, get: { hidden[$0] }, set: { hidden[$0] = $1 }), label: "tied sampled softmax")
    check.verify(tableGrad, of: PerturbableValues(output.weight), label: "tied sampled softmax")
    for item in [0, 4, 8] { #expect(tableGrad[(item * 5)..<(item * 5 + 5)].allSatisfy { $0 == 0 }) }
}

@Test(arguments: [SamplingStrategy.uniform, .popularity])
func bceNegativesComeFromTheStreamAndNeverEqualTheTarget(_ strategy: SamplingStrategy) {
    let head = GeneralizedBinaryCrossEntropy(output: HeadTestSupport.outputLayer(classes: 4, hidden: 3, tied: false, seed: 9),
                                             sampler: NegativeSampler(numItems: 3, strategy: strategy, itemCounts: [0, 50, 1, 1]), form: .bce)
    let rows = 400
    var rng = SeededGenerator(seed: 10)
    let hidden = HeadTestSupport.uniformValues(rows * 3, &rng)
    let rowTargets = (0..<rows).map { Int32($0 % 4) }  // every fourth row without target
    func run(seed: UInt64) -> (loss: Double, grads: [Float]) {
        head.output.parameters.forEach { $0.zeroGrad() }
        var dHidden = [Float](repeating: 0, count: hidden.count)
        var stream = SeededGenerator(seed: seed)
        let result = hidden.withUnsafeBufferPointer { h in rowTargets.withUnsafeBufferPointer { t in
            dHidden.withUnsafeMutableBufferPointer { head.lossAndBackward(hidden: h.baseAddress!, targets: t, dHidden: $0.baseAddress!, rng: &stream) }
        }}
        #expect(result.targets == 300)
        return (result.loss, head.output.weight.gradArray + dHidden)
    }
    let first = run(seed: 11)
    #expect(first.loss == run(seed: 11).loss && first.grads == run(seed: 11).grads)
    #expect(first.loss != run(seed: 12).loss)
    // The draws themselves: the sampler's items, redrawn while equal to the row's target.
    var stream = SeededGenerator(seed: 11)
    var expected: [Int32] = []
    for target in rowTargets where target != 0 {
        var negative = head.sampler.sample(&stream)
        while negative == target { negative = head.sampler.sample(&stream) }
        expected.append(negative)
    }
    #expect(expected.allSatisfy { $0 >= 1 && $0 <= 3 } && Set(expected).count == 3)
    let replay = bceLoss(head, hidden: hidden, targets: rowTargets, negatives: expected)
    #expect(replay.loss == first.loss)
}
