// Evaluation batches: one row per case, in case order. The row is the last `maxLength`
// items of the case's history, left-aligned; its only target sits at the last input
// position and is the case's first target (the next item after the history).

public enum EvaluationBatcher {
    /// Cases must have a non-empty history (the Splitter guarantees it).
    public static func batches(_ cases: [EvaluationCase], maxLength: Int, batchSize: Int) -> [SequenceBatch] {
        precondition(maxLength >= 1 && batchSize >= 1, "maxLength and batchSize must be >= 1")
        var batches: [SequenceBatch] = []
        var start = 0
        while start < cases.count {
            let chunk = cases[start..<min(start + batchSize, cases.count)]
            let steps = chunk.map { min($0.history.count, maxLength) }.max() ?? 0
            var inputs = [Int32](repeating: 0, count: chunk.count * steps)
            var targets = [Int32](repeating: 0, count: chunk.count * steps)
            var ratings = [Float](repeating: 0, count: chunk.count * steps)
            var users: [Int32] = []
            users.reserveCapacity(chunk.count)
            for (row, evaluationCase) in chunk.enumerated() {
                precondition(!evaluationCase.history.isEmpty && !evaluationCase.targets.isEmpty,
                             "evaluation case of user \(evaluationCase.user) has no history or no target")
                let window = evaluationCase.history.suffix(maxLength)
                for (offset, item) in window.enumerated() { inputs[row * steps + offset] = item }
                let last = row * steps + window.count - 1
                targets[last] = evaluationCase.targets[0]
                ratings[last] = evaluationCase.targetRatings.first ?? 0
                users.append(evaluationCase.user)
            }
            batches.append(SequenceBatch(batchSize: chunk.count, steps: steps, inputs: inputs, targets: targets,
                                         ratings: ratings, users: users))
            start += batchSize
        }
        return batches
    }
}
