// Data-parallel training (DataParallelStep): shards, the reduced gradient equals the
// single-threaded one, and a given thread count is bitwise reproducible.

import Foundation
import Testing
@testable import SeqRec
@testable import SeqRecCore
@testable import SeqRecNumerics

/// Rows of different lengths (left-aligned, padded at the end) over items 1...9.
private func ragged(rows: Int, steps: Int, seed: UInt64) -> SequenceBatch {
    var rng = SeededGenerator(seed: seed)
    var inputs: [Int32] = [], targets: [Int32] = [], ratings: [Float] = []
    for b in 0..<rows {
        let length = max(1, steps - (b * 5) % steps)
        for t in 0..<steps {
            inputs.append(t < length ? Int32(rng.nextInt(below: 9) + 1) : 0)
            targets.append(t < length - 1 || (t == length - 1 && b % 2 == 0) ? Int32(rng.nextInt(below: 9) + 1) : 0)
            ratings.append(0)
        }
    }
    return SequenceBatch(batchSize: rows, steps: steps, inputs: inputs, targets: targets, ratings: ratings,
                         users: (0..<Int32(rows)).map { $0 })
}

private func model(_ cell: CellKind, loss: LossKind = .crossEntropy, dropout: Double, seed: UInt64 = 5,
                   sparse: Bool = false) -> SequenceRecommender {
    makeTinyRecommender(cell: cell, loss: loss, itemCounts: Array(repeating: 1, count: 10), embeddingSize: 6,
                        hiddenSize: 7, dropout: dropout, seed: seed, sparseGradients: sparse)
}

@Suite struct DataParallelTests {
    @Test func shardsCoverEveryRowOnceWithBalancedTargets() {
        let batch = ragged(rows: 7, steps: 12, seed: 1)
        for parts in 1...4 {
            let shards = DataParallelStep.shardRows(of: batch, into: parts)
            #expect(shards.count == parts)
            #expect(shards.first?.lowerBound == 0 && shards.last?.upperBound == 7)
            #expect(zip(shards, shards.dropFirst()).allSatisfy { $0.upperBound == $1.lowerBound })
            #expect(shards.allSatisfy { !$0.isEmpty })
        }
        // Targets per row: 11/12 alternating pattern; two shards must be within one row's worth.
        let halves = DataParallelStep.shardRows(of: batch, into: 2).map { batch.rows($0).targetCount }
        #expect(halves.reduce(0, +) == batch.targetCount)
        #expect(abs(halves[0] - halves[1]) <= 12)
        // Fewer rows than parts: some shards are empty, none overlaps.
        let tiny = ragged(rows: 2, steps: 4, seed: 2)
        let shards = DataParallelStep.shardRows(of: tiny, into: 3)
        #expect(shards.map(\.count).reduce(0, +) == 2 && shards.filter(\.isEmpty).count == 1)
    }

    @Test func rowSlicesAreTrimmedToTheirLongestRow() {
        let batch = ragged(rows: 4, steps: 12, seed: 3)  // lengths 12, 7, 2, 9
        let slice = batch.rows(1..<3)
        #expect(slice.batchSize == 2 && slice.steps == 7)
        #expect(Array(slice.inputs[0..<7]) == Array(batch.inputs[12..<19]))
        #expect(Array(slice.targets[7..<14]) == Array(batch.targets[24..<31]))
        #expect(slice.users == [1, 2])
    }

    /// Without dropout, 2 and 3 workers give the single-threaded loss and gradient up to
    /// float summation order.
    @Test(arguments: [CellKind.lstm, .gru, .rnn])
    func shardedGradientEqualsSingleThreaded(_ cell: CellKind) {
        let batch = ragged(rows: 5, steps: 10, seed: 4)
        let single = model(cell, dropout: 0)
        let reference = DataParallelStep(model: single, threads: 1, seed: 1).run(batch)
        for threads in [2, 3] {
            let parallel = model(cell, dropout: 0)
            let result = DataParallelStep(model: parallel, threads: threads, seed: 1).run(batch)
            #expect(result.targets == reference.targets)
            #expect(abs(result.loss - reference.loss) < 1e-6 * abs(reference.loss))
            for (a, b) in zip(single.parameters, parallel.parameters) {
                let scale = a.gradArray.map(abs).max() ?? 0
                let difference = zip(a.gradArray, b.gradArray).map { abs($0 - $1) }.max() ?? 0
                #expect(scale > 0, "\(a.name) has no gradient")
                #expect(difference <= 1e-5 * scale, "\(a.name) with \(threads) threads differs by \(difference)")
            }
        }
    }

    /// Same seed, same thread count: bitwise-identical weights after several Adam steps with
    /// dropout and sampled softmax (both draw random numbers per worker).
    @Test func twoThreadsAreBitwiseReproducible() {
        func weights() -> [[Float]] {
            let trained = model(.gru, loss: .sampledSoftmax, dropout: 0.3)
            let step = DataParallelStep(model: trained, threads: 2, seed: 9)
            let optimizer = Adam()
            for index in 0..<4 {
                _ = step.run(ragged(rows: 6, steps: 8, seed: UInt64(20 + index)))
                step.update(with: optimizer, learningRate: 0.01)
            }
            return trained.parameters.map(\.valueArray)
        }
        let first = weights()
        #expect(first == weights())
        #expect(first != model(.gru, loss: .sampledSoftmax, dropout: 0.3).parameters.map(\.valueArray))
    }

    @Test func replicasStartEqualAndFollowTheModel() {
        let original = model(.lstm, dropout: 0)
        let replica = original.makeReplica()
        #expect(original.arena.hasSameLayout(as: replica.arena))
        #expect(original.arena.copyValues() == replica.arena.copyValues())
        original.parameters[1].value[0] += 1
        #expect(original.arena.copyValues() != replica.arena.copyValues())
        replica.arena.restoreValues(original.arena.copyValues())
        #expect(original.parameters.map(\.valueArray) == replica.parameters.map(\.valueArray))
    }

    /// Every index runs exactly once per region, regions do not overlap (each sees the previous
    /// region's writes), and releasing a pool stops its threads (deinit waits for them).
    @Test func workerPoolRunsEveryIndexOncePerRegion() {
        for count in [1, 2, 3] {
            let pool = WorkerPool(count: count)
            var slots = [Int](repeating: 0, count: count)
            slots.withUnsafeMutableBufferPointer { buffer in
                for region in 0..<5_000 {
                    // Workers spin between most regions and go to sleep before some (gap > spin limit).
                    if region % 500 == 499 { usleep(1_000) }
                    pool.run { index in
                        buffer[index] = buffer[index] == region ? region + 1 : -1
                    }
                }
            }
            #expect(slots == [Int](repeating: 5_000, count: count), "\(count) workers")
        }
    }

    @Test(arguments: [false, true])
    func arenaSharesCoverEveryElementOnce(_ sparse: Bool) {
        let arena = model(.gru, loss: sparse ? .sampledSoftmax : .crossEntropy, dropout: 0, sparse: sparse).arena
        for parts in [1, 2, 3] {
            var covered = [Int](repeating: 0, count: arena.count)
            for share in arena.shares(parts) {
                for index in share.dense { covered[index] += 1 }
                for parameter in share.tracked { for index in parameter.offset..<(parameter.offset + parameter.count) { covered[index] += 1 } }
            }
            for parameter in arena.parameters {
                #expect(parameter.offset % 16 == 0, "\(parameter.name) is not 64-byte aligned")
                #expect((parameter.offset..<(parameter.offset + parameter.count)).allSatisfy { covered[$0] == 1 },
                        "\(parameter.name) not covered exactly once by \(parts) shares")
            }
            #expect(covered.allSatisfy { $0 <= 1 })
        }
        #expect(arena.trackedParameters.isEmpty != sparse)
    }

    /// Updating the arena in parallel shares gives bitwise the same weights as one pass.
    @Test func sharedUpdatesMatchOneOptimizerPass() {
        func weights(parallel: Bool) -> [[Float]] {
            let trained = model(.lstm, dropout: 0.2)
            let step = DataParallelStep(model: trained, threads: 2, seed: 3)
            let optimizer = Adam(weightDecay: 0.01)
            for index in 0..<3 {
                _ = step.run(ragged(rows: 6, steps: 8, seed: UInt64(40 + index)))
                if parallel {
                    step.update(with: optimizer, learningRate: 0.01)
                } else {
                    optimizer.step(trained.arena, learningRate: 0.01)
                }
            }
            return trained.parameters.map(\.valueArray)
        }
        #expect(weights(parallel: true) == weights(parallel: false))
    }
}
