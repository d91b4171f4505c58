// The `pop` baseline: every user gets the same scores, the items' training counts.

package struct PopularityModel: Sendable {
    /// V = numItems + 1 (column 0 = padding).
    package let classes: Int
    /// [V] training occurrences of each item id; entry 0 is unused (0).
    package let counts: [Int]

    /// Counts every item occurrence in the training sequences (0 = padding is skipped).
    package init(trainSequences: [[Int32]], numItems: Int) {
        classes = numItems + 1
        var counts = [Int](repeating: 0, count: numItems + 1)
        for sequence in trainSequences {
            for item in sequence where item > 0 {
                precondition(Int(item) <= numItems, "item \(item) exceeds numItems = \(numItems)")
                counts[Int(item)] += 1
            }
        }
        self.counts = counts
    }

    /// [B, V] row-major: every row is the counts; column 0 (padding) is -infinity so it never ranks.
    package func scoreNext(_ batch: SequenceBatch) -> [Float] {
        var row = counts.map { Float($0) }
        row[0] = -.infinity
        var scores = [Float]()
        scores.reserveCapacity(batch.batchSize * classes)
        for _ in 0..<batch.batchSize { scores.append(contentsOf: row) }
        return scores
    }
}
