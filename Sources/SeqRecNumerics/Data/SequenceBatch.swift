// The unit the data layer hands to models: a padded [B, T] block of item ids with the
// targets to predict at each position. Training batches are many-to-many windows;
// evaluation batches hold one row per user, predicting after the last input.

public struct SequenceBatch: Sendable, Equatable {
    /// B: rows in this batch.
    public var batchSize: Int
    /// T: time steps per row (the longest row; shorter rows are padded at the end).
    public var steps: Int
    /// [B, T] item ids, 0 = padding. Rows are left-aligned: padding only at the end.
    public var inputs: [Int32]
    /// [B, T] the item to predict after position t (the next item), 0 = no target at t
    /// (padding, or a position whose target belongs to an overlapping window).
    public var targets: [Int32]
    /// [B, T] the rating of `targets` at t (rating task); 0 where there is no target.
    public var ratings: [Float]
    /// [B] dense user index of each row.
    public var users: [Int32]

    public init(batchSize: Int, steps: Int, inputs: [Int32], targets: [Int32], ratings: [Float], users: [Int32]) {
        precondition(inputs.count == batchSize * steps && targets.count == inputs.count && ratings.count == inputs.count)
        self.batchSize = batchSize
        self.steps = steps
        self.inputs = inputs
        self.targets = targets
        self.ratings = ratings
        self.users = users
    }

    /// Rows `range` as a batch of their own, trimmed to their longest row (rows are
    /// left-aligned, so the dropped steps are padding in every kept row).
    public func rows(_ range: Range<Int>) -> SequenceBatch {
        precondition(range.lowerBound >= 0 && range.upperBound <= batchSize, "rows \(range) outside 0..<\(batchSize)")
        var length = 0
        for b in range {
            var t = steps
            while t > 0 && inputs[b * steps + t - 1] == 0 { t -= 1 }
            length = max(length, t)
        }
        var inputs: [Int32] = [], targets: [Int32] = [], ratings: [Float] = []
        for b in range {
            let slice = (b * steps)..<(b * steps + length)
            inputs += self.inputs[slice]
            targets += self.targets[slice]
            ratings += self.ratings[slice]
        }
        return SequenceBatch(batchSize: range.count, steps: length, inputs: inputs, targets: targets,
                             ratings: ratings, users: Array(users[range]))
    }

    /// Number of positions with a target.
    public var targetCount: Int { targets.reduce(0) { $0 + ($1 != 0 ? 1 : 0) } }
}
