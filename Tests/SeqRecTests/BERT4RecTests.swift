// BERT4Rec (cell bert4rec): the cloze rows (masking, the scoring query), finite-difference
// checks of the encoder (with mask tokens in the input, with and without dropout) and of the
// whole masked loss (cloze masks, encoder, the tied output over the first V rows of the item
// table with its per-item bias), and a PyTorch float64 golden test of a tiny model
// (Tests/Fixtures/make_golden_bert4rec.py): outputs, next-item logits at the appended mask,
// the masked loss and every gradient.
//
// Finite differences as in SASRecTests: loss in Double, central difference with h = 1e-3,
// accepted within 1e-4 + 2e-3 * |gradient| plus the loss's measured rounding noise over h
// (FiniteDifferenceCheck); dropout and the masks are the same in every evaluation (the
// generator is re-seeded before each).

import Foundation
import Testing
@testable import SeqRec
@testable import SeqRecCore
@testable import SeqRecNumerics

private let numItems = 7
private let maskId = Int32(numItems + 1)

func makeBERT4Rec(width: Int, heads: Int, blocks: Int, numItems: Int, maxLength: Int, dropout: Double,
                  maskProbability: Double = 0.4, seed: UInt64) -> SequenceRecommender {
    var spec = ModelSpec()
    spec.cell = .bert4rec
    spec.hiddenSize = width
    spec.heads = heads
    spec.blocks = blocks
    spec.dropout = dropout
    spec.maskProbability = maskProbability
    var rng = SeededGenerator(seed: seed)
    return SequenceRecommender(spec: spec, task: .nextItem, loss: .crossEntropy, numItems: numItems, negatives: 0,
                               sampling: .uniform, itemCounts: [], maxLength: maxLength, rng: &rng)
}

/// Next-item windows: a full row, a short one, a single item (targets: the next items).
private let nextItemBatch = SequenceBatch(
    batchSize: 3, steps: 5,
    inputs: [3, 1, 4, 1, 5,
             2, 7, 6, 0, 0,
             5, 0, 0, 0, 0],
    targets: [1, 4, 1, 5, 6,
              7, 6, 3, 0, 0,
              2, 0, 0, 0, 0],
    ratings: [Float](repeating: 0, count: 15), users: [0, 1, 2])

@Suite struct BERT4RecClozeTests {
    /// Each row is its window's items then its last target; every masked position holds the
    /// mask token and targets the original item, every other position is the item with no target.
    @Test func maskedRowsAreTheWindowWithItsLastTargetMasked() {
        var rng = SeededGenerator(seed: 5)
        let masked = Cloze.masked(nextItemBatch, maxLength: 6, maskId: maskId, probability: 0.5, rng: &rng)
        #expect(masked.steps == 6)
        let sequences: [[Int32]] = [[3, 1, 4, 1, 5, 6], [2, 7, 6, 3, 0, 0], [5, 2, 0, 0, 0, 0]]
        var maskedCount = 0
        for b in 0..<3 {
            for t in 0..<6 {
                let (input, target, original) = (masked.inputs[b * 6 + t], masked.targets[b * 6 + t], sequences[b][t])
                if input == maskId {
                    maskedCount += 1
                    #expect(target == original && original != 0)
                } else {
                    #expect(input == original && target == 0)
                }
            }
        }
        #expect(maskedCount > 0 && maskedCount < 12, "p = 0.5 over 12 items")
        var again = SeededGenerator(seed: 5)
        #expect(Cloze.masked(nextItemBatch, maxLength: 6, maskId: maskId, probability: 0.5, rng: &again) == masked)
    }

    /// When the window fills the position table, the row drops its first item.
    @Test func fullRowsDropTheirFirstItem() {
        var rng = SeededGenerator(seed: 6)
        let masked = Cloze.masked(nextItemBatch, maxLength: 5, maskId: maskId, probability: 1e-6, rng: &rng)
        #expect(masked.steps == 5)
        #expect(Array(masked.inputs[0..<5]) == [1, 4, 1, 5, 6])
        #expect(Array(masked.inputs[5..<10]) == [2, 7, 6, 3, 0])
    }

    /// Scoring appends the mask after the items; a full row is shifted left by one.
    @Test func queryAppendsTheMaskToken() {
        let query = nextItemBatch.inputs.withUnsafeBufferPointer {
            Cloze.query(inputs: $0, batch: 3, steps: 5, maxLength: 5, maskId: maskId)
        }
        #expect(query.steps == 5)
        #expect(query.inputs == [1, 4, 1, 5, maskId,
                                 2, 7, 6, maskId, 0,
                                 5, maskId, 0, 0, 0])
        #expect(query.maskPositions == [4, 3, 1])
    }
}

@Suite struct BERT4RecGradientTests {
    /// The encoder alone (tables with the mask row, embedding norm, 2 bidirectional GELU blocks,
    /// output transform and norm) on rows holding mask tokens. The padding row of the item
    /// table gets exactly zero gradient.
    @Test(arguments: [0.0, 0.2])
    func encoderMatchesFiniteDifferences(_ dropout: Float) {
        let width = 4, batch = 3, steps = 5
        let ids: [Int32] = [3, maskId, 4, 1, 5,
                            2, 7, maskId, 0, 0,
                            maskId, 0, 0, 0, 0]
        var rng = SeededGenerator(seed: 41)
        let encoder = BERT4RecEncoder(numItems: numItems, width: width, maxLength: 6, blocks: 2, heads: 2,
                                      dropout: dropout, maskProbability: 0.2, rng: &rng)
        // Larger weights than the 0.02 init, so that every path carries a gradient worth checking.
        for (index, parameter) in encoder.parameters.enumerated() {
            let values = uniformValues(parameter.count, seed: 42 + UInt64(index))
            parameter.setValues(parameter.name.hasSuffix("norm.weight") ? values.map { 1 + 0.5 * $0 } : values.map { 0.5 * $0 })
        }
        for j in 0..<width { encoder.itemEmbedding.value[j] = 0 }
        let upstream = uniformValues(batch * steps * width, seed: 43)
        let itemWeights = upstream.enumerated().map { ids[$0.offset / width] != 0 ? $0.element : 0 }
        func forward() -> UnsafeBufferPointer<Float> {
            var masks = SeededGenerator(seed: 44)
            return ids.withUnsafeBufferPointer { encoder.forward(inputs: $0, batch: batch, steps: steps, training: true, rng: &masks) }
        }
        encoder.parameters.forEach { $0.zeroGrad() }
        let dOutputs = forward().indices.map { itemWeights[$0] }
        dOutputs.withUnsafeBufferPointer { encoder.backward(dOutputs: $0) }
        #expect(encoder.itemEmbedding.gradArray.prefix(width).allSatisfy { $0 == 0 })
        #expect(encoder.outputBias.gradArray.allSatisfy { $0 == 0 }, "the bias belongs to the output layer's scores")
        let check = FiniteDifferenceCheck(step: 1e-3, absolute: 1e-4, relative: 2e-3) {
            let out = forward()
            return itemWeights.indices.reduce(0.0) { $0 + Double(out[$1]) * Double(itemWeights[$1]) }
        }
        let checked = encoder.parameters.reduce(0) { $0 + check.verify($1, label: "bert4rec encoder dropout \(dropout)") }
        #expect(checked == encoder.parameters.reduce(0) { $0 + $1.count })
    }

    /// The whole cloze step of SequenceRecommender.trainBatch: masks drawn from the generator,
    /// the encoder, the full softmax over V = numItems + 1 classes scored with the item table's
    /// first V rows plus the output bias. The mask row of the table is scored by no class, so
    /// its gradient comes from the input side only.
    @Test(arguments: [0.0, 0.2])
    func maskedLossMatchesFiniteDifferences(_ dropout: Double) {
        let model = makeBERT4Rec(width: 4, heads: 2, blocks: 1, numItems: numItems, maxLength: 6, dropout: dropout, seed: 51)
        for (index, parameter) in model.parameters.enumerated() where parameter.name != "item_embedding.weight" {
            let values = uniformValues(parameter.count, seed: 52 + UInt64(index))
            parameter.setValues(parameter.name.hasSuffix("norm.weight") ? values.map { 1 + 0.5 * $0 } : values.map { 0.5 * $0 })
        }
        func step() -> (loss: Double, targets: Int) {
            var rng = SeededGenerator(seed: 53)
            return model.trainBatch(nextItemBatch, rng: &rng)
        }
        model.arena.zeroGrads()
        let first = step()
        #expect(first.targets > 0)
        #expect(model.parameters.map(\.name).last == "output_bias", "the tied output owns no parameter; the bias is the encoder's")
        let analytic = model.parameters.map(\.gradArray)  // each later step adds into the gradients
        let check = FiniteDifferenceCheck(step: 1e-3, absolute: 1e-4, relative: 2e-3) { step().loss }
        let checked = zip(model.parameters, analytic).reduce(0) {
            $0 + check.verify($1.1, of: PerturbableValues($1.0), label: "bert4rec masked loss dropout \(dropout)")
        }
        #expect(checked == model.parameterCount)
    }
}

// MARK: - PyTorch golden

struct GoldenBERT4RecFixture: Decodable {
    struct Values: Decodable { let shape: [Int]; let data: [Float] }
    let heads: Int, blocks: Int, batch: Int, steps: Int, width: Int, items: Int, max_length: Int
    let history: [Int32], inputs: [Int32], targets: [Int32]
    let parameters: [String: Values]
    let outputs: [Float]
    let next_logits: [Float]
    let loss: Double
    let grads: [String: [Float]]

    static func load(_ name: String) throws -> GoldenBERT4RecFixture {
        let url = HeadTestSupport.fixtures.deletingLastPathComponent().appendingPathComponent("golden-bert4rec/\(name).json")
        return try JSONDecoder().decode(GoldenBERT4RecFixture.self, from: Data(contentsOf: url))
    }
}

/// As |a - b| / (1 + |b|): outputs, logits and gradients within 1e-5, the loss within 1e-5
/// (Float32 rounding through two blocks and six layer norms against float64).
private let bert4recTolerance: Float = 1e-5

/// The fixture's masked batch through the encoder and the tied output (what trainBatch does
/// after drawing the masks): outputs at every non-padding position, the loss, every gradient;
/// and the next-item logits of the history rows, scored at an appended mask token.
@Test(arguments: ["bert4rec-1", "bert4rec-2"])
func bert4recMatchesPyTorchGolden(_ name: String) throws {
    let fixture = try GoldenBERT4RecFixture.load(name)
    let model = makeBERT4Rec(width: fixture.width, heads: fixture.heads, blocks: fixture.blocks, numItems: fixture.items,
                             maxLength: fixture.max_length, dropout: 0, seed: 1)
    #expect(Set(model.parameters.map(\.name)) == Set(fixture.parameters.keys))
    try model.setParameterValues(fixture.parameters.mapValues(\.data))
    let (b, t, d) = (fixture.batch, fixture.steps, fixture.width)
    func mismatch(_ a: [Float], _ e: [Float]) -> Float { zip(a, e).map { abs($0 - $1) / (1 + abs($1)) }.max() ?? 0 }

    let output = try #require(model.head.nextItemOutput)
    model.arena.zeroGrads()
    var rng = SeededGenerator(seed: 1)
    let outputs = fixture.inputs.withUnsafeBufferPointer {
        Array(model.encoder.forward(inputs: $0, batch: b, steps: t, training: true, rng: &rng))
    }
    var worst: Float = 0
    for row in 0..<(b * t) where fixture.inputs[row] != 0 {
        worst = max(worst, mismatch(Array(outputs[(row * d)..<((row + 1) * d)]), Array(fixture.outputs[(row * d)..<((row + 1) * d)])))
    }
    #expect(worst < bert4recTolerance, "\(name) outputs off by \(worst)")
    var dHidden = [Float](repeating: 0, count: b * t * d)
    let result = outputs.withUnsafeBufferPointer { h in fixture.targets.withUnsafeBufferPointer { targets in
        dHidden.withUnsafeMutableBufferPointer { output.lossAndBackward(hidden: h.baseAddress!, targets: targets, dHidden: $0.baseAddress!) }
    }}
    dHidden.withUnsafeBufferPointer { model.encoder.backward(dOutputs: $0) }
    #expect(result.targets == fixture.targets.filter { $0 != 0 }.count)
    #expect(abs(result.loss - fixture.loss) < 1e-5, "\(name) loss \(result.loss) vs \(fixture.loss)")
    var worstGradient: Float = 0
    for parameter in model.parameters {
        let error = mismatch(parameter.gradArray, try #require(fixture.grads[parameter.name]))
        worstGradient = max(worstGradient, error)
        #expect(error < bert4recTolerance, "\(name) grad \(parameter.name) off by \(error)")
    }

    let history = SequenceBatch(batchSize: b, steps: t, inputs: fixture.history, targets: [Int32](repeating: 0, count: b * t),
                                ratings: [Float](repeating: 0, count: b * t), users: (0..<Int32(b)).map { $0 })
    let logitError = mismatch(model.scoreNext(history), fixture.next_logits)
    #expect(model.scoreNext(history).count == fixture.next_logits.count)
    #expect(logitError < bert4recTolerance, "\(name) next-item logits off by \(logitError)")
    print("golden \(name): outputs \(worst), logits \(logitError), loss \(abs(result.loss - fixture.loss)), gradients \(worstGradient)")
}
