import Testing
@testable import SeqRec
@testable import SeqRecCore
@testable import SeqRecNumerics

private func makeEncoder(_ kind: CellKind, layers: Int = 2, dropout: Float = 0, seed: UInt64 = 5,
                         allowsTableLookup: Bool = true) -> RecurrentEncoder {
    var rng = SeededGenerator(seed: seed)
    return RecurrentEncoder(cell: kind, numItems: 9, embeddingSize: 5, hiddenSize: 11, layers: layers, dropout: dropout,
                            allowsTableLookup: allowsTableLookup, rng: &rng)
}

private func slice(_ values: [Float], row: Int, step: Int, steps: Int, width: Int) -> [Float] {
    Array(values[((row * steps + step) * width)..<((row * steps + step + 1) * width)])
}

private func expectNear(_ a: [Float], _ b: [Float], _ what: String, tolerance: Float = 1e-5) {
    #expect(a.count == b.count)
    let worst = zip(a, b).map { abs($0 - $1) }.max() ?? 0
    #expect(worst <= tolerance, "\(what): max difference \(worst)")
}

@Test func parametersHavePyTorchNamesShapesAndInitRanges() {
    let encoder = makeEncoder(.lstm)
    #expect(encoder.parameters.map(\.name) == [
        "embedding.weight",
        "rnn.weight_ih_l0", "rnn.weight_hh_l0", "rnn.bias_ih_l0", "rnn.bias_hh_l0",
        "rnn.weight_ih_l1", "rnn.weight_hh_l1", "rnn.bias_ih_l1", "rnn.bias_hh_l1",
    ])
    #expect(encoder.parameters.map(\.shape) == [[10, 5], [44, 5], [44, 11], [44], [44], [44, 11], [44, 11], [44], [44]])
    #expect(makeEncoder(.gru).parameters[1].shape == [33, 5])
    #expect(makeEncoder(.rnn).parameters[2].shape == [11, 11])
    let bound = 1 / Float(11).squareRoot()
    for parameter in encoder.parameters.dropFirst() {
        #expect(parameter.valueArray.allSatisfy { abs($0) <= bound }, "\(parameter.name) outside U(-1/sqrt(H), 1/sqrt(H))")
    }
    let embedding = encoder.parameters[0].valueArray
    #expect(embedding[0..<5].allSatisfy { $0 == 0 }, "padding row is not zero")
    #expect(embedding[5...].contains { abs($0) > 1 }, "embedding does not look N(0, 1)")
}

@Test(arguments: [CellKind.lstm, .gru, .rnn])
func paddedStepsCarryStateAndOutput(_ kind: CellKind) {
    let encoder = makeEncoder(kind)
    let ids: [Int32] = [3, 0, 4, 0, 0,
                        0, 0, 2, 5, 1]
    let h = encoder.hiddenSize
    let outputs = runForward(encoder, ids, batch: 2, steps: 5, training: false)
    func out(_ row: Int, _ step: Int) -> [Float] { slice(outputs, row: row, step: step, steps: 5, width: h) }
    #expect(out(0, 1) == out(0, 0))
    #expect(out(0, 3) == out(0, 2))
    #expect(out(0, 4) == out(0, 2))
    #expect(out(0, 2) != out(0, 0))
    #expect(out(1, 0) == [Float](repeating: 0, count: h))
    #expect(out(1, 1) == [Float](repeating: 0, count: h))
    #expect(out(1, 2) != [Float](repeating: 0, count: h))
    // The evaluation forward adds the same terms in another order (EvaluationForwardTests).
    let last = ids.withUnsafeBufferPointer { encoder.lastHidden(inputs: $0, batch: 2, steps: 5) }
    expectNear(Array(last[0..<h]), out(0, 2), "\(kind) row 0 at its last item")
    expectNear(Array(last[h...]), out(1, 4), "\(kind) row 1 at its last item")
}

/// Right padding behaves exactly like a shorter sequence: the gradient that arrives at a
/// padded step's output lands on the carried state, and nothing else flows through the step.
@Test(arguments: [CellKind.lstm, .gru, .rnn])
func paddingIsEquivalentToTruncation(_ kind: CellKind) {
    let padded = makeEncoder(kind)
    let truncated = makeEncoder(kind)
    let h = padded.hiddenSize
    let upstream = uniformValues(5 * h, seed: 3)
    let paddedOut = runForward(padded, [3, 1, 4, 0, 0], batch: 1, steps: 5, training: false)
    runBackward(padded, upstream)
    let truncatedOut = runForward(truncated, [3, 1, 4], batch: 1, steps: 3, training: false)
    var folded = Array(upstream[0..<(3 * h)])
    for j in 0..<h { folded[2 * h + j] += upstream[3 * h + j] + upstream[4 * h + j] }
    runBackward(truncated, folded)
    expectNear(Array(paddedOut[0..<(3 * h)]), truncatedOut, "\(kind) outputs")
    for (a, b) in zip(padded.parameters, truncated.parameters) {
        expectNear(a.gradArray, b.gradArray, "\(kind) d\(a.name)")
    }
}

@Test(arguments: [CellKind.lstm, .gru, .rnn])
func paddingRowGetsNoEmbeddingGradient(_ kind: CellKind) {
    let encoder = makeEncoder(kind, dropout: 0.2)
    let ids: [Int32] = [0, 3, 0, 4, 0, 0, 0, 9, 1, 0]
    _ = runForward(encoder, ids, batch: 2, steps: 5, training: true)
    runBackward(encoder, uniformValues(10 * encoder.hiddenSize, seed: 4))
    let grad = encoder.parameters[0].gradArray
    #expect(grad[0..<5].allSatisfy { $0 == 0 })
    #expect(grad[15..<20].contains { $0 != 0 }, "a used row (id 3) got no gradient")
    #expect(grad[10..<15].allSatisfy { $0 == 0 }, "an unused row (id 2) got gradient")
}

@Test(arguments: [CellKind.lstm, .gru, .rnn])
func sameSeedGivesBitwiseIdenticalOutputsAndGradients(_ kind: CellKind) {
    let ids: [Int32] = (0..<24).map { Int32(($0 * 7) % 10) }
    func run(dropoutSeed: UInt64) -> ([Float], [[Float]]) {
        let encoder = makeEncoder(kind, dropout: 0.3, seed: 21)
        let outputs = runForward(encoder, ids, batch: 4, steps: 6, training: true, seed: dropoutSeed)
        runBackward(encoder, uniformValues(outputs.count, seed: 8))
        return (outputs, encoder.parameters.map(\.gradArray))
    }
    let first = run(dropoutSeed: 1), second = run(dropoutSeed: 1), other = run(dropoutSeed: 2)
    #expect(first.0 == second.0)
    #expect(first.1 == second.1)
    #expect(first.0 != other.0, "dropout did not depend on the generator")
}

/// Workspaces are reused across calls; a different batch shape in between must not leak
/// stale values into the next call.
@Test(arguments: [CellKind.lstm, .gru, .rnn])
func workspacesReusedAcrossShapesGiveIdenticalResults(_ kind: CellKind) {
    let encoder = makeEncoder(kind)
    let ids: [Int32] = [1, 2, 3, 0, 4, 5, 6, 7, 8, 9, 0, 0, 2, 2, 2]
    let upstream = uniformValues(15 * encoder.hiddenSize, seed: 9)
    let first = runForward(encoder, ids, batch: 3, steps: 5, training: false)
    runBackward(encoder, upstream)
    let firstGrads = encoder.parameters.map(\.gradArray)
    let other: [Int32] = (0..<28).map { Int32($0 % 10) }
    _ = runForward(encoder, other, batch: 2, steps: 14, training: false)
    runBackward(encoder, uniformValues(28 * encoder.hiddenSize, seed: 10))
    zeroGrads(encoder)
    let again = runForward(encoder, ids, batch: 3, steps: 5, training: false)
    runBackward(encoder, upstream)
    #expect(first == again)
    #expect(firstGrads == encoder.parameters.map(\.gradArray))
}

/// Without embedding dropout, layer 0 projects the embedding table once and sums gradients
/// per item; it must agree with the per-position path used under dropout.
@Test(arguments: [CellKind.lstm, .gru, .rnn])
func tableLookupPathMatchesPerPositionPath(_ kind: CellKind) {
    let ids: [Int32] = (0..<36).map { Int32(($0 * 5 + $0 / 7) % 10) }  // includes padding and repeats
    var results: [([Float], [[Float]])] = []
    for allowsLookup in [true, false] {
        let encoder = makeEncoder(kind, allowsTableLookup: allowsLookup)
        let outputs = runForward(encoder, ids, batch: 4, steps: 9, training: true)
        runBackward(encoder, uniformValues(outputs.count, seed: 6))
        results.append((outputs, encoder.parameters.map(\.gradArray)))
    }
    expectNear(results[0].0, results[1].0, "\(kind) outputs")
    for (a, b) in zip(results[0].1, results[1].1) { expectNear(a, b, "\(kind) gradients", tolerance: 2e-5) }
    #expect(results[0].1[0][0..<5].allSatisfy { $0 == 0 }, "padding row got gradient through the table path")
}
