// The items to score for each row of an evaluation batch, when not the whole catalogue:
// under sampled evaluation a case's targets and its fixed negatives. Scoring 101 items
// instead of V turns the [B, H] x [H, V] product of a pass into B x 101 dot products.

public struct CandidateLists: Sendable, Equatable {
    /// Row b's candidates are items[offsets[b] ..< offsets[b + 1]].
    package var items: [Int32]
    /// [rows + 1], starting at 0.
    package var offsets: [Int]

    package init(items: [Int32] = [], offsets: [Int] = [0]) {
        self.items = items
        self.offsets = offsets
    }

    package var rows: Int { offsets.count - 1 }

    package mutating func append<Items: Sequence>(row: Items) where Items.Element == Int32 {
        items.append(contentsOf: row)
        offsets.append(items.count)
    }
}
