import Testing
@testable import SeqRec
@testable import SeqRecCore
@testable import SeqRecNumerics

// The encoders' evaluation forwards (lastHidden) against their training-shaped forward read at
// each row's last item. The evaluation forwards run the same operations on fewer rows (the
// recurrent cells only the rows still running at each step, in longest-first order; SASRec's
// last block only each row's last query), so they agree to float32 rounding; the tolerance
// leaves room for a BLAS whose per-row rounding depends on the number of rows.

/// Rows of lengths 0 ... steps in a scrambled order, items 1 ... numItems, padding after the
/// items; `holes` puts a padding id inside some rows (the recurrent cells carry the state there).
private func raggedIds(rows: Int, steps: Int, numItems: Int, holes: Bool, seed: UInt64) -> [Int32] {
    var rng = SeededGenerator(seed: seed)
    var ids: [Int32] = []
    for b in 0..<rows {
        let length = (b * 7 + 3) % (steps + 1)
        for t in 0..<steps {
            let hole = holes && length > 2 && t == length / 2 && b % 2 == 0
            ids.append(t < length && !hole ? Int32(rng.nextInt(below: numItems) + 1) : 0)
        }
    }
    return ids
}

/// Row b's entry of outputs [B, T, H] at its last item (its last step when it has none).
private func atLastItem(_ outputs: [Float], ids: [Int32], rows: Int, steps: Int, width: Int) -> [Float] {
    var last: [Float] = []
    for b in 0..<rows {
        let t = (0..<steps).last { ids[b * steps + $0] != 0 } ?? steps - 1
        last += outputs[((b * steps + t) * width)..<((b * steps + t + 1) * width)]
    }
    return last
}

private func largestDifference(_ a: [Float], _ b: [Float]) -> Float {
    precondition(a.count == b.count, "\(a.count) vs \(b.count) values")
    return zip(a, b).map { abs($0 - $1) }.max() ?? 0
}

@Suite struct EvaluationForwardTests {
    /// Both input paths (the projected table for a small vocabulary, the gathered embeddings
    /// otherwise), one and two layers, rows of every length including empty ones and holes.
    @Test(arguments: [CellKind.lstm, .gru, .rnn], [1, 2])
    func recurrentLastHiddenEqualsForwardAtLastItem(_ kind: CellKind, _ layers: Int) {
        let (rows, steps, numItems) = (13, 9, 40)
        for allowsTableLookup in [true, false] {
            var rng = SeededGenerator(seed: 11)
            let encoder = RecurrentEncoder(cell: kind, numItems: numItems, embeddingSize: 6, hiddenSize: 19, layers: layers,
                                           dropout: 0.3, outputDropout: 0.2, allowsTableLookup: allowsTableLookup, rng: &rng)
            for holes in [false, true] {
                let ids = raggedIds(rows: rows, steps: steps, numItems: numItems, holes: holes, seed: 5)
                var unused = SeededGenerator(seed: 0)
                let outputs = ids.withUnsafeBufferPointer {
                    Array(encoder.forward(inputs: $0, batch: rows, steps: steps, training: false, rng: &unused))
                }
                let expected = atLastItem(outputs, ids: ids, rows: rows, steps: steps, width: encoder.hiddenSize)
                let last = ids.withUnsafeBufferPointer { encoder.lastHidden(inputs: $0, batch: rows, steps: steps) }
                let difference = largestDifference(last, expected)
                #expect(difference <= 1e-6, "\(kind) x\(layers), table \(allowsTableLookup), holes \(holes): \(difference)")
                // An empty row keeps the zero initial state.
                let empty = (0..<rows).filter { b in (0..<steps).allSatisfy { ids[b * steps + $0] == 0 } }
                #expect(!empty.isEmpty)
                for b in empty { #expect(last[(b * encoder.hiddenSize)..<((b + 1) * encoder.hiddenSize)].allSatisfy { $0 == 0 }) }
            }
        }
    }

    /// A row's state does not depend on the other rows of its batch: each row alone gives
    /// what it gives inside the batch (to rounding, see the suite's note).
    @Test(arguments: [CellKind.lstm, .gru, .rnn])
    func recurrentLastHiddenOfARowIgnoresTheOtherRows(_ kind: CellKind) {
        let (rows, steps, numItems) = (12, 8, 30)
        var rng = SeededGenerator(seed: 3)
        let encoder = RecurrentEncoder(cell: kind, numItems: numItems, embeddingSize: 5, hiddenSize: 17, layers: 2,
                                       dropout: 0, rng: &rng)
        let ids = raggedIds(rows: rows, steps: steps, numItems: numItems, holes: true, seed: 8)
        let h = encoder.hiddenSize
        let together = ids.withUnsafeBufferPointer { encoder.lastHidden(inputs: $0, batch: rows, steps: steps) }
        for b in 0..<rows {
            let row = Array(ids[(b * steps)..<((b + 1) * steps)])
            let alone = row.withUnsafeBufferPointer { encoder.lastHidden(inputs: $0, batch: 1, steps: steps) }
            let difference = largestDifference(alone, Array(together[(b * h)..<((b + 1) * h)]))
            #expect(difference <= 1e-6, "\(kind) row \(b): \(difference)")
        }
    }

    /// Within an evaluation pass the first layer projects the item table once; the batches
    /// after the first get exactly what they get alone, and a pass after the weights changed
    /// projects the new table.
    @Test(arguments: [CellKind.lstm, .gru, .rnn])
    func projectedTableIsKeptForOnePassOnly(_ kind: CellKind) {
        let (rows, steps, numItems) = (9, 7, 20)  // 63 positions > 21 table rows: the table path
        var rng = SeededGenerator(seed: 13)
        let encoder = RecurrentEncoder(cell: kind, numItems: numItems, embeddingSize: 4, hiddenSize: 10, layers: 1,
                                       dropout: 0, rng: &rng)
        let first = raggedIds(rows: rows, steps: steps, numItems: numItems, holes: false, seed: 1)
        let second = raggedIds(rows: rows, steps: steps, numItems: numItems, holes: true, seed: 2)
        func last(_ ids: [Int32]) -> [Float] {
            ids.withUnsafeBufferPointer { encoder.lastHidden(inputs: $0, batch: rows, steps: steps) }
        }
        let alone = last(second)
        encoder.keepsProjectedTable = true
        _ = last(first)
        #expect(last(second) == alone)
        encoder.keepsProjectedTable = false
        // New weights between passes: the next pass must not score with the old table.
        let table = encoder.embedding.weight
        table.setValues(table.valueArray.map { $0 * 0.5 })
        let changed = last(second)
        #expect(changed != alone)
        encoder.keepsProjectedTable = true
        _ = last(first)
        #expect(last(second) == changed)
        encoder.keepsProjectedTable = false
    }

    /// SASRec evaluates only each row's last query in its last block; the result equals the
    /// full forward's final-norm output at that row, for both layer-norm placements, several
    /// heads and blocks, rows of every length (an empty row reads its last position).
    @Test(arguments: [LayerNormPlacement.pre, .post], [1, 2])
    func sasrecLastHiddenEqualsForwardAtLastItem(_ placement: LayerNormPlacement, _ blocks: Int) {
        let (rows, steps, numItems, width) = (11, 10, 25, 12)
        var rng = SeededGenerator(seed: 21)
        let encoder = SASRecEncoder(numItems: numItems, width: width, maxLength: 12, blocks: blocks, heads: 3,
                                         dropout: 0.4, placement: placement, rng: &rng)
        // Non-trivial layer norms and biases (they start at 1 and 0).
        var values = SeededGenerator(seed: 4)
        for parameter in encoder.parameters where parameter.shape.count == 1 {
            parameter.setValues((0..<parameter.count).map { _ in values.nextFloat(in: -0.5, 1.5) })
        }
        let ids = raggedIds(rows: rows, steps: steps, numItems: numItems, holes: false, seed: 9)
        var unused = SeededGenerator(seed: 0)
        let outputs = ids.withUnsafeBufferPointer {
            Array(encoder.forward(inputs: $0, batch: rows, steps: steps, training: false, rng: &unused))
        }
        let expected = atLastItem(outputs, ids: ids, rows: rows, steps: steps, width: width)
        let last = ids.withUnsafeBufferPointer { encoder.lastHidden(inputs: $0, batch: rows, steps: steps) }
        let difference = largestDifference(last, expected)
        #expect(difference <= 1e-5, "\(placement), \(blocks) blocks: \(difference)")
        // More rows than one evaluation group, none empty: the later groups are cut to their
        // longest row, and still give the full forward's rows.
        let many = SASRecEncoder.evaluationGroupRows + 9
        var rowRng = SeededGenerator(seed: 17)
        let longer = (0..<many).flatMap { b -> [Int32] in
            let length = 1 + (b * 5) % steps
            return (0..<steps).map { t in t < length ? Int32(rowRng.nextInt(below: numItems) + 1) : 0 }
        }
        let manyOutputs = longer.withUnsafeBufferPointer {
            Array(encoder.forward(inputs: $0, batch: many, steps: steps, training: false, rng: &unused))
        }
        let manyLast = longer.withUnsafeBufferPointer { encoder.lastHidden(inputs: $0, batch: many, steps: steps) }
        let manyDifference = largestDifference(manyLast, atLastItem(manyOutputs, ids: longer, rows: many, steps: steps, width: width))
        #expect(manyDifference <= 1e-5, "\(placement), \(blocks) blocks, \(many) rows: \(manyDifference)")
        // Training still works after an evaluation forward (the full forward replaces its state).
        let again = ids.withUnsafeBufferPointer {
            Array(encoder.forward(inputs: $0, batch: rows, steps: steps, training: false, rng: &unused))
        }
        #expect(again == outputs)
    }
}
