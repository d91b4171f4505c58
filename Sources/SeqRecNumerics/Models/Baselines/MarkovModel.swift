// The `markov` baseline: first-order transition counts item -> next item from the training
// sequences. The score of item j after last item i is
//
//     score(j) = T[i, j] + P(j) / (P_max + 1)
//
// T = transition counts, P = training popularity: transitions rank first, and the
// popularity term (always < 1) breaks their ties. When i has no outgoing transition in
// training (or the row is empty), score(j) = P(j): the popularity fallback.

package struct MarkovModel: Sendable {
    package let classes: Int
    package let popularity: PopularityModel
    // Sparse rows of T in CSR form: successors of item i are at rowStart[i]..<rowStart[i + 1].
    private let rowStart: [Int]
    private let successor: [Int32]
    private let transitionCount: [Int]

    package init(trainSequences: [[Int32]], numItems: Int) {
        classes = numItems + 1
        popularity = PopularityModel(trainSequences: trainSequences, numItems: numItems)
        var rows = [[Int32: Int]](repeating: [:], count: numItems + 1)
        for sequence in trainSequences {
            let items = sequence.filter { $0 > 0 }
            for (from, to) in zip(items, items.dropFirst()) { rows[Int(from)][to, default: 0] += 1 }
        }
        var rowStart = [0]
        var successor: [Int32] = []
        var transitionCount: [Int] = []
        for row in rows {
            for (to, count) in row.sorted(by: { $0.key < $1.key }) {
                successor.append(to)
                transitionCount.append(count)
            }
            rowStart.append(successor.count)
        }
        self.rowStart = rowStart
        self.successor = successor
        self.transitionCount = transitionCount
    }

    /// Transition count from `from` to `to` in the training sequences.
    package func transitions(from: Int32, to: Int32) -> Int {
        let range = rowStart[Int(from)]..<rowStart[Int(from) + 1]
        return range.first { successor[$0] == to }.map { transitionCount[$0] } ?? 0
    }

    /// [B, V] row-major scores after each row's last non-padding input; column 0 = -infinity.
    package func scoreNext(_ batch: SequenceBatch) -> [Float] {
        let maxCount = Float(popularity.counts.max() ?? 0)
        let tieBreak = popularity.counts.map { Float($0) / (maxCount + 1) }
        var scores = [Float](repeating: 0, count: batch.batchSize * classes)
        for b in 0..<batch.batchSize {
            let rowInputs = batch.inputs[(b * batch.steps)..<((b + 1) * batch.steps)]
            let last = rowInputs.last { $0 != 0 } ?? 0
            let base = b * classes
            let range = rowStart[Int(last)]..<rowStart[Int(last) + 1]
            if last == 0 || range.isEmpty {
                for j in 0..<classes { scores[base + j] = Float(popularity.counts[j]) }
            } else {
                for j in 0..<classes { scores[base + j] = tieBreak[j] }
                for k in range { scores[base + Int(successor[k])] += Float(transitionCount[k]) }
            }
            scores[base] = -.infinity
        }
        return scores
    }
}
