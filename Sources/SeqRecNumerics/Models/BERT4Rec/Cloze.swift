// The cloze task of BERT4Rec: the rows a bidirectional encoder trains and scores with.
//
// Training (`masked`): a window's sequence is its inputs followed by its last target (the
// whole window, s_0 ... s_n), in T' = min(T + 1, M) steps; a row longer than T' drops its
// first item. Each item is replaced by the mask token with probability p (one uniform draw
// per item, rows in order, items in order); the targets are the original items at the masked
// positions and 0 elsewhere, so the full softmax is trained on the masked positions only. A
// row that draws no mask has no target.
//
// Scoring (`query`): the mask token appended after each row's items, in T' steps; a full row
// (n = T' items) is shifted left by one, dropping its first item. The encoder's output at
// the mask scores the next item.

enum Cloze {
    /// The masked training batch of `batch` (next-item windows), ids < maskId.
    static func masked(_ batch: SequenceBatch, maxLength: Int, maskId: Int32, probability: Float,
                       rng: inout SeededGenerator) -> SequenceBatch {
        let steps = batch.steps, outSteps = min(steps + 1, maxLength)
        var inputs = [Int32](repeating: 0, count: batch.batchSize * outSteps)
        var targets = inputs
        var sequence: [Int32] = []
        sequence.reserveCapacity(steps + 1)
        for b in 0..<batch.batchSize {
            sequence.removeAll(keepingCapacity: true)
            for t in 0..<steps where batch.inputs[b * steps + t] != 0 { sequence.append(batch.inputs[b * steps + t]) }
            if let last = sequence.indices.last, batch.targets[b * steps + last] != 0 {
                sequence.append(batch.targets[b * steps + last])
            }
            let kept = sequence.suffix(outSteps)
            for (t, item) in kept.enumerated() {
                let row = b * outSteps + t
                if rng.nextUnitFloat() < probability {
                    inputs[row] = maskId
                    targets[row] = item
                } else {
                    inputs[row] = item
                }
            }
        }
        return SequenceBatch(batchSize: batch.batchSize, steps: outSteps, inputs: inputs, targets: targets,
                             ratings: [Float](repeating: 0, count: inputs.count), users: batch.users)
    }

    /// Each row's items followed by the mask token [B, T'], and where the mask is in each row.
    static func query(inputs: UnsafeBufferPointer<Int32>, batch: Int, steps: Int, maxLength: Int, maskId: Int32)
        -> (inputs: [Int32], steps: Int, maskPositions: [Int]) {
        let outSteps = min(steps + 1, maxLength)
        var rows = [Int32](repeating: 0, count: batch * outSteps)
        var positions = [Int](repeating: 0, count: batch)
        for b in 0..<batch {
            var count = 0
            for t in 0..<steps where inputs[b * steps + t] != 0 { count = t + 1 }
            let kept = min(count, outSteps - 1)  // items that fit before the mask
            for t in 0..<kept { rows[b * outSteps + t] = inputs[b * steps + count - kept + t] }
            rows[b * outSteps + kept] = maskId
            positions[b] = kept
        }
        return (rows, outSteps, positions)
    }
}
