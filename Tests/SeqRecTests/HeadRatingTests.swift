import Foundation
import Testing
@testable import SeqRec
@testable import SeqRecCore
@testable import SeqRecNumerics

private func ratingLoss(_ head: RatingHead, hidden: [Float], targets: [Int32], ratings: [Float]) -> (Double, Int, [Float]) {
    var dHidden = [Float](repeating: 0, count: hidden.count)
    let result = hidden.withUnsafeBufferPointer { h in
        targets.withUnsafeBufferPointer { t in
            ratings.withUnsafeBufferPointer { r in
                dHidden.withUnsafeMutableBufferPointer { d in
                    head.lossAndBackward(hidden: h.baseAddress!, targets: t, ratings: r, dHidden: d.baseAddress!)
                }
            }
        }
    }
    return (result.loss, result.targets, dHidden)
}

@Test func ratingHeadLossIsTheMeanSquaredError() {
    var rng = SeededGenerator(seed: 1)
    let head = RatingHead(classes: 6, hiddenSize: 3, embeddingSize: 2, rng: &rng)
    let hidden = HeadTestSupport.uniformValues(3 * 3, &rng)
    let targets: [Int32] = [2, 0, 5]
    let ratings: [Float] = [4, 0, 1.5]
    let (loss, n, _) = ratingLoss(head, hidden: hidden, targets: targets, ratings: ratings)
    let w = head.weight.valueArray, e = head.itemEmbedding.valueArray, b = head.bias.value[0]
    var expected = 0.0
    for row in [0, 2] {
        let item = Int(targets[row])
        let prediction = (0..<3).reduce(Double(b)) { $0 + Double(w[$1]) * Double(hidden[row * 3 + $1]) }
            + (0..<2).reduce(0.0) { $0 + Double(w[3 + $1]) * Double(e[item * 2 + $1]) }
        expected += (prediction - Double(ratings[row])) * (prediction - Double(ratings[row]))
    }
    #expect(n == 2)
    #expect(abs(loss - expected / 2) < 1e-5)
    let predictions = hidden.withUnsafeBufferPointer { head.predict(hidden: $0.baseAddress!, items: [2, 1, 5]) }
    #expect(predictions.count == 3)
}

@Test func ratingHeadGradientsMatchFiniteDifferences() {
    var rng = SeededGenerator(seed: 2)
    // H = 9, E = 10: SIMD blocks plus tails in every dot/axpy.
    let head = RatingHead(classes: 7, hiddenSize: 9, embeddingSize: 10, rng: &rng)
    var hidden = HeadTestSupport.uniformValues(4 * 9, &rng, scale: 0.5)
    let targets: [Int32] = [3, 0, 6, 3]
    let ratings: [Float] = [4, 0, 2, 5]
    let (_, _, dHidden) = ratingLoss(head, hidden: hidden, targets: targets, ratings: ratings)
    let grads = head.parameters.map(\.gradArray)
    let loss = { ratingLoss(head, hidden: hidden, targets: targets, ratings: ratings).0 }
    // h = 1e-2: the loss is quadratic in every single parameter, so central differences are
    // exact up to rounding.
    let check = HeadTestSupport.gradientCheck(step: 1e-2, relative: 1e-3, loss: loss)
    check.verify(dHidden, of: PerturbableValues(name: "hidden", count: hidden.count, get: { hidden[$0] }, set: { hidden[$0] = $1 }), label: "rating")
    for (parameter, grad) in zip(head.parameters, grads) {
        check.verify(grad, of: PerturbableValues(parameter), label: "rating")
    }
    // Only the target items' embedding rows (3 and 6) receive gradient; padding row 0 never.
    let embeddingGrad = grads[0]
    for item in 0..<7 {
        let row = embeddingGrad[(item * 10)..<(item * 10 + 10)]
        #expect(row.allSatisfy { $0 == 0 } == !(item == 3 || item == 6), "item \(item)")
    }
}

@Test func ratingHeadParametersAreNamedAndPaddingIsZero() {
    var rng = SeededGenerator(seed: 3)
    let head = RatingHead(classes: 5, hiddenSize: 4, embeddingSize: 3, rng: &rng)
    #expect(head.parameters.map(\.name) == ["rating.item_embedding.weight", "rating.linear.weight", "rating.linear.bias"])
    #expect(head.parameters.map(\.shape) == [[5, 3], [1, 7], [1]])
    #expect(head.itemEmbedding.valueArray[0..<3].allSatisfy { $0 == 0 })
    #expect(head.itemEmbedding.valueArray[3...].allSatisfy { $0 != 0 })
}
