// Training windows: every target scored exactly once with enough history; seeded shuffles.
// Evaluation batches: one truncated, left-aligned row per case.

import Testing
@testable import SeqRec
@testable import SeqRecCore
@testable import SeqRecNumerics

@Suite struct DataBatchingTests {
    /// Sequences whose items encode (user, position), so a row's position is recoverable.
    private func encodedSequences(lengths: [Int]) -> [[Int32]] {
        lengths.enumerated().map { user, length in (0..<length).map { Int32(user * 1000 + $0 + 1) } }
    }

    private func ratings(for sequences: [[Int32]]) -> [[Float]] {
        sequences.map { $0.map { Float($0) / 10 } }
    }

    @Test(arguments: [(4, 1), (4, 3), (1, 5), (7, 4)])
    func everyTargetIsScoredExactlyOnceWithEnoughHistory(maxLength: Int, poolBatches: Int) {
        let lengths = [0, 1, 2, 3, maxLength, maxLength + 1, maxLength + 2, 2 * maxLength, 2 * maxLength + 1, 3 * maxLength + 5, 17]
        let sequences = encodedSequences(lengths: lengths)
        let batcher = TrainingBatcher(sequences: sequences, ratings: ratings(for: sequences), maxLength: maxLength,
                                      batchSize: 3, poolBatches: poolBatches)
        let expectedTargets = lengths.reduce(0) { $0 + max(0, $1 - 1) }
        #expect(batcher.targetCount == expectedTargets)

        var rng = SeededGenerator(seed: 11)
        let batches = batcher.epoch(rng: &rng)
        var scored: [Int: Int] = [:]  // user * 1000 + position -> times scored
        var rows = 0
        for batch in batches {
            #expect(batch.steps <= max(1, 2 * maxLength - 1))
            for row in 0..<batch.batchSize {
                rows += 1
                let user = Int(batch.users[row])
                let base = row * batch.steps
                let inputs = Array(batch.inputs[base..<(base + batch.steps)])
                let length = inputs.firstIndex(of: 0) ?? inputs.count
                #expect(length > 0 && inputs[length...].allSatisfy { $0 == 0 })  // left-aligned
                let firstPosition = Int(inputs[0]) - user * 1000 - 1
                // The row is a contiguous slice of this user's sequence.
                #expect(inputs[..<length].enumerated().allSatisfy { Int($1) == user * 1000 + firstPosition + $0 + 1 })
                for t in 0..<batch.steps {
                    let target = batch.targets[base + t]
                    guard target != 0 else {
                        #expect(batch.ratings[base + t] == 0)
                        continue
                    }
                    let position = firstPosition + t
                    #expect(t < length)
                    #expect(Int(target) == user * 1000 + position + 2)  // the next item
                    #expect(batch.ratings[base + t] == Float(target) / 10)
                    // History seen at t: t+1 items, at least min(maxLength, position+1).
                    #expect(t + 1 >= min(maxLength, position + 1))
                    scored[user * 1000 + position, default: 0] += 1
                }
            }
        }
        #expect(rows == batcher.windowCount)
        var expected: [Int: Int] = [:]
        for (user, length) in lengths.enumerated() where length >= 2 {
            for position in 0..<(length - 1) { expected[user * 1000 + position] = 1 }
        }
        #expect(scored == expected)
    }

    @Test func windowLayoutForOneLongSequence() {
        // M = 3, n = 9: targets at positions 0...7.
        let batcher = TrainingBatcher(sequences: [Array(1...9)], ratings: [[Float](repeating: 1, count: 9)],
                                      maxLength: 3, batchSize: 8)
        #expect(batcher.windows.map { [$0.start, $0.scoreFrom, $0.end] } == [[0, 0, 3], [1, 3, 6], [4, 6, 8]])
        #expect(batcher.windowCount == 3 && batcher.targetCount == 8 && batcher.inputCount == 3 + 5 + 4)
    }

    @Test func epochsAreDeterministicBySeedAndShuffled() {
        let sequences = encodedSequences(lengths: Array(repeating: 9, count: 40) + Array(repeating: 30, count: 20))
        let batcher = TrainingBatcher(sequences: sequences, ratings: ratings(for: sequences), maxLength: 5, batchSize: 4)
        var first = SeededGenerator(seed: 7), second = SeededGenerator(seed: 7), other = SeededGenerator(seed: 8)
        let epochA = batcher.epoch(rng: &first)
        #expect(epochA == batcher.epoch(rng: &second))
        #expect(epochA != batcher.epoch(rng: &other))
        #expect(epochA != batcher.epoch(rng: &first))  // the next epoch is reshuffled
        // Length grouping: within a batch rows are sorted longest first.
        for batch in epochA {
            let lengths = (0..<batch.batchSize).map { row in
                batch.inputs[(row * batch.steps)..<((row + 1) * batch.steps)].prefix { $0 != 0 }.count
            }
            #expect(lengths == lengths.sorted(by: >))
        }
    }

    @Test func evaluationRowsAreTruncatedLeftAlignedWithOneTarget() {
        let cases = [
            EvaluationCase(user: 4, history: [1, 2, 3, 4, 5], targets: [6, 7], targetRatings: [3, 1]),
            EvaluationCase(user: 9, history: [8], targets: [2], targetRatings: [5]),
            EvaluationCase(user: 2, history: [3, 4], targets: [5], targetRatings: [4]),
        ]
        let batches = EvaluationBatcher.batches(cases, maxLength: 3, batchSize: 2)
        #expect(batches == [
            SequenceBatch(batchSize: 2, steps: 3, inputs: [3, 4, 5, 8, 0, 0], targets: [0, 0, 6, 2, 0, 0],
                          ratings: [0, 0, 3, 5, 0, 0], users: [4, 9]),
            SequenceBatch(batchSize: 1, steps: 2, inputs: [3, 4], targets: [0, 5], ratings: [0, 4], users: [2]),
        ])
    }
}
