import Foundation
import Testing
@testable import SeqRec
@testable import SeqRecCore
@testable import SeqRecNumerics

/// One fixture written by Tests/Fixtures/make_golden_cells.py (PyTorch nn.Embedding +
/// nn.LSTM/GRU/RNN weights, padded batch with carried state, fixed dropout masks).
private struct GoldenCells: Decodable {
    let cell: String
    let layers: Int
    let numItems: Int
    let embeddingSize: Int
    let hiddenSize: Int
    let batch: Int
    let steps: Int
    let dropout: Float
    let inputs: [Int32]
    let dropoutMasks: [[Float]]
    let upstream: [Float]
    let outputs: [Float]
    let lastHidden: [Float]
    let loss: Double
    let parameters: [String: [Float]]
    let gradients: [String: [Float]]
}

private let fixtureDirectory = URL(fileURLWithPath: #filePath)
    .deletingLastPathComponent().deletingLastPathComponent()
    .appendingPathComponent("Fixtures/golden-cells")

/// Tolerance: |swift - torch| <= 1e-5 + 1e-4 * |torch|. Both sides are Float32; the
/// difference comes from summation order and the SIMD activation approximations (< 4e-7).
private func expectClose(_ actual: [Float], _ expected: [Float], _ what: String) {
    #expect(actual.count == expected.count, "\(what): \(actual.count) values, expected \(expected.count)")
    var worst: Float = 0
    var worstIndex = -1
    for (index, (a, e)) in zip(actual, expected).enumerated() {
        let excess = abs(a - e) - (1e-5 + 1e-4 * abs(e))
        if excess > worst { worst = excess; worstIndex = index }
    }
    #expect(worstIndex < 0, "\(what): value \(worstIndex) is \(worstIndex < 0 ? 0 : actual[worstIndex]), PyTorch gives \(worstIndex < 0 ? 0 : expected[worstIndex])")
}

@Test(arguments: ["lstm-1", "lstm-2", "gru-1", "gru-2", "rnn-1", "rnn-2"])
func encoderMatchesPyTorchGolden(_ name: String) throws {
    let data = try Data(contentsOf: fixtureDirectory.appendingPathComponent("\(name).json"))
    let golden = try JSONDecoder().decode(GoldenCells.self, from: data)
    let kind = try #require(CellKind(rawValue: golden.cell))
    var rng = SeededGenerator(seed: 99)
    let encoder = RecurrentEncoder(cell: kind, numItems: golden.numItems, embeddingSize: golden.embeddingSize,
                                   hiddenSize: golden.hiddenSize, layers: golden.layers, dropout: golden.dropout,
                                   fixedDropoutMasks: golden.dropoutMasks.isEmpty ? nil : golden.dropoutMasks, rng: &rng)
    #expect(Set(encoder.parameters.map(\.name)) == Set(golden.parameters.keys))
    for parameter in encoder.parameters {
        let values = try #require(golden.parameters[parameter.name])
        #expect(values.count == parameter.count, "\(parameter.name) shape \(parameter.shape)")
        parameter.setValues(values)
    }

    let outputs = runForward(encoder, golden.inputs, batch: golden.batch, steps: golden.steps, training: true)
    expectClose(outputs, golden.outputs, "\(name) outputs")
    #expect(abs(weightedSum(outputs, golden.upstream) - golden.loss) < 1e-4 + 1e-4 * abs(golden.loss))
    runBackward(encoder, golden.upstream)
    for parameter in encoder.parameters {
        expectClose(parameter.gradArray, golden.gradients[parameter.name] ?? [], "\(name) d\(parameter.name)")
    }
    // Evaluation mode has no dropout, so compare lastHidden only for the dropout-free fixtures.
    if golden.dropoutMasks.isEmpty {
        let last = golden.inputs.withUnsafeBufferPointer { encoder.lastHidden(inputs: $0, batch: golden.batch, steps: golden.steps) }
        expectClose(last, golden.lastHidden, "\(name) lastHidden")
    }
}
