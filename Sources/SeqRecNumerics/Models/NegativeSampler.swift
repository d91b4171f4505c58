// Draws the shared negatives of the sampled softmax, uniformly or by popularity, in O(1)
// per draw: popularity uses Walker/Vose alias tables built once, so no per-batch work
// depends on the catalogue size.

import Foundation

package struct NegativeSampler: Sendable {
    /// Items are 1...numItems (0 is padding and is never drawn).
    package let numItems: Int
    package let strategy: SamplingStrategy
    /// q(j): the probability of drawing item j in one draw, indexed by item id [V] (q(0) = 0).
    package let probabilities: [Double]
    // Alias tables over items 1...numItems, at index item - 1.
    private let acceptance: [Float]
    private let alias: [Int32]

    /// `itemCounts` is indexed by item id: [numItems + 1] with entry 0 ignored (it may be
    /// empty for `uniform`). Popularity sampling draws item j with probability
    /// q(j) = (count_j + 1) / sum_k (count_k + 1); the add-one keeps every item drawable and
    /// every log q finite (a target item never seen in the counts still gets a finite correction).
    package init(numItems: Int, strategy: SamplingStrategy, itemCounts: [Int]) {
        precondition(numItems >= 1, "sampler needs at least one item, got \(numItems)")
        self.numItems = numItems
        self.strategy = strategy
        var q = [Double](repeating: 0, count: numItems + 1)
        switch strategy {
        case .uniform:
            for item in 1...numItems { q[item] = 1 / Double(numItems) }
            acceptance = []
            alias = []
        case .popularity:
            precondition(itemCounts.count == numItems + 1,
                         "itemCounts must have numItems + 1 = \(numItems + 1) entries (indexed by item id), found \(itemCounts.count)")
            let total = itemCounts.dropFirst().reduce(0.0) { $0 + Double($1) + 1 }
            for item in 1...numItems { q[item] = (Double(itemCounts[item]) + 1) / total }
            (acceptance, alias) = Self.aliasTables(Array(q[1...]))
        }
        probabilities = q
    }

    /// One draw: an item id in 1...numItems.
    @inline(__always)
    package func sample(_ rng: inout SeededGenerator) -> Int32 {
        let slot = rng.nextInt(below: numItems)
        switch strategy {
        case .uniform:
            return Int32(slot + 1)
        case .popularity:
            return rng.nextUnitFloat() < acceptance[slot] ? Int32(slot + 1) : alias[slot] + 1
        }
    }

    /// Vose's alias method: slot i keeps itself with probability acceptance[i], else yields alias[i].
    private static func aliasTables(_ weights: [Double]) -> ([Float], [Int32]) {
        let n = weights.count
        var scaled = weights.map { $0 * Double(n) }
        var acceptance = [Float](repeating: 1, count: n)
        var alias = [Int32](repeating: 0, count: n)
        var small: [Int] = []
        var large: [Int] = []
        for (i, w) in scaled.enumerated() {
            if w < 1 { small.append(i) } else { large.append(i) }
        }
        while !small.isEmpty && !large.isEmpty {
            let s = small.removeLast()
            let l = large.removeLast()
            acceptance[s] = Float(scaled[s])
            alias[s] = Int32(l)
            scaled[l] = scaled[l] + scaled[s] - 1
            if scaled[l] < 1 { small.append(l) } else { large.append(l) }
        }
        // Leftovers (only through rounding) keep themselves.
        for i in small + large {
            acceptance[i] = 1
            alias[i] = Int32(i)
        }
        return (acceptance, alias)
    }
}
