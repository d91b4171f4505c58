// Many-to-many training windows over each user's training sequence.
//
// With M = maxLength, a sequence s[0..<n] has targets s[1...n-1]; the target s[i+1] is
// predicted at input position i. Window k (k = 0, 1, ...) scores the input positions
// i in [k*M, (k+1)*M) (clipped to i <= n-2) and its inputs are
//   k = 0:  s[0 ..< min(M, n-1)]                         (length <= M)
//   k >= 1: s[k*M - (M-1) ..< min((k+1)*M, n-1)]          (length <= 2M-1)
// so every target is scored in exactly one window, and sees all preceding items when
// i < M, and between M and 2M-1 preceding items otherwise (the first M-1 inputs of a
// later window only warm up the recurrent state and are not scored). Windows overlap by
// M-1 items; a window costs at most 2M-1 steps for M targets.
//
// Each epoch shuffles the windows with the caller's generator, then groups them to limit
// padding: the shuffled list is cut into pools of `poolBatches` batches, each pool is
// sorted by window length (stable, so ties keep the shuffled order), cut into batches,
// and the batch order is shuffled again. Rows are left-aligned (padding at the end).
//
// Without warm-up (`warmUp: false`, for self-attention, whose position table has M rows)
// windows hold at most M inputs: window k scores the same positions but its inputs are
// s[max(0, end - M) ..< end], the M most recent items up to its last scored position.

public struct TrainingBatcher: Sendable {
    /// One window: inputs `sequence[start..<end]`; scored input positions `scoreFrom..<end`.
    struct Window: Sendable, Equatable {
        var user: Int32
        var start: Int
        var scoreFrom: Int
        var end: Int
        var length: Int { end - start }
    }

    public let maxLength: Int
    public let batchSize: Int
    /// Batches per length-sorting pool; 1 turns length grouping off (plain shuffled batches).
    package let poolBatches: Int
    private let sequences: [[Int32]]
    private let ratings: [[Float]]
    let windows: [Window]

    /// `sequences[u]` / `ratings[u]` are user u's training events; users with fewer than
    /// 2 events contribute nothing.
    public init(sequences: [[Int32]], ratings: [[Float]], maxLength: Int, batchSize: Int, poolBatches: Int = 8,
                warmUp: Bool = true) {
        precondition(maxLength >= 1 && batchSize >= 1 && poolBatches >= 1, "maxLength, batchSize, poolBatches must be >= 1")
        precondition(sequences.count == ratings.count && zip(sequences, ratings).allSatisfy { $0.count == $1.count },
                     "ratings must match sequences")
        self.maxLength = maxLength
        self.batchSize = batchSize
        self.poolBatches = poolBatches
        self.sequences = sequences
        self.ratings = ratings
        var windows: [Window] = []
        for (user, sequence) in sequences.enumerated() {
            let lastInput = sequence.count - 2  // the last position that has a target
            var scoreFrom = 0
            while scoreFrom <= lastInput {
                let end = min(scoreFrom + maxLength, lastInput + 1)
                let start = warmUp ? max(0, scoreFrom - (maxLength - 1)) : max(0, end - maxLength)
                windows.append(Window(user: Int32(user), start: start, scoreFrom: scoreFrom, end: end))
                scoreFrom += maxLength
            }
        }
        self.windows = windows
    }

    /// `training.batch_size` counts targets, as in RecBole and per-prefix PyTorch training,
    /// so that a step sees about as much data as a user expects and an epoch makes as many
    /// optimizer steps. Whole windows are packed: a batch holds
    /// round(targetsPerBatch / mean targets per window) windows (at least 1).
    public init(sequences: [[Int32]], ratings: [[Float]], maxLength: Int, targetsPerBatch: Int, warmUp: Bool = true) {
        let probe = TrainingBatcher(sequences: sequences, ratings: ratings, maxLength: maxLength, batchSize: 1, warmUp: warmUp)
        let perWindow = Double(probe.targetCount) / Double(max(probe.windowCount, 1))
        let windows = max(1, Int((Double(targetsPerBatch) / max(perWindow, 1)).rounded()))
        self.init(sequences: sequences, ratings: ratings, maxLength: maxLength, batchSize: windows, warmUp: warmUp)
    }

    /// Windows per epoch.
    public var windowCount: Int { windows.count }

    /// Batches per epoch (the same every epoch): whole pools of `poolBatches`, then the rest.
    public var batchesPerEpoch: Int {
        let poolSize = batchSize * poolBatches
        let rest = windows.count % poolSize
        return windows.count / poolSize * poolBatches + (rest + batchSize - 1) / batchSize
    }
    /// Targets per epoch: every training event after its user's first.
    public var targetCount: Int { windows.reduce(0) { $0 + ($1.end - $1.scoreFrom) } }
    /// Input positions per epoch (window lengths summed), i.e. recurrent steps before padding.
    package var inputCount: Int { windows.reduce(0) { $0 + $1.length } }

    /// This epoch's batches; consumes randomness from `rng` (windows and batch order).
    public func epoch(rng: inout SeededGenerator) -> [SequenceBatch] {
        var order = Array(windows.indices)
        shuffle(&order, rng: &rng)
        var groups: [[Int]] = []
        let poolSize = batchSize * poolBatches
        var poolStart = 0
        while poolStart < order.count {
            let pool = order[poolStart..<min(poolStart + poolSize, order.count)]
                .enumerated()
                .sorted { lhs, rhs in
                    let lhsLength = windows[lhs.element].length, rhsLength = windows[rhs.element].length
                    return lhsLength != rhsLength ? lhsLength > rhsLength : lhs.offset < rhs.offset
                }
                .map(\.element)
            var batchStart = 0
            while batchStart < pool.count {
                groups.append(Array(pool[batchStart..<min(batchStart + batchSize, pool.count)]))
                batchStart += batchSize
            }
            poolStart += poolSize
        }
        if poolBatches > 1 { shuffle(&groups, rng: &rng) }
        return groups.map(makeBatch)
    }

    private func makeBatch(_ rows: [Int]) -> SequenceBatch {
        let steps = rows.map { windows[$0].length }.max() ?? 0
        var inputs = [Int32](repeating: 0, count: rows.count * steps)
        var targets = [Int32](repeating: 0, count: rows.count * steps)
        var targetRatings = [Float](repeating: 0, count: rows.count * steps)
        var users = [Int32](repeating: 0, count: rows.count)
        for (row, windowIndex) in rows.enumerated() {
            let window = windows[windowIndex]
            let sequence = sequences[Int(window.user)], rating = ratings[Int(window.user)]
            users[row] = window.user
            for position in window.start..<window.end {
                let slot = row * steps + (position - window.start)
                inputs[slot] = sequence[position]
                if position >= window.scoreFrom {
                    targets[slot] = sequence[position + 1]
                    targetRatings[slot] = rating[position + 1]
                }
            }
        }
        return SequenceBatch(batchSize: rows.count, steps: steps, inputs: inputs, targets: targets,
                             ratings: targetRatings, users: users)
    }

    /// Fisher-Yates with the seeded generator (not `shuffle(using:)`, whose algorithm may change).
    private func shuffle<Element>(_ array: inout [Element], rng: inout SeededGenerator) {
        guard array.count > 1 else { return }
        for index in stride(from: array.count - 1, to: 0, by: -1) {
            array.swapAt(index, rng.nextInt(below: index + 1))
        }
    }
}
