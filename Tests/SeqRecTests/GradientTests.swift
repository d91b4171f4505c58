import Testing
@testable import SeqRec
@testable import SeqRecCore
@testable import SeqRecNumerics

// Finite-difference check of every parameter tensor (embedding included) of a 2-layer
// encoder, for each cell, on a padded batch with fixed dropout masks.
// loss = sum(outputs * R) for a fixed random R, accumulated in Double. The model runs in
// Float: central difference with h = 1e-2 (truncation error ~h^2 * f'''/6), accepted within
// 1e-4 + 2e-3 * |gradient| plus the loss's measured rounding noise over h
// (FiniteDifferenceCheck), which is what differs from one CPU or BLAS kernel to another.

private let batch = 3, steps = 5, numItems = 7, embeddingSize = 4
private let ids: [Int32] = [3, 1, 4, 1, 5,
                            2, 7, 6, 0, 0,
                            0, 5, 0, 3, 0]

// Hidden 3 exercises rows narrower than one SIMD vector; 11 a full vector plus the
// overlapping last chunk (see VectorMath.forEachChunk).
@Test(arguments: [CellKind.lstm, .gru, .rnn], [3, 11])
func encoderGradientsMatchFiniteDifferences(_ kind: CellKind, _ hiddenSize: Int) {
    var maskRng = SeededGenerator(seed: 12)
    // Sites: embedding output, between the layers, top output (output dropout).
    let masks: [[Float]] = [embeddingSize, hiddenSize, hiddenSize].map { width in
        (0..<(batch * steps * width)).map { _ in maskRng.nextUnitFloat() < 0.25 ? 0 : 1 / 0.75 }
    }
    var rng = SeededGenerator(seed: 11)
    let encoder = RecurrentEncoder(cell: kind, numItems: numItems, embeddingSize: embeddingSize,
                                   hiddenSize: hiddenSize, layers: 2, dropout: 0.25, fixedDropoutMasks: masks, rng: &rng)
    let upstream = uniformValues(batch * steps * hiddenSize, seed: 13)

    _ = runForward(encoder, ids, batch: batch, steps: steps, training: true)
    runBackward(encoder, upstream)

    let check = FiniteDifferenceCheck(step: 1e-2, absolute: 1e-4, relative: 2e-3) {
        weightedSum(runForward(encoder, ids, batch: batch, steps: steps, training: true), upstream)
    }
    let checked = encoder.parameters.reduce(0) { $0 + check.verify($1, label: "\(kind)") }
    // All four tensors of both layers plus the embedding were visited.
    #expect(checked == encoder.parameters.reduce(0) { $0 + $1.count })
    #expect(encoder.parameters.count == 9)
}
