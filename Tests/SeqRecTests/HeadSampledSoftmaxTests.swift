import Foundation
import Testing
@testable import SeqRec
@testable import SeqRecCore
@testable import SeqRecNumerics

private func sampledLoss(_ head: SampledSoftmax, hidden: [Float], targets: [Int32], negatives: [Int32]) -> (Double, Int, [Float]) {
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

private func makeHead(classes: Int, hidden: Int, negatives: Int, strategy: SamplingStrategy, counts: [Int], seed: UInt64) -> SampledSoftmax {
    var rng = SeededGenerator(seed: seed)
    let output = SoftmaxOutputLayer(classes: classes, inputSize: hidden, rng: &rng)
    return SampledSoftmax(output: output, negatives: negatives,
                          sampler: NegativeSampler(numItems: classes - 1, strategy: strategy, itemCounts: counts))
}

@Test func sampledSoftmaxMatchesTheLogQFormula() {
    // Popularity q(j) = (count_j + 1) / sum(count + 1); every logit minus log(S q(j)).
    let counts = [0, 5, 0, 2, 9, 1, 3]
    let head = makeHead(classes: 7, hidden: 3, negatives: 4, strategy: .popularity, counts: counts, seed: 1)
    var rng = SeededGenerator(seed: 2)
    let hidden = HeadTestSupport.uniformValues(2 * 3, &rng)
    let targets: [Int32] = [4, 2]
    let negatives: [Int32] = [1, 4, 6, 1]  // one accidental hit for row 0, a duplicate
    let (loss, n, _) = sampledLoss(head, hidden: hidden, targets: targets, negatives: negatives)
    let total = Double(counts.dropFirst().reduce(0, +) + 6)
    func corrected(_ row: Int, _ item: Int32) -> Double {
        let w = head.output.weight.valueArray, b = head.bias!.valueArray
        let logit = (0..<3).reduce(Double(b[Int(item)])) { $0 + Double(hidden[row * 3 + $1]) * Double(w[Int(item) * 3 + $1]) }
        return logit - log(4 * Double(counts[Int(item)] + 1) / total)
    }
    var expected = 0.0
    for (row, target) in targets.enumerated() {
        let columns = [corrected(row, target)] + negatives.filter { $0 != target }.map { corrected(row, $0) }
        let m = columns.max()!
        expected += m + log(columns.reduce(0) { $0 + exp($1 - m) }) - columns[0]
    }
    #expect(n == 2)
    #expect(abs(loss - expected / 2) < 1e-6, "\(loss) vs \(expected / 2)")
}

@Test func sampledSoftmaxGradientsMatchFiniteDifferences() {
    let head = makeHead(classes: 13, hidden: 5, negatives: 10, strategy: .popularity,
                        counts: [0, 3, 1, 4, 1, 5, 9, 2, 6, 5, 3, 5, 8], seed: 3)
    var rng = SeededGenerator(seed: 4)
    var hidden = HeadTestSupport.uniformValues(5 * 5, &rng, scale: 1.5)
    let targets: [Int32] = [3, 0, 12, 7, 3]
    // 10 negatives (one SIMD block + tail): accidental hits with rows 0, 3 and 4, a duplicate (9).
    let negatives: [Int32] = [9, 3, 1, 7, 9, 11, 2, 5, 6, 10]
    let (_, _, dHidden) = sampledLoss(head, hidden: hidden, targets: targets, negatives: negatives)
    let weightGrad = head.output.weight.gradArray, biasGrad = head.bias!.gradArray
    let loss = { sampledLoss(head, hidden: hidden, targets: targets, negatives: negatives).0 }
    let check = HeadTestSupport.gradientCheck(loss: loss)
    check.verify(dHidden, of: PerturbableValues(name: "hidden", count: hidden.count, get: { hidden[$0] }, set: { hidden[$0] = $1 }), label: "sampled softmax")
    check.verify(weightGrad, of: PerturbableValues(head.output.weight), label: "sampled softmax")
    check.verify(biasGrad, of: PerturbableValues(head.bias!), label: "sampled softmax")
    // Classes neither sampled nor targeted (0, 4, 8) get no gradient at all.
    for item in [0, 4, 8] {
        #expect(biasGrad[item] == 0 && weightGrad[(item * 5)..<(item * 5 + 5)].allSatisfy { $0 == 0 })
    }
}

@Test func sampledSoftmaxOverEveryItemIsTheFullSoftmaxWithoutPadding() {
    // Uniform q: the correction is one constant and cancels. Negatives = every item once, the
    // target's own column masked as an accidental hit: exactly the full softmax over classes
    // 1..<V. Padding class 0 is pushed out of the full softmax with a -100 bias.
    let head = makeHead(classes: 10, hidden: 4, negatives: 9, strategy: .uniform, counts: [], seed: 5)
    head.bias!.value[0] = -100
    var rng = SeededGenerator(seed: 6)
    let hidden = HeadTestSupport.uniformValues(3 * 4, &rng)
    let targets: [Int32] = [2, 9, 5]
    let (sampled, _, _) = sampledLoss(head, hidden: hidden, targets: targets, negatives: (1...9).map { Int32($0) })
    var dHidden = [Float](repeating: 0, count: hidden.count)
    let full = hidden.withUnsafeBufferPointer { h in
        targets.withUnsafeBufferPointer { t in
            dHidden.withUnsafeMutableBufferPointer { head.output.lossAndBackward(hidden: h.baseAddress!, targets: t, dHidden: $0.baseAddress!) }
        }
    }
    #expect(abs(sampled - full.loss) < 1e-5, "\(sampled) vs \(full.loss)")
}

@Test func popularitySamplerFollowsTheSmoothedCounts() {
    let counts = [0, 0, 10, 3, 40, 0, 1]
    let sampler = NegativeSampler(numItems: 6, strategy: .popularity, itemCounts: counts)
    let total = Double(counts.dropFirst().reduce(0, +) + 6)
    var rng = SeededGenerator(seed: 7)
    var seen = [Int](repeating: 0, count: 7)
    let draws = 200_000
    for _ in 0..<draws { seen[Int(sampler.sample(&rng))] += 1 }
    #expect(seen[0] == 0)
    for item in 1...6 {
        let q = Double(counts[item] + 1) / total
        #expect(abs(sampler.probabilities[item] - q) < 1e-12)
        let sigma = (q * (1 - q) / Double(draws)).squareRoot()
        #expect(abs(Double(seen[item]) / Double(draws) - q) < 5 * sigma, "item \(item): \(seen[item]) draws, q = \(q)")
    }
}

@Test func uniformSamplerCoversEveryItemAndNeverPadding() {
    let sampler = NegativeSampler(numItems: 5, strategy: .uniform, itemCounts: [])
    var rng = SeededGenerator(seed: 8)
    var seen = Set<Int32>()
    for _ in 0..<1000 { seen.insert(sampler.sample(&rng)) }
    #expect(seen == Set(1...5))
    #expect(sampler.probabilities == [0, 0.2, 0.2, 0.2, 0.2, 0.2])
}
