// Draws the fixed negatives of sampled evaluation: for every case, `count` distinct items the
// user has not interacted with (not in history, not a target), uniformly or in proportion to
// training popularity. Drawn once, in case order, from one seeded stream, so that every model
// evaluated with the same seed and cases ranks against the same items.

import Foundation

struct SampledNegatives: Sendable {
    /// Negatives of case c: items[offsets[c] ..< offsets[c + 1]].
    var items: [Int32]
    var offsets: [Int]

    /// - Parameters:
    ///   - numItems: N; items are 1 ... N.
    ///   - itemCounts: [N + 1] training counts (index 0 ignored); used by `.popularity` only.
    /// When a user has fewer than `count` eligible items, all of them are taken. Popularity
    /// sampling never picks a zero-count item while positive-count ones remain; it falls back
    /// to uniform over zero-count items only to fill up.
    static func draw(cases: [RankingCase], numItems: Int, count: Int, strategy: SamplingStrategy,
                     itemCounts: [Int], seed: UInt64) -> SampledNegatives {
        precondition(count > 0, "sampled evaluation needs count > 0, found \(count)")
        var generator = SeededGenerator(seed: seed, stream: "eval-negatives")
        var cumulative: [Double] = []
        if strategy == .popularity {
            precondition(itemCounts.count == numItems + 1,
                         "popularity sampling needs itemCounts of length \(numItems + 1), found \(itemCounts.count)")
            cumulative = [Double](repeating: 0, count: numItems + 1)  // cumulative[i] = sum of counts 1 ... i
            for item in stride(from: 1, through: numItems, by: 1) {
                cumulative[item] = cumulative[item - 1] + Double(max(0, itemCounts[item]))
            }
        }
        // stamp[item] == current case index + 1 marks an item excluded or already chosen.
        var stamp = [Int32](repeating: 0, count: numItems + 1)
        var items: [Int32] = []
        items.reserveCapacity(cases.count * min(count, numItems))  // no user has more than N candidates
        var offsets = [0]
        offsets.reserveCapacity(cases.count + 1)

        for (caseIndex, rankingCase) in cases.enumerated() {
            let mark = Int32(caseIndex + 1)
            var excluded = 0
            for item in rankingCase.history + rankingCase.targets where item >= 1 && Int(item) <= numItems {
                if stamp[Int(item)] != mark { stamp[Int(item)] = mark; excluded += 1 }
            }
            let wanted = min(count, numItems - excluded)
            let start = items.count
            // Rejection sampling is exact successive sampling without replacement; it is cut
            // short only when the user has seen most of the (popular) catalogue.
            var attempts = 0
            let attemptLimit = 8 * wanted + 64
            while items.count - start < wanted && attempts < attemptLimit {
                attempts += 1
                let item: Int
                switch strategy {
                case .uniform:
                    item = 1 + generator.nextInt(below: numItems)
                case .popularity:
                    guard let total = cumulative.last, total > 0 else { attempts = attemptLimit; continue }
                    item = upperBound(cumulative, unitDouble(&generator) * total)
                }
                if stamp[item] != mark {
                    stamp[item] = mark
                    items.append(Int32(item))
                }
            }
            let missing = wanted - (items.count - start)
            if missing > 0 {
                fillExactly(missing, into: &items, stamp: stamp, mark: mark, numItems: numItems,
                            weighted: strategy == .popularity, itemCounts: itemCounts, generator: &generator)
            }
            offsets.append(items.count)
        }
        return SampledNegatives(items: items, offsets: offsets)
    }

    /// Exact weighted sampling without replacement over the remaining eligible items
    /// (Efraimidis-Spirakis keys log(u) / w; zero-weight items rank after all positive ones).
    private static func fillExactly(_ missing: Int, into items: inout [Int32], stamp: [Int32], mark: Int32,
                                    numItems: Int, weighted: Bool, itemCounts: [Int],
                                    generator: inout SeededGenerator) {
        var keyed: [(tier: Int, key: Double, item: Int32)] = []
        for item in stride(from: 1, through: numItems, by: 1) where stamp[item] != mark {
            let logU = log(max(unitDouble(&generator), Double.leastNonzeroMagnitude))
            let weight = weighted ? Double(max(0, itemCounts[item])) : 1
            if weight > 0 {
                keyed.append((1, logU / weight, Int32(item)))
            } else {
                keyed.append((0, logU, Int32(item)))
            }
        }
        keyed.sort { ($0.tier, $0.key) > ($1.tier, $1.key) }
        for entry in keyed.prefix(missing) { items.append(entry.item) }
    }

    /// Uniform Double in [0, 1) with 53 random bits.
    private static func unitDouble(_ generator: inout SeededGenerator) -> Double {
        Double(generator.next() >> 11) * 0x1p-53
    }

    /// The smallest index i >= 1 with cumulative[i] > value (value in [0, cumulative.last)).
    private static func upperBound(_ cumulative: [Double], _ value: Double) -> Int {
        var low = 1
        var high = cumulative.count - 1
        while low < high {
            let middle = (low + high) / 2
            if cumulative[middle] > value { high = middle } else { low = middle + 1 }
        }
        return low
    }
}
