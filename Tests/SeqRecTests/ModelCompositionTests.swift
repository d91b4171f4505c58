// SequenceRecommender as a whole: parameter layout, determinism, and that each head trains.

import Foundation
import Testing
@testable import SeqRec
@testable import SeqRecCore
@testable import SeqRecNumerics

/// A tiny planted task: item i is always followed by item i % 6 + 1.
private func cyclicBatch(rows: Int, steps: Int, rng: inout SeededGenerator) -> SequenceBatch {
    var inputs: [Int32] = [], targets: [Int32] = [], ratings: [Float] = []
    for b in 0..<rows {
        var item = Int32(rng.nextInt(below: 6) + 1)
        let length = steps - b % 3  // some right padding
        for t in 0..<steps {
            let next = item % 6 + 1
            inputs.append(t < length ? item : 0)
            targets.append(t < length ? next : 0)
            ratings.append(t < length ? Float(next % 5 + 1) : 0)
            item = next
        }
    }
    return SequenceBatch(batchSize: rows, steps: steps, inputs: inputs, targets: targets, ratings: ratings,
                         users: (0..<Int32(rows)).map { $0 })
}

private func makeModel(cell: CellKind = .gru, task: TaskKind = .nextItem, loss: LossKind = .crossEntropy,
                       sampling: SamplingStrategy = .uniform, dropout: Double = 0.2, seed: UInt64) -> SequenceRecommender {
    makeTinyRecommender(cell: cell, task: task, loss: loss, sampling: sampling, itemCounts: [0, 5, 1, 1, 2, 9, 3],
                        embeddingSize: 8, hiddenSize: 12, dropout: dropout, seed: seed)
}

/// Trains `steps` Adam steps (with clipping) on fresh cyclic batches; returns the losses.
private func train(_ model: SequenceRecommender, steps: Int, seed: UInt64, learningRate: Float = 0.02) -> [Double] {
    var rng = SeededGenerator(seed: seed)
    let optimizer = Adam()
    return (0..<steps).map { _ in
        let batch = cyclicBatch(rows: 8, steps: 6, rng: &rng)
        model.arena.zeroGrads()
        let loss = model.trainBatch(batch, rng: &rng).loss
        clipGradientNorm(model.arena, maxNorm: 5)
        optimizer.step(model.arena, learningRate: learningRate)
        return loss
    }
}

@Test func parametersAreNamedLikePyTorch() {
    let next = makeModel(seed: 1)
    #expect(next.parameters.map(\.name) == [
        "embedding.weight",
        "rnn.weight_ih_l0", "rnn.weight_hh_l0", "rnn.bias_ih_l0", "rnn.bias_hh_l0",
        "rnn.weight_ih_l1", "rnn.weight_hh_l1", "rnn.bias_ih_l1", "rnn.bias_hh_l1",
        "output.weight", "output.bias",
    ])
    // GRU: 3H gates. 7*8 + (36*8 + 36*12 + 72) + (36*12 + 36*12 + 72) + 7*12 + 7.
    #expect(next.parameterCount == 56 + 792 + 936 + 91)
    let rating = makeModel(task: .rating, loss: .mse, seed: 1)
    #expect(Array(rating.parameters.map(\.name).suffix(3)) == ["rating.item_embedding.weight", "rating.linear.weight", "rating.linear.bias"])
}

@Test(arguments: [LossKind.crossEntropy, .sampledSoftmax, .binaryCrossEntropy, .generalizedBinaryCrossEntropy])
func sameSeedGivesBitwiseIdenticalWeights(_ loss: LossKind) {
    func run(seed: UInt64) -> [[Float]] {
        let model = makeModel(cell: .lstm, loss: loss, sampling: .popularity, seed: seed)
        _ = train(model, steps: 5, seed: seed)
        return model.parameters.map(\.valueArray)
    }
    let first = run(seed: 11), second = run(seed: 11), other = run(seed: 12)
    #expect(first == second)
    #expect(first != other)
}

@Test(arguments: [(CellKind.lstm, LossKind.crossEntropy), (.gru, .sampledSoftmax), (.rnn, .crossEntropy), (.gru, .binaryCrossEntropy),
                        (.lstm, .generalizedBinaryCrossEntropy), (.rnn, .generalizedBinaryCrossEntropy)])
func nextItemModelsLearnAPlantedCycle(_ cell: CellKind, _ loss: LossKind) {
    let model = makeModel(cell: cell, loss: loss, dropout: 0, seed: 3)
    _ = train(model, steps: 150, seed: 4)
    // Evaluate with the full catalogue: the planted next item must rank first for every row.
    var rng = SeededGenerator(seed: 5)
    let batch = cyclicBatch(rows: 6, steps: 6, rng: &rng)
    let scores = model.scoreNext(batch)
    #expect(scores.count == 6 * 7)
    for b in 0..<6 {
        let length = 6 - b % 3
        let expected = Int(batch.targets[b * 6 + length - 1])
        let row = Array(scores[(b * 7)..<(b * 7 + 7)])
        #expect(row.indices.max { row[$0] < row[$1] } == expected, "\(cell) \(loss) row \(b)")
    }
}

@Test func ratingModelFitsPlantedRatings() {
    let model = makeModel(cell: .lstm, task: .rating, loss: .mse, dropout: 0, seed: 6)
    let losses = train(model, steps: 200, seed: 7, learningRate: 0.03)
    #expect(losses[0] > 2, "first loss \(losses[0])")
    #expect(losses.suffix(10).allSatisfy { $0 < 0.1 }, "last losses \(losses.suffix(10))")
    var rng = SeededGenerator(seed: 8)
    let batch = cyclicBatch(rows: 4, steps: 6, rng: &rng)
    let predictions = model.predictRatings(batch)
    #expect(predictions.count == 4)
    for b in 0..<4 {
        let length = 6 - b % 3
        let target = Float(batch.ratings[b * 6 + length - 1])
        #expect(abs(predictions[b] - target) < 0.5, "row \(b): \(predictions[b]) vs \(target)")
    }
}

@Test func batchWithoutTargetsTrainsNothing() {
    let model = makeModel(seed: 9)
    let batch = SequenceBatch(batchSize: 1, steps: 2, inputs: [1, 2], targets: [0, 0], ratings: [0, 0], users: [0])
    var rng = SeededGenerator(seed: 1)
    let result = model.trainBatch(batch, rng: &rng)
    #expect(result.loss == 0 && result.targets == 0)
    #expect(model.parameters.allSatisfy { $0.gradArray.allSatisfy { $0 == 0 } })
}

@Test func incompatibleTaskAndLossAreReported() throws {
    try SequenceRecommender.checkCompatible(task: .nextItem, loss: .sampledSoftmax)
    try SequenceRecommender.checkCompatible(task: .rating, loss: .mse)
    #expect(throws: ModelConfigurationError(task: .rating, loss: .crossEntropy)) {
        try SequenceRecommender.checkCompatible(task: .rating, loss: .crossEntropy)
    }
    #expect(ModelConfigurationError(task: .rating, loss: .crossEntropy).description
            == "training.loss 'cross-entropy' cannot train task 'rating': expected mse")
    #expect(ModelConfigurationError(task: .nextItem, loss: .mse).description
            == "training.loss 'mse' cannot train task 'next-item': expected cross-entropy, sampled-softmax, bce or gbce")
}

/// model.forget_bias shifts exactly the LSTM forget-gate block of every layer's bias_ih and
/// leaves every other value (and other cells) as PyTorch's init draws them.
@Test func forgetBiasShiftsOnlyTheLSTMForgetGate() {
    func encoder(_ cell: CellKind, forgetBias: Float) -> RecurrentEncoder {
        var rng = SeededGenerator(seed: 3)
        return RecurrentEncoder(cell: cell, numItems: 5, embeddingSize: 4, hiddenSize: 3, layers: 2, dropout: 0,
                                forgetBias: forgetBias, rng: &rng)
    }
    let plain = encoder(.lstm, forgetBias: 0), shifted = encoder(.lstm, forgetBias: 2.5)
    for (a, b) in zip(plain.parameters, shifted.parameters) {
        let difference = zip(a.valueArray, b.valueArray).map { $1 - $0 }
        if a.name.hasPrefix("rnn.bias_ih") {
            #expect(difference.map { abs($0) < 1e-6 ? 0 : $0 } == [0, 0, 0, 2.5, 2.5, 2.5, 0, 0, 0, 0, 0, 0], "\(a.name)")
        } else {
            #expect(a.valueArray == b.valueArray, "\(a.name)")
        }
    }
    #expect(encoder(.gru, forgetBias: 0).parameters.map(\.valueArray) == encoder(.gru, forgetBias: 2.5).parameters.map(\.valueArray))
}
