// SASRec (cell sasrec): finite-difference checks of every new operation (layer norm, masked
// multi-head attention, feed-forward, the whole encoder with its item and position tables,
// the tied output), PyTorch golden tests of a tiny model (Tests/Fixtures/make_golden_sasrec.py;
// with bce and sampled-softmax: make_golden_sasrec_losses.py), the losses it accepts, and
// data-parallel training (same gradient with 2 threads; bitwise reproducible, with the
// sampled losses too). The bce and tied sampled-softmax heads' finite-difference tests are in
// HeadBinaryCrossEntropyTests.
//
// Finite differences as in GradientTests: the layers run in Float, loss = sum(out * R) in
// Double, central difference with h = 1e-2 (the whole encoder: 1e-3), accepted within
// 1e-4 + 2e-3 * |gradient| plus the loss's measured rounding noise over h
// (FiniteDifferenceCheck). Dropout is included by re-seeding the generator before every
// forward (the same masks each time).

import Foundation
import Testing
@testable import SeqRec
@testable import SeqRecCore
@testable import SeqRecNumerics

private let batch = 3, steps = 5, numItems = 7
// Left-aligned rows with padding at the end (a full row, a short one, a single item).
private let ids: [Int32] = [3, 1, 4, 1, 5,
                            2, 7, 6, 0, 0,
                            5, 0, 0, 0, 0]

private func weighted(_ values: UnsafePointer<Float>, _ weights: [Float]) -> Double {
    weights.indices.reduce(0.0) { $0 + Double(values[$1]) * Double(weights[$1]) }
}

/// Checks every element of `parameters` and of `input` (when given) against central differences
/// (FiniteDifferenceCheck: the bound includes the loss's own measured rounding noise).
private func checkGradients(_ label: String, parameters: [Parameter], input: (values: UnsafeMutablePointer<Float>, grads: [Float])? = nil,
                            eps: Float = 1e-2, loss: @escaping () -> Double) -> Int {
    let check = FiniteDifferenceCheck(step: eps, absolute: 1e-4, relative: 2e-3, loss: loss)
    var checked = parameters.reduce(0) { $0 + check.verify($1, label: label) }
    if let input {
        checked += check.verify(input.grads, of: PerturbableValues(name: "input", count: input.grads.count,
                                                                   get: { input.values[$0] }, set: { input.values[$0] = $1 }),
                                label: label)
    }
    return checked
}

@Suite struct SASRecGradientTests {
    @Test func layerNormMatchesFiniteDifferences() {
        let width = 11, rows = 4
        let norm = LayerNorm(name: "norm", width: width)
        norm.weight.setValues(uniformValues(width, seed: 1).map { 1 + $0 })
        norm.bias.setValues(uniformValues(width, seed: 2))
        let x = FloatBuffer(count: rows * width)
        for (i, v) in uniformValues(rows * width, seed: 3).enumerated() { x.pointer[i] = 2 * v }
        let upstream = uniformValues(rows * width, seed: 4)
        let dx = FloatBuffer(count: rows * width)
        _ = norm.forward(x.pointer, rows: rows)
        upstream.withUnsafeBufferPointer { norm.backward(dOutput: $0.baseAddress!, addingInto: dx.pointer) }
        let checked = checkGradients("layer norm", parameters: norm.parameters, input: (x.pointer, Array(dx.buffer))) {
            weighted(norm.forward(x.pointer, rows: rows), upstream)
        }
        #expect(checked == 2 * width + rows * width)
    }

    @Test(arguments: [1, 2], [0.0, 0.3])
    func attentionMatchesFiniteDifferences(_ heads: Int, _ dropout: Float) {
        let width = 6
        var rng = SeededGenerator(seed: 5)
        let attention = MultiHeadSelfAttention(name: "attention", width: width, heads: heads, dropout: dropout, rng: &rng)
        attention.inBias.setValues(uniformValues(3 * width, seed: 6))
        attention.outBias.setValues(uniformValues(width, seed: 7))
        let isItem = ids.map { $0 != 0 }
        let x = FloatBuffer(count: batch * steps * width)
        for (i, v) in uniformValues(batch * steps * width, seed: 8).enumerated() { x.pointer[i] = v }
        let upstream = uniformValues(batch * steps * width, seed: 9)
        let dx = FloatBuffer(count: batch * steps * width)
        func forward() -> UnsafePointer<Float> {
            var masks = SeededGenerator(seed: 10)
            return isItem.withUnsafeBufferPointer {
                attention.forward(x.pointer, isItem: $0.baseAddress!, batch: batch, steps: steps, training: true, rng: &masks)
            }
        }
        let output = forward()
        // An item never sees padding or the future: item outputs do not depend on later inputs.
        let before = Array(UnsafeBufferPointer(start: output, count: width))
        x.pointer[1 * width] += 1  // row 0, step 1
        let after = Array(UnsafeBufferPointer(start: forward(), count: width))
        x.pointer[1 * width] -= 1
        #expect(before == after, "step 0 attends to step 1")
        _ = forward()
        upstream.withUnsafeBufferPointer { attention.backward(input: x.pointer, dOutput: $0.baseAddress!, addingInto: dx.pointer) }
        let checked = checkGradients("attention heads \(heads) dropout \(dropout)", parameters: attention.parameters,
                                     input: (x.pointer, Array(dx.buffer))) { weighted(forward(), upstream) }
        #expect(checked == 4 * width * width + 4 * width + batch * steps * width)
    }

    @Test(arguments: [0.0, 0.3])
    func feedForwardMatchesFiniteDifferences(_ dropout: Float) {
        let width = 9, rows = 5
        var rng = SeededGenerator(seed: 15)
        let feedForward = PointwiseFeedForward(name: "ff", width: width, dropout: dropout, rng: &rng)
        let x = FloatBuffer(count: rows * width)
        for (i, v) in uniformValues(rows * width, seed: 16).enumerated() { x.pointer[i] = v }
        let upstream = uniformValues(rows * width, seed: 17)
        let dx = FloatBuffer(count: rows * width)
        func forward() -> UnsafePointer<Float> {
            var masks = SeededGenerator(seed: 18)
            return feedForward.forward(x.pointer, rows: rows, training: true, rng: &masks)
        }
        _ = forward()
        upstream.withUnsafeBufferPointer { feedForward.backward(input: x.pointer, dOutput: $0.baseAddress!, addingInto: dx.pointer) }
        let checked = checkGradients("feed-forward dropout \(dropout)", parameters: feedForward.parameters,
                                     input: (x.pointer, Array(dx.buffer))) { weighted(forward(), upstream) }
        #expect(checked == 2 * width * width + 2 * width + rows * width)
    }

    /// The whole encoder: item and position tables, 2 blocks, final norm, both placements,
    /// with dropout. Padding rows of both tables get exactly zero gradient.
    @Test(arguments: [LayerNormPlacement.pre, .post], [0.0, 0.2])
    func encoderMatchesFiniteDifferences(_ placement: LayerNormPlacement, _ dropout: Float) {
        let width = 4, maxLength = 6
        var rng = SeededGenerator(seed: 21)
        let encoder = SASRecEncoder(numItems: numItems, width: width, maxLength: maxLength, blocks: 2, heads: 2,
                                         dropout: dropout, placement: placement, rng: &rng)
        for parameter in encoder.parameters where parameter.name.contains("norm") || parameter.name.contains("bias") {
            parameter.setValues(uniformValues(parameter.count, seed: 22).map { parameter.name.hasSuffix("norm.weight") ? 1 + $0 : $0 })
        }
        let upstream = uniformValues(batch * steps * width, seed: 23)
        func forward() -> UnsafeBufferPointer<Float> {
            var masks = SeededGenerator(seed: 24)
            return ids.withUnsafeBufferPointer {
                encoder.forward(inputs: $0, batch: batch, steps: steps, training: true, rng: &masks)
            }
        }
        // The loss reads item positions only (what the head does).
        let itemWeights = upstream.enumerated().map { ids[$0.offset / width] != 0 ? $0.element : 0 }
        let dOutputs = forward().indices.map { itemWeights[$0] }
        dOutputs.withUnsafeBufferPointer { encoder.backward(dOutputs: $0) }
        #expect(encoder.itemEmbedding.gradArray.prefix(width).allSatisfy { $0 == 0 })
        #expect(encoder.positionEmbedding.gradArray.prefix(width).allSatisfy { $0 == 0 })
        // eps 1e-3: with 1e-2 a ReLU input of the first block crosses 0 (a kink, not an error).
        let checked = checkGradients("encoder \(placement) dropout \(dropout)", parameters: encoder.parameters, eps: 1e-3) {
            weighted(forward().baseAddress!, itemWeights)
        }
        #expect(checked == encoder.parameters.reduce(0) { $0 + $1.count })
    }

    @Test func tiedOutputMatchesFiniteDifferences() {
        let width = 5, rows = 6
        var rng = SeededGenerator(seed: 31)
        let table = Parameter(name: "item_embedding.weight", shape: [numItems + 1, width],
                              values: Linear.xavierNormal(rows: numItems + 1, columns: width, rng: &rng))
        let output = SoftmaxOutputLayer(tiedTo: table)
        var hidden = uniformValues(rows * width, seed: 32)
        let targets: [Int32] = [3, 0, 7, 1, 0, 2]
        var dHidden = [Float](repeating: 0, count: rows * width)
        func loss() -> (loss: Double, targets: Int) {
            var scratch = [Float](repeating: 0, count: rows * width)
            return hidden.withUnsafeBufferPointer { h in targets.withUnsafeBufferPointer { t in
                scratch.withUnsafeMutableBufferPointer { output.lossAndBackward(hidden: h.baseAddress!, targets: t, dHidden: $0.baseAddress!) }
            }}
        }
        let first = hidden.withUnsafeBufferPointer { h in targets.withUnsafeBufferPointer { t in
            dHidden.withUnsafeMutableBufferPointer { output.lossAndBackward(hidden: h.baseAddress!, targets: t, dHidden: $0.baseAddress!) }
        }}
        #expect(first.targets == 4)
        let check = FiniteDifferenceCheck(step: 1e-2, absolute: 1e-4, relative: 2e-3) { loss().loss }
        check.verify(table, label: "tied output")
        check.verify(dHidden, of: PerturbableValues(name: "hidden", count: hidden.count, get: { hidden[$0] }, set: { hidden[$0] = $1 }),
                     label: "tied output")
        #expect(dHidden[width..<(2 * width)].allSatisfy { $0 == 0 }, "a row without target gets no gradient")
    }
}

// MARK: - PyTorch golden

struct GoldenSASRecFixture: Decodable {
    struct Values: Decodable { let shape: [Int]; let data: [Float] }
    let norm: String, heads: Int, blocks: Int, batch: Int, steps: Int, width: Int, items: Int, max_length: Int
    let inputs: [Int32], targets: [Int32], lengths: [Int]
    let parameters: [String: Values]
    let outputs: [Float]
    let next_logits: [Float]
    let loss: Double
    let grads: [String: [Float]]
    /// The sampled losses' fixtures (make_golden_sasrec_losses.py): "bce" or "sampled-softmax", and the negatives.
    let loss_name: String?
    let negatives: [Int32]?

    static func load(_ name: String) throws -> GoldenSASRecFixture {
        let url = HeadTestSupport.fixtures.deletingLastPathComponent().appendingPathComponent("golden-sasrec/\(name).json")
        return try JSONDecoder().decode(GoldenSASRecFixture.self, from: Data(contentsOf: url))
    }
}

private func mismatch(_ a: [Float], _ b: [Float]) -> Float {
    precondition(a.count == b.count, "\(a.count) vs \(b.count) values")
    return zip(a, b).map { abs($0 - $1) / (1 + abs($1)) }.max() ?? 0
}

func makeSASRec(width: Int, heads: Int, blocks: Int, norm: LayerNormPlacement, numItems: Int, maxLength: Int,
                dropout: Double, seed: UInt64, loss: LossKind = .crossEntropy, negatives: Int = 0) -> SequenceRecommender {
    var spec = ModelSpec()
    spec.cell = .sasrec
    spec.hiddenSize = width
    spec.heads = heads
    spec.blocks = blocks
    spec.norm = norm
    spec.dropout = dropout
    var rng = SeededGenerator(seed: seed)
    return SequenceRecommender(spec: spec, task: .nextItem, loss: loss, numItems: numItems, negatives: negatives,
                               sampling: .uniform, itemCounts: [], maxLength: maxLength, rng: &rng)
}

/// Against float64 PyTorch, as |a - b| / (1 + |b|): outputs, logits and gradients within
/// 1e-5, the loss within 1e-5 (measured: at most 8.8e-7, 3.7e-7 and 9e-8; Float32 rounding
/// through two blocks and five layer norms).
private let sasrecTolerance: Float = 1e-5

@Test(arguments: ["sasrec-pre-1", "sasrec-pre-2", "sasrec-post-1", "sasrec-post-2"])
func sasrecMatchesPyTorchGolden(_ name: String) throws {
    let fixture = try GoldenSASRecFixture.load(name)
    let model = makeSASRec(width: fixture.width, heads: fixture.heads, blocks: fixture.blocks,
                           norm: try #require(LayerNormPlacement(rawValue: fixture.norm)), numItems: fixture.items,
                           maxLength: fixture.max_length, dropout: 0, seed: 1)
    try expectGoldenMatch(model, fixture, name) { batch, rng in model.trainBatch(batch, rng: &rng) }
}

/// The sampled losses over the tied item table (make_golden_sasrec_losses.py), with the
/// fixture's negatives: the same forward, the loss and every gradient (the item table's from
/// the encoder, the targets and the negatives), same tolerance.
@Test(arguments: ["sasrec-bce-pre-1", "sasrec-bce-post-2", "sasrec-sampled-softmax-pre-2"])
func sasrecSampledLossesMatchPyTorchGolden(_ name: String) throws {
    let fixture = try GoldenSASRecFixture.load(name)
    let loss = try #require(fixture.loss_name.flatMap(LossKind.init(rawValue:)))
    let negatives = try #require(fixture.negatives)
    let model = makeSASRec(width: fixture.width, heads: fixture.heads, blocks: fixture.blocks,
                           norm: try #require(LayerNormPlacement(rawValue: fixture.norm)), numItems: fixture.items,
                           maxLength: fixture.max_length, dropout: 0, seed: 1, loss: loss, negatives: negatives.count)
    #expect(model.parameters.map(\.name) == makeSASRec(width: 4, heads: 1, blocks: 2, norm: .pre, numItems: 9, maxLength: 6, dropout: 0,
                                                         seed: 1).parameters.map(\.name), "no head parameters: the output is tied")
    try expectGoldenMatch(model, fixture, name) { batch, rng in model.trainBatch(batch, negatives: negatives, rng: &rng) }
}

/// Loads the fixture's weights into `model`, then checks the outputs at every item, the
/// next-item logits, the loss of `train` and every gradient against the fixture.
private func expectGoldenMatch(_ model: SequenceRecommender, _ fixture: GoldenSASRecFixture, _ name: String,
                               train: (SequenceBatch, inout SeededGenerator) -> (loss: Double, targets: Int)) throws {
    #expect(Set(model.parameters.map(\.name)) == Set(fixture.parameters.keys))
    try model.setParameterValues(fixture.parameters.mapValues(\.data))
    let batch = SequenceBatch(batchSize: fixture.batch, steps: fixture.steps, inputs: fixture.inputs, targets: fixture.targets,
                              ratings: [Float](repeating: 0, count: fixture.inputs.count), users: (0..<Int32(fixture.batch)).map { $0 })
    var rng = SeededGenerator(seed: 1)
    let outputs = fixture.inputs.withUnsafeBufferPointer {
        Array(model.encoder.forward(inputs: $0, batch: fixture.batch, steps: fixture.steps, training: false, rng: &rng))
    }
    var worst: Float = 0
    let d = fixture.width
    for b in 0..<fixture.batch {
        for t in 0..<fixture.lengths[b] {
            let row = (b * fixture.steps + t) * d
            worst = max(worst, mismatch(Array(outputs[row..<(row + d)]), Array(fixture.outputs[row..<(row + d)])))
        }
    }
    #expect(worst < sasrecTolerance, "\(name) outputs off by \(worst)")
    let logitError = mismatch(model.scoreNext(batch), fixture.next_logits)
    #expect(logitError < sasrecTolerance, "\(name) next-item logits off by \(logitError)")

    model.arena.zeroGrads()
    let result = train(batch, &rng)
    #expect(result.targets == fixture.targets.filter { $0 != 0 }.count)
    #expect(abs(result.loss - fixture.loss) < 1e-5, "\(name) loss \(result.loss) vs \(fixture.loss)")
    var worstGradient: Float = 0
    for parameter in model.parameters {
        let expected = try #require(fixture.grads[parameter.name])
        let error = mismatch(parameter.gradArray, expected)
        worstGradient = max(worstGradient, error)
        #expect(error < sasrecTolerance, "\(name) grad \(parameter.name) off by \(error)")
    }
    print("golden \(name): outputs \(worst), logits \(logitError), loss \(abs(result.loss - fixture.loss)), gradients \(worstGradient)")
}

// MARK: - Config

/// sasrec trains with every next-item loss; a rating task is still an error for it.
@Test(arguments: ["cross-entropy", "sampled-softmax", "bce"])
func sasrecAcceptsEveryNextItemLoss(_ loss: String) throws {
    let spec = try ConfigLoader.load(bytes: Array("model: {cell: sasrec}\ntraining: {loss: \(loss)}\n".utf8), displayName: "sasrec.yaml")
    #expect(spec.training.loss.rawValue == loss)
    try SequenceRecommender.checkCompatible(cell: .sasrec, task: .nextItem, loss: spec.training.loss)
    #expect(throws: ModelConfigurationError(task: .rating, loss: .mse, cell: .sasrec)) {
        try SequenceRecommender.checkCompatible(cell: .sasrec, task: .rating, loss: .mse)
    }
}

// MARK: - Data-parallel training

private func raggedBatch(rows: Int, steps: Int, seed: UInt64) -> SequenceBatch {
    var rng = SeededGenerator(seed: seed)
    var inputs: [Int32] = [], targets: [Int32] = []
    for b in 0..<rows {
        let length = max(1, steps - (b * 3) % steps)
        for t in 0..<steps {
            inputs.append(t < length ? Int32(rng.nextInt(below: 9) + 1) : 0)
            targets.append(t < length ? Int32(rng.nextInt(below: 9) + 1) : 0)
        }
    }
    return SequenceBatch(batchSize: rows, steps: steps, inputs: inputs, targets: targets,
                         ratings: [Float](repeating: 0, count: rows * steps), users: (0..<Int32(rows)).map { $0 })
}

@Suite struct SASRecTrainingTests {
    @Test func twoThreadGradientEqualsSingleThreaded() {
        let batch = raggedBatch(rows: 6, steps: 8, seed: 41)
        let single = makeSASRec(width: 8, heads: 2, blocks: 2, norm: .pre, numItems: 9, maxLength: 8, dropout: 0, seed: 3)
        let reference = DataParallelStep(model: single, threads: 1, seed: 1).run(batch)
        let parallel = makeSASRec(width: 8, heads: 2, blocks: 2, norm: .pre, numItems: 9, maxLength: 8, dropout: 0, seed: 3)
        let result = DataParallelStep(model: parallel, threads: 2, seed: 1).run(batch)
        #expect(result.targets == reference.targets)
        #expect(abs(result.loss - reference.loss) < 1e-6 * abs(reference.loss))
        for (a, b) in zip(single.parameters, parallel.parameters) {
            let scale = a.gradArray.map(abs).max() ?? 0
            let difference = zip(a.gradArray, b.gradArray).map { abs($0 - $1) }.max() ?? 0
            #expect(difference <= 1e-5 * max(scale, 1e-3), "\(a.name) with 2 threads differs by \(difference)")
        }
    }

    /// Same seed, same thread count: bitwise-identical weights after Adam steps with dropout.
    @Test(arguments: [LayerNormPlacement.pre, .post])
    func twoThreadsAreBitwiseReproducible(_ norm: LayerNormPlacement) {
        func weights() -> [[Float]] {
            let trained = makeSASRec(width: 8, heads: 2, blocks: 2, norm: norm, numItems: 9, maxLength: 8, dropout: 0.3, seed: 4)
            let step = DataParallelStep(model: trained, threads: 2, seed: 9)
            let optimizer = Adam()
            for index in 0..<4 {
                _ = step.run(raggedBatch(rows: 6, steps: 8, seed: UInt64(50 + index)))
                step.update(with: optimizer, learningRate: 0.01)
            }
            return trained.parameters.map(\.valueArray)
        }
        let first = weights()
        #expect(first == weights())
        #expect(first != makeSASRec(width: 8, heads: 2, blocks: 2, norm: norm, numItems: 9, maxLength: 8, dropout: 0.3, seed: 4)
            .parameters.map(\.valueArray))
    }

    /// The sampled losses, whose negatives come from each worker's stream: same seed and
    /// thread count give bitwise the same loss history and weights; another seed another one.
    @Test(arguments: [LossKind.binaryCrossEntropy, .sampledSoftmax, .generalizedBinaryCrossEntropy], [1, 2])
    func sampledLossesAreBitwiseReproducible(_ loss: LossKind, _ threads: Int) {
        func history(seed: UInt64) -> (losses: [Double], weights: [[Float]]) {
            let trained = makeSASRec(width: 8, heads: 2, blocks: 2, norm: .pre, numItems: 9, maxLength: 8, dropout: 0.3, seed: 4,
                                     loss: loss, negatives: 4)
            let step = DataParallelStep(model: trained, threads: threads, seed: seed)
            let optimizer = Adam()
            let losses = (0..<5).map { index in
                let result = step.run(raggedBatch(rows: 6, steps: 8, seed: UInt64(60 + index)))
                step.update(with: optimizer, learningRate: 0.01)
                return result.loss
            }
            return (losses, trained.parameters.map(\.valueArray))
        }
        let first = history(seed: 9), second = history(seed: 9)
        #expect(first.losses == second.losses && first.weights == second.weights, "\(loss), \(threads) threads")
        #expect(first.losses.allSatisfy { $0.isFinite && $0 > 0 })
        #expect(history(seed: 10).losses != first.losses, "the negatives (and dropout) follow the seed")
    }

    /// Without dropout, the 2-thread gradient is the 1-thread one when both see the same
    /// negatives (each worker's, in row order): the shards' means weighted by their targets.
    @Test func twoThreadBCEGradientIsTheWeightedMeanOfTheShards() {
        let batch = raggedBatch(rows: 6, steps: 8, seed: 43)
        let parallel = makeSASRec(width: 8, heads: 2, blocks: 2, norm: .post, numItems: 9, maxLength: 8, dropout: 0, seed: 3,
                                  loss: .binaryCrossEntropy)
        let step = DataParallelStep(model: parallel, threads: 2, seed: 1)
        var streams = step.dropoutStreams
        let result = step.run(batch)
        // Replay each shard's negatives from a copy of its worker's stream, all in one batch.
        guard case .binaryCrossEntropy(let head) = parallel.head else { Issue.record("not a bce head"); return }
        var negatives: [Int32] = []
        for (worker, rows) in DataParallelStep.shardRows(of: batch, into: 2).enumerated() {
            for target in batch.rows(rows).targets where target != 0 {
                var negative = head.sampler.sample(&streams[worker])
                while negative == target { negative = head.sampler.sample(&streams[worker]) }
                negatives.append(negative)
            }
        }
        let single = makeSASRec(width: 8, heads: 2, blocks: 2, norm: .post, numItems: 9, maxLength: 8, dropout: 0, seed: 3,
                                loss: .binaryCrossEntropy)
        var unused = SeededGenerator(seed: 0)
        let reference = single.trainBatch(batch, negatives: negatives, rng: &unused)
        #expect(result.targets == reference.targets)
        #expect(abs(result.loss - reference.loss) < 1e-6 * abs(reference.loss))
        for (a, b) in zip(single.parameters, parallel.parameters) {
            let scale = a.gradArray.map(abs).max() ?? 0
            let difference = zip(a.gradArray, b.gradArray).map { abs($0 - $1) }.max() ?? 0
            #expect(difference <= 1e-5 * max(scale, 1e-3), "\(a.name) with 2 threads differs by \(difference)")
        }
    }

    @Test func replicaCopiesValues() {
        let model = makeSASRec(width: 8, heads: 2, blocks: 1, norm: .post, numItems: 9, maxLength: 8, dropout: 0.1, seed: 6)
        let replica = model.makeReplica()
        #expect(replica.parameters.map(\.valueArray) == model.parameters.map(\.valueArray))
        #expect(replica.arena.hasSameLayout(as: model.arena))
    }
}
