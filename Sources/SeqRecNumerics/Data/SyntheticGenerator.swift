// Synthetic sequences with a planted long-range dependency, deterministic from the seed.
//
// Items: keys 1...K, answers K+1...2K (answer of key k is K+k), one query item 2K+1,
// fillers 2K+2...items. Each user has `length` events (timestamps 0..<length, rating 1),
// tiled with as many episodes of `lag + 2` events as fit. An episode at offset p is
//   p: key a, p+1: key b, p+lag-1: query, p+lag: answer of a, p+lag+1: answer of b,
// with fillers at every other offset. The last episode ends at the last event, so the
// leave-one-out validation and test targets of every user are the answers of its two keys,
// and every earlier episode gives training two more answer targets. The leftover events
// (length mod (lag + 2)) become filler gaps before and between episodes, at random.
//
// The query only says *when* answers are due (so no model has to count `lag` steps); *which*
// answer is due is fixed by a key exactly `lag` steps back, with random fillers in between.
// Keys are drawn independently, so the first answer says nothing about the second: a model
// that does not remember the keys can only guess among the K answers (hit rate 1/K).
// Fillers follow a first-order transition from the previous filler (each filler has a few
// fixed, random successors; with probability `noise` one is drawn uniformly instead); keys,
// query and answers do not interrupt the filler chain.

/// The generator's parameters as recorded in the report.
package struct SyntheticParameters: Sendable, Equatable, Codable {
    package var spec: SyntheticSpec
    package var seed: UInt64
    /// Successors of each filler in the sparse transition table.
    package var successorsPerFiller: Int
    /// Key/answer pairs per user: two per episode, `length / (lag + 2)` episodes (same for every user).
    package var pairsPerUser: Int
    package var layout: String
}

package enum SyntheticGenerator {
    /// Dense id of key `k` (0-based), of its answer, and of the query item that precedes each episode's answers.
    package static func keyItem(_ k: Int) -> Int32 { Int32(k + 1) }
    package static func answerItem(_ k: Int, keys: Int) -> Int32 { Int32(keys + k + 1) }
    package static func queryItem(keys: Int) -> Int32 { Int32(2 * keys + 1) }

    /// Events in one episode: two keys, `lag - 3` fillers, the query, two answers.
    package static func episodeLength(lag: Int) -> Int { lag + 2 }

    package static func generate(_ spec: SyntheticSpec, seed: UInt64) throws -> InteractionData {
        try validate(spec)
        var rng = SeededGenerator(seed: seed, stream: "synthetic")
        let keys = spec.keys, length = spec.length, lag = spec.lag
        let query = queryItem(keys: keys)
        let firstFiller = Int(query) + 1
        let fillerCount = spec.items - Int(query)
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

        let span = episodeLength(lag: lag)
        let episodes = length / span
        let slack = length - episodes * span
        var sequences: [[Int32]] = []
        sequences.reserveCapacity(spec.users)
        for _ in 0..<spec.users {
            var sequence = [Int32](repeating: 0, count: length)
            // gaps[i]: fillers before episode i; the last episode ends at the last event.
            var gaps = [Int](repeating: 0, count: episodes)
            for _ in 0..<slack { gaps[rng.nextInt(below: episodes)] += 1 }
            var start = 0
            for gap in gaps {
                start += gap
                let first = rng.nextInt(below: keys), second = rng.nextInt(below: keys)
                sequence[start] = keyItem(first)
                sequence[start + 1] = keyItem(second)
                sequence[start + lag - 1] = query
                sequence[start + lag] = answerItem(first, keys: keys)
                sequence[start + lag + 1] = answerItem(second, keys: keys)
                start += span
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
            spec: spec, seed: seed, successorsPerFiller: successorsPerFiller, pairsPerUser: 2 * episodes,
            layout: "keys 1...\(keys), answers \(keys + 1)...\(2 * keys) (answer of key k = k + \(keys)), "
                + "query \(query), fillers \(firstFiller)...\(spec.items); \(episodes) episode(s) of \(span) events "
                + "per user (key a, key b at p, p+1; query at p+\(lag - 1); answers of a, b at p+\(lag), p+\(lag + 1)), "
                + "the last ending at the last event, \(slack) filler(s) of random gaps")
        let rawItemIds = [InteractionData.paddingRawId]
            + (1...keys).map { "key-\($0)" } + (1...keys).map { "answer-\($0)" } + ["query"]
            + (1...fillerCount).map { "filler-\($0)" }
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
        // The query sits between the second key (offset 1) and the first answer (offset lag).
        guard spec.lag >= SyntheticSpec.minLag else { throw fail("lag must be >= \(SyntheticSpec.minLag), found \(spec.lag)") }
        guard spec.length >= episodeLength(lag: spec.lag) else {
            throw fail("length must be >= lag + 2 = \(episodeLength(lag: spec.lag)), found \(spec.length)")
        }
        guard spec.items >= 2 * spec.keys + 3 else {
            throw fail("items must be >= 2 * keys + 3 = \(2 * spec.keys + 3) "
                + "(keys, answers, the query, and at least 2 fillers), found \(spec.items)")
        }
        guard spec.noise >= 0 && spec.noise <= 1 else { throw fail("noise must be in [0, 1], found \(spec.noise)") }
    }
}
