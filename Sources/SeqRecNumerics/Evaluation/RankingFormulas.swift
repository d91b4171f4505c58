// Per-case ranking metrics from the list positions of a case's targets.
//
// Positions come from the evaluator: each target t gets a rank r_t = 1 + the number of
// competing non-target candidates scoring >= t (pessimistic ties). Sorting the ranks and
// adding the number of targets ahead gives each target's position in the merged list:
// p_i = r_(i) + (i - 1) for i = 1 ... |T|. All metrics below use binary relevance.

import Foundation

enum RankingFormulas {
    /// 1 / log2(position + 1) for positions 1 ... maxPosition (index 0 unused).
    static func discounts(upTo maxPosition: Int) -> [Double] {
        var table = [Double](repeating: 0, count: maxPosition + 1)
        for position in stride(from: 1, through: maxPosition, by: 1) {
            table[position] = 1.0 / log2(Double(position) + 1.0)
        }
        return table
    }

    /// The value of `kind` at cut-off `k` for a case whose targets sit at `positions`
    /// (1-based, ascending, non-empty, at most N). `discounts` must cover positions up to min(k, N).
    static func value(_ kind: MetricKind, k: Int, positions: UnsafeBufferPointer<Int>,
                      discounts: [Double]) -> Double {
        let targetCount = positions.count
        var hits = 0
        while hits < targetCount && positions[hits] <= k { hits += 1 }
        switch kind {
        case .hr:
            return hits > 0 ? 1 : 0
        case .recall:
            return Double(hits) / Double(targetCount)
        case .precision:
            return Double(hits) / Double(k)
        case .mrr:
            return hits > 0 ? 1.0 / Double(positions[0]) : 0
        case .ndcg:
            var dcg = 0.0
            for index in 0..<hits { dcg += discounts[positions[index]] }
            var ideal = 0.0
            for position in stride(from: 1, through: min(targetCount, k), by: 1) { ideal += discounts[position] }
            return dcg / ideal
        case .map:
            // AP@k: precision at each hit's position (hits so far / position), normalised by
            // the most hits possible within k.
            var sum = 0.0
            for index in 0..<hits { sum += Double(index + 1) / Double(positions[index]) }
            return sum / Double(min(targetCount, k))
        case .coverage, .rmse, .mae:
            preconditionFailure("RankingFormulas: \(kind.rawValue) is not a per-case ranking metric")
        }
    }
}
