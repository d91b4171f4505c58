// Whole-model golden test against PyTorch (fixtures from Tests/Fixtures/make_golden_model.py):
// nn.Embedding(padding_idx=0) -> nn.LSTM/GRU/RNN(batch_first) -> nn.Linear -> CrossEntropyLoss
// on a right-padded batch, 1 and 2 layers. The same weights are loaded into a
// SequenceRecommender; forward outputs (at valid positions), next-item logits, the loss,
// every gradient, and the parameters after 3 Adam and 3 SGD-momentum steps must match.

import Foundation
import Testing
@testable import SeqRec
@testable import SeqRecCore
@testable import SeqRecNumerics

struct GoldenModelFixture: Decodable {
    struct Values: Decodable { let shape: [Int]; let data: [Float] }
    struct Trained: Decodable { let lr: Double; let momentum: Double?; let parameters: [String: [Float]]; let losses: [Double] }
    let cell: String, layers: Int, batch: Int, steps: Int, embedding: Int, hidden: Int, items: Int
    let inputs: [Int32], targets: [Int32], lengths: [Int]
    let parameters: [String: Values]
    let outputs: [Float]
    let next_logits: [Float]
    let loss: Double
    let grads: [String: [Float]]
    let adam: Trained
    let sgd: Trained

    static func load(_ name: String) throws -> GoldenModelFixture {
        let data = try Data(contentsOf: HeadTestSupport.fixtures.appendingPathComponent(name))
        return try JSONDecoder().decode(GoldenModelFixture.self, from: data)
    }

    func makeModel() throws -> SequenceRecommender {
        var spec = ModelSpec()
        spec.cell = try #require(CellKind(rawValue: cell))
        spec.embeddingSize = embedding
        spec.hiddenSize = hidden
        spec.layers = layers
        spec.dropout = 0
        var rng = SeededGenerator(seed: 99)
        let model = SequenceRecommender(spec: spec, task: .nextItem, loss: .crossEntropy, numItems: items, negatives: 0,
                                        sampling: .uniform, itemCounts: [], rng: &rng)
        try model.setParameterValues(parameters.mapValues(\.data))
        return model
    }

    var sequenceBatch: SequenceBatch {
        SequenceBatch(batchSize: batch, steps: steps, inputs: inputs, targets: targets,
                      ratings: [Float](repeating: 0, count: inputs.count), users: (0..<Int32(batch)).map { $0 })
    }
}

/// Largest |a - b| / (1 + |b|): absolute near 0, relative for large values.
private func mismatch(_ a: [Float], _ b: [Float]) -> Float {
    precondition(a.count == b.count, "\(a.count) vs \(b.count) values")
    return zip(a, b).map { abs($0 - $1) / (1 + abs($1)) }.max() ?? 0
}

/// Tolerances, as |a - b| / (1 + |b|): forward values, gradients and parameters after 3
/// optimizer steps within 1e-6, the loss within 2e-6 (measured: at most 3e-8, 8e-8 and
/// 1.8e-7; the differences are Float32 rounding of equivalent operation orders and the
/// vector exp/tanh approximations).
private let forwardTolerance: Float = 1e-6
private let stepTolerance: Float = 1e-6

@Test(arguments: ["lstm-1", "lstm-2", "gru-1", "gru-2", "rnn-1", "rnn-2"])
func modelMatchesPyTorchGolden(_ name: String) throws {
    let fixture = try GoldenModelFixture.load("\(name).json")
    let model = try fixture.makeModel()
    let batch = fixture.sequenceBatch
    #expect(Set(model.parameters.map(\.name)) == Set(fixture.parameters.keys))

    // Forward outputs [B, T, H], compared at valid positions only (seqrec carries the state
    // through padding; PyTorch runs the padded steps).
    var rng = SeededGenerator(seed: 1)
    let outputs = batch.inputs.withUnsafeBufferPointer {
        Array(model.encoder.forward(inputs: $0, batch: fixture.batch, steps: fixture.steps, training: false, rng: &rng))
    }
    let h = fixture.hidden
    for b in 0..<fixture.batch {
        for t in 0..<fixture.lengths[b] {
            let row = (b * fixture.steps + t) * h
            let error = mismatch(Array(outputs[row..<(row + h)]), Array(fixture.outputs[row..<(row + h)]))
            #expect(error < forwardTolerance, "\(name) output [\(b), \(t)] off by \(error)")
        }
    }
    #expect(mismatch(model.scoreNext(batch), fixture.next_logits) < forwardTolerance, "\(name) next-item logits")

    // Loss and every gradient.
    model.arena.zeroGrads()
    let result = model.trainBatch(batch, rng: &rng)
    #expect(result.targets == fixture.targets.filter { $0 != 0 }.count)
    #expect(abs(result.loss - fixture.loss) < 2e-6, "\(name) loss \(result.loss) vs \(fixture.loss)")
    for parameter in model.parameters {
        let expected = try #require(fixture.grads[parameter.name])
        let error = mismatch(parameter.gradArray, expected)
        #expect(error < forwardTolerance, "\(name) grad \(parameter.name) off by \(error)")
    }

    // 3 optimizer steps on the same batch, from the same initial weights.
    let runs: [(String, any Optimizer, GoldenModelFixture.Trained)] = [
        ("adam", Adam(), fixture.adam),
        ("sgd", SGD(momentum: Float(fixture.sgd.momentum ?? 0)), fixture.sgd),
    ]
    for (label, optimizer, trained) in runs {
        let model = try fixture.makeModel()
        var losses: [Double] = []
        for _ in 0..<3 {
            model.arena.zeroGrads()
            losses.append(model.trainBatch(batch, rng: &rng).loss)
            optimizer.step(model.arena, learningRate: Float(trained.lr))
        }
        for (mine, theirs) in zip(losses, trained.losses) {
            #expect(abs(mine - theirs) < 2e-6, "\(name) \(label) loss \(mine) vs \(theirs)")
        }
        for parameter in model.parameters {
            let expected = try #require(trained.parameters[parameter.name])
            let error = mismatch(parameter.valueArray, expected)
            #expect(error < stepTolerance, "\(name) \(label) \(parameter.name) off by \(error) after 3 steps")
        }
    }
}

@Test func loadingAnUnknownParameterNameFails() throws {
    let model = try GoldenModelFixture.load("rnn-1.json").makeModel()
    #expect(throws: ParameterLoadError.unknownName("rnn.weight_ih_l1", known: model.parameters.map(\.name).sorted())) {
        try model.setParameterValues(["rnn.weight_ih_l1": [0]])
    }
    #expect(throws: ParameterLoadError.wrongCount("output.bias", expected: 8, found: 2)) {
        try model.setParameterValues(["output.bias": [0, 1]])
    }
    #expect(ParameterLoadError.wrongCount("output.bias", expected: 8, found: 2).description
            == "parameter 'output.bias' holds 8 values, found 2")
}
