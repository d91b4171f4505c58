// Synthetic sequences with a planted long-range dependency, deterministic from the seed.
//
// Items: keys 1...K, answers K+1...2K (answer of key k is K+k), fillers 2K+1...items.
// Each user has `length` events (timestamps 0..<length, rating 1):
//   - the final pair: a random key at position length-1-lag and its answer at the last
//     position, so the leave-one-out test target of every user is an answer;
//   - one earlier pair, key at p and answer at p+lag <= length-3, when it fits, so the
//     training part (before the validation and test events) shows the pattern too;
//   - every other position is a filler: with probability `noise` drawn uniformly, else a
//     first-order transition from the previous filler (each filler has a few fixed, random
//     successors; keys and answers do not interrupt the filler chain).
// Keys and answers occur only in planted pairs, so "answer k is due now" is knowable only
// by remembering key k from exactly `lag` steps back; a memoryless model can only guess
// among the K answers.

/// The generator's parameters as recorded in the report.
public struct SyntheticParameters: Sendable, Equatable, Codable {
    public var spec: SyntheticSpec
    public var seed: UInt64
    /// Successors of each filler in the sparse transition table.
    public var successorsPerFiller: Int
    /// Key/answer pairs per user: the final pair, plus one earlier pair when it fits before validation.
    public var pairsPerUser: Int
    public var layout: String
}

public enum SyntheticGenerator {
    /// Dense id of key `k` (0-based) and of its answer.
    public static func keyItem(_ k: Int) -> Int32 { Int32(k + 1) }
    public static func answerItem(_ k: Int, keys: Int) -> Int32 { Int32(keys + k + 1) }

    public static func generate(_ spec: SyntheticSpec, seed: UInt64) throws -> InteractionData {
        try validate(spec)
        var rng = SeededGenerator(seed: seed, stream: "synthetic")
        let keys = spec.keys, length = spec.length, lag = spec.lag
        let firstFiller = 2 * keys + 1
        let fillerCount = spec.items - 2 * keys
        let successorsPerFiller = min(5, fillerCount)

        // [fillerCount][successorsPerFiller] filler offsets, drawn without replacement.
        var successors: [[Int]] = []
        successors.reserveCapacity(fillerCount)
        var pool = Array(0..<fillerCount)
        for _ in 0..<fillerCount {
            for slot in 0..<successorsPerFiller {
                pool.swapAt(slot, slot + rng.nextInt(below: fillerCount - slot))
            }
            successors.append(Array(pool[0..<successorsPerFiller]))
        }

        let finalKeyPosition = length - 1 - lag
        let earlierPairFits = length - 3 - lag >= 0
        var sequences: [[Int32]] = []
        sequences.reserveCapacity(spec.users)
        for _ in 0..<spec.users {
            var sequence = [Int32](repeating: 0, count: length)
            let finalKey = rng.nextInt(below: keys)
            sequence[finalKeyPosition] = keyItem(finalKey)
            sequence[length - 1] = answerItem(finalKey, keys: keys)
            if earlierPairFits {
                // Retry a few times to avoid the final key's slot; rarely gives up.
                for _ in 0..<8 {
                    let start = rng.nextInt(below: length - 2 - lag)
                    if sequence[start] == 0 && sequence[start + lag] == 0 {
                        let key = rng.nextInt(below: keys)
                        sequence[start] = keyItem(key)
                        sequence[start + lag] = answerItem(key, keys: keys)
                        break
                    }
                }
            }
            var previousFiller: Int?
            for position in 0..<length where sequence[position] == 0 {
                let filler: Int
                if let previous = previousFiller, Double(rng.nextUnitFloat()) >= spec.noise {
                    filler = successors[previous][rng.nextInt(below: successorsPerFiller)]
                } else {
                    filler = rng.nextInt(below: fillerCount)
                }
                sequence[position] = Int32(firstFiller + filler)
                previousFiller = filler
            }
            sequences.append(sequence)
        }

        let parameters = SyntheticParameters(
            spec: spec, seed: seed, successorsPerFiller: successorsPerFiller, pairsPerUser: earlierPairFits ? 2 : 1,
            layout: "keys 1...\(keys), answers \(keys + 1)...\(2 * keys) (answer of key k = k + \(keys)), "
                + "fillers \(firstFiller)...\(spec.items); final key at position \(finalKeyPosition), answer last")
        let rawItemIds = [InteractionData.paddingRawId]
            + (1...keys).map { "key-\($0)" } + (1...keys).map { "answer-\($0)" } + (1...fillerCount).map { "filler-\($0)" }
        let stats = DatasetStats(sequences: sequences, numItems: spec.items, rawInteractions: spec.users * length,
                                 removed: FilterRemovals(), kCoreRounds: 0)
        return InteractionData(
            numUsers: spec.users, numItems: spec.items, sequences: sequences,
            ratings: sequences.map { [Float](repeating: 1, count: $0.count) },
            timestamps: sequences.map { $0.indices.map { Int64($0) } },
            rawItemIds: rawItemIds, rawUserIds: (1...spec.users).map { "user-\($0)" },
            stats: stats,
            source: DataSourceInfo(kind: .synthetic, name: "synthetic", generator: parameters))
    }

    static func validate(_ spec: SyntheticSpec) throws {
        func fail(_ reason: String) -> DataError { .invalidSynthetic(reason: reason) }
        guard spec.users >= 1 else { throw fail("users must be >= 1, found \(spec.users)") }
        guard spec.keys >= 1 else { throw fail("keys must be >= 1, found \(spec.keys)") }
        guard spec.lag >= 2 else { throw fail("lag must be >= 2, found \(spec.lag)") }
        guard spec.length >= spec.lag + 2 else {
            throw fail("length must be >= lag + 2 = \(spec.lag + 2), found \(spec.length)")
        }
        guard spec.items >= 2 * spec.keys + 2 else {
            throw fail("items must be >= 2 * keys + 2 = \(2 * spec.keys + 2) (keys, answers, and at least 2 fillers), "
                + "found \(spec.items)")
        }
        guard spec.noise >= 0 && spec.noise <= 1 else { throw fail("noise must be in [0, 1], found \(spec.noise)") }
    }
}
