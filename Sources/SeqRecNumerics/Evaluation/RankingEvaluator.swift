// Ranking metrics over score rows: the model-independent half of evaluation.
//
// Rule (see docs/reports.md, "How ranking metrics are computed"): each target of a case is ranked against the competing
// candidates, which are
//   - full ranking (`candidates: all`): every item 1 ... N that is not a target and, with
//     `exclude_seen`, not in the history (a target is never excluded, even if seen);
//   - sampled: the case's fixed negatives (never seen, never a target).
// Ties are pessimistic: rank = 1 + #competitors with score >= the target's score.
// NaN scores count as -infinity. With several targets, target i (best first) sits at list
// position rank_i + (i - 1), and the metrics use these positions with binary relevance.

/// Accumulates per-case ranking metrics from score rows fed in any batch size.
/// Not thread-safe: feed it from one thread.
public final class RankingEvaluator {
    public let cases: [RankingCase]
    /// N: items are 1 ... N; score rows have V = N + 1 columns (column 0 = padding, never ranked).
    public let numItems: Int
    public let spec: EvaluationSpec

    /// Metrics with one value per case (all ranking metrics except coverage), deduplicated.
    private let perCaseMetrics: [MetricSpec]
    /// Distinct coverage cut-offs, ascending.
    private let coverageCutoffs: [Int]
    private let coverageDepth: Int
    private let discounts: [Double]

    /// Targets of case c: targetItems[targetOffsets[c] ..< targetOffsets[c + 1]] (deduplicated).
    private let targetItems: [Int32]
    private let targetOffsets: [Int]
    /// Full ranking only: the seen non-target items removed from case c's candidates.
    private let excludedItems: [Int32]
    private let excludedOffsets: [Int]
    private let negatives: SampledNegatives?

    /// [perCaseMetrics.count, cases.count], metric-major.
    private var values: [Double]
    private var scored: [Bool]
    /// [cases.count, coverageDepth] best-first top lists for coverage, 0 = no item.
    private var topLists: [Int32]

    // Per-row scratch.
    private var ranks: [Int] = []
    private var selector: TopKSelector
    private var excludedMask: [Bool]
    /// [V] one case's candidate scores at their columns (sampled candidates only).
    private var scratchRow: [Float]

    /// - Parameters:
    ///   - numItems: catalogue size N (scores have V = N + 1 columns; column 0 = padding).
    ///   - itemCounts: training popularity [V]; needed only for popularity-sampled negatives.
    ///   - seed: sampled negatives are drawn once here from `SeededGenerator(seed:, stream:
    ///     "eval-negatives")`, so every model compared with the same seed and cases sees the same.
    /// Rating metrics (rmse, mae) in `spec.metrics` are ignored here (see `RatingMetrics`).
    public init(cases: [RankingCase], numItems: Int, spec: EvaluationSpec, itemCounts: [Int], seed: UInt64) {
        precondition(numItems > 0, "RankingEvaluator: numItems must be > 0, found \(numItems)")
        self.cases = cases
        self.numItems = numItems
        self.spec = spec

        var seen = Set<String>()
        var perCase: [MetricSpec] = []
        var cutoffs = Set<Int>()
        for metric in spec.metrics where metric.kind.isRanking && seen.insert(metric.description).inserted {
            let k = metric.k ?? 0
            precondition(k > 0, "RankingEvaluator: \(metric) needs a cut-off k > 0")
            if metric.kind == .coverage { cutoffs.insert(k) } else { perCase.append(metric) }
        }
        perCaseMetrics = perCase
        coverageCutoffs = cutoffs.sorted()
        // No list position exceeds N: a cut-off beyond the catalogue needs only N entries.
        coverageDepth = EvaluationBuffers.depth(coverageCutoffs.last ?? 0, numItems: numItems)
        discounts = RankingFormulas.discounts(upTo: EvaluationBuffers.depth(perCase.compactMap(\.k).max() ?? 1, numItems: numItems))

        var targets: [Int32] = []
        var targetStarts = [0]
        var excluded: [Int32] = []
        var excludedStarts = [0]
        let fullRanking = !spec.candidates.isSampled
        for rankingCase in cases {
            var caseTargets = Set<Int32>()
            for item in rankingCase.targets where caseTargets.insert(item).inserted {
                precondition(item >= 1 && Int(item) <= numItems,
                             "RankingEvaluator: user \(rankingCase.user) has target \(item), expected 1...\(numItems)")
                targets.append(item)
            }
            targetStarts.append(targets.count)
            if fullRanking && spec.excludeSeen {
                var caseExcluded = Set<Int32>()
                for item in rankingCase.history where item != 0 && !caseTargets.contains(item) {
                    precondition(item >= 1 && Int(item) <= numItems,
                                 "RankingEvaluator: user \(rankingCase.user) has history item \(item), expected 1...\(numItems)")
                    if caseExcluded.insert(item).inserted { excluded.append(item) }
                }
            }
            excludedStarts.append(excluded.count)
        }
        targetItems = targets
        targetOffsets = targetStarts
        excludedItems = excluded
        excludedOffsets = excludedStarts

        switch spec.candidates {
        case .all:
            negatives = nil
        case .sampled(let count, let strategy):
            negatives = SampledNegatives.draw(cases: cases, numItems: numItems, count: count, strategy: strategy,
                                              itemCounts: itemCounts, seed: seed)
        }

        values = [Double](repeating: .nan, count: perCase.count * cases.count)
        scored = [Bool](repeating: false, count: cases.count)
        topLists = [Int32](repeating: 0, count: coverageDepth * cases.count)
        selector = TopKSelector(capacity: coverageDepth)
        excludedMask = [Bool](repeating: false, count: numItems + 1)
        scratchRow = negatives == nil ? [] : [Float](repeating: 0, count: numItems + 1)
    }

    /// The fixed negatives of case `index` (empty under full ranking).
    public func negatives(ofCase index: Int) -> ArraySlice<Int32> {
        guard let negatives else { return [] }
        return negatives.items[negatives.offsets[index] ..< negatives.offsets[index + 1]]
    }

    /// Under sampled candidates, the items whose scores decide the metrics of cases
    /// [range]: each case's targets, then its negatives (nil under full ranking, which reads
    /// whole rows). Scores of these alone feed `accumulate(candidateScores:rows:offset:)`.
    package func candidateLists(_ range: Range<Int>) -> CandidateLists? {
        guard negatives != nil else { return nil }
        var lists = CandidateLists()
        for index in range {
            lists.append(row: targetItems[targetOffsets[index] ..< targetOffsets[index + 1]] + negatives(ofCase: index))
        }
        return lists
    }

    /// Feeds the scores of `candidateLists(offset ..< offset + rows)`, flat in their order.
    /// Each row's scores are placed at their items' columns of a scratch row, and the case is
    /// evaluated from it: a sampled case reads only its targets' and negatives' columns, so
    /// the other columns are never looked at.
    public func accumulate(candidateScores scores: [Float], lists: CandidateLists, offset: Int) {
        precondition(negatives != nil, "RankingEvaluator: candidate scores need sampled candidates")
        precondition(scores.count == lists.items.count && offset + lists.rows <= cases.count,
                     "RankingEvaluator: \(scores.count) scores for \(lists.items.count) candidates")
        scratchRow.withUnsafeMutableBufferPointer { row in
            guard let base = row.baseAddress else { return }
            for list in 0..<lists.rows {
                for index in lists.offsets[list] ..< lists.offsets[list + 1] { base[Int(lists.items[index])] = scores[index] }
                evaluateCase(offset + list, scores: base)
            }
        }
    }

    /// Forgets all scored rows (keeps the cases and negatives), e.g. before the next epoch.
    public func reset() {
        for index in values.indices { values[index] = .nan }
        for index in scored.indices { scored[index] = false }
        for index in topLists.indices { topLists[index] = 0 }
    }

    /// Feeds scores for cases[offset ..< offset + rows], row-major [rows, V]. Any batch size;
    /// scoring a case again replaces its values.
    package func accumulate(scores: UnsafeBufferPointer<Float>, rows: Int, offset: Int) {
        let width = numItems + 1
        precondition(rows >= 0 && offset >= 0 && offset + rows <= cases.count,
                     "RankingEvaluator: rows \(offset)..<\(offset + rows) outside 0..<\(cases.count)")
        precondition(scores.count >= rows * width,
                     "RankingEvaluator: \(scores.count) scores for \(rows) rows of width \(width)")
        guard let base = scores.baseAddress else { return }
        for row in 0..<rows {
            evaluateCase(offset + row, scores: base + row * width)
        }
    }

    /// Array convenience for `accumulate(scores:rows:offset:)`.
    public func accumulate(scores: [Float], rows: Int, offset: Int) {
        scores.withUnsafeBufferPointer { accumulate(scores: $0, rows: rows, offset: offset) }
    }

    /// Means over the cases scored so far that have targets, plus coverage over all scored cases.
    public func result() -> EvaluationResult {
        let caseCount = cases.count
        var evaluated = 0
        for index in 0..<caseCount where scored[index] && targetOffsets[index + 1] > targetOffsets[index] {
            evaluated += 1
        }
        var metrics: [String: Double] = [:]
        var perUser: [String: [Float]] = [:]
        for (metricIndex, metric) in perCaseMetrics.enumerated() {
            let row = values[metricIndex * caseCount ..< (metricIndex + 1) * caseCount]
            var sum = 0.0
            for value in row where !value.isNaN { sum += value }
            metrics[metric.description] = evaluated > 0 ? sum / Double(evaluated) : .nan
            perUser[metric.description] = row.map { Float($0) }
        }
        for cutoff in coverageCutoffs {
            var covered = [Bool](repeating: false, count: numItems + 1)
            var distinct = 0
            for index in 0..<caseCount where scored[index] {
                let start = index * coverageDepth
                for item in topLists[start ..< start + min(cutoff, coverageDepth)] where item != 0 && !covered[Int(item)] {
                    covered[Int(item)] = true
                    distinct += 1
                }
            }
            metrics["coverage@\(cutoff)"] = Double(distinct) / Double(numItems)
        }
        return EvaluationResult(metrics: metrics, sampled: spec.candidates.isSampled,
                                candidates: spec.candidates.label, perUser: perUser,
                                users: cases.map(\.user), evaluatedCases: evaluated)
    }

    // MARK: - One row

    /// Counts entries of row[0 ..< count] that are >= threshold (NaN entries never are).
    @inline(__always)
    private static func countAtLeast(_ threshold: Float, _ row: UnsafePointer<Float>, _ count: Int) -> Int {
        var total = 0
        for index in 0..<count where row[index] >= threshold { total &+= 1 }
        return total
    }

    @inline(__always)
    private static func sanitized(_ score: Float) -> Float { score.isNaN ? -Float.infinity : score }

    private func evaluateCase(_ index: Int, scores row: UnsafePointer<Float>) {
        scored[index] = true
        let targets = targetItems[targetOffsets[index] ..< targetOffsets[index + 1]]
        let excluded = excludedItems[excludedOffsets[index] ..< excludedOffsets[index + 1]]
        let caseNegatives = negatives(ofCase: index)
        if coverageDepth > 0 { selectTop(index, row: row, targets: targets, excluded: excluded, negatives: caseNegatives) }
        if targets.isEmpty { return }

        ranks.removeAll(keepingCapacity: true)
        let fullRanking = negatives == nil
        let competitors = fullRanking ? numItems - excluded.count - targets.count : caseNegatives.count
        for target in targets {
            let score = Self.sanitized(row[Int(target)])
            var above = 0
            if score == -Float.infinity {
                above = competitors  // every competitor is >= -infinity
            } else if fullRanking {
                // One vectorised pass over items 1...N, then remove what is not a competitor:
                // the excluded seen items and the targets (this one included) scoring >= it.
                above = Self.countAtLeast(score, row + 1, numItems)
                for item in excluded where row[Int(item)] >= score { above -= 1 }
                for item in targets where row[Int(item)] >= score { above -= 1 }
            } else {
                for item in caseNegatives where row[Int(item)] >= score { above += 1 }
            }
            ranks.append(1 + above)
        }
        ranks.sort()
        for position in ranks.indices { ranks[position] += position }
        let caseCount = cases.count
        ranks.withUnsafeBufferPointer { positions in
            for (metricIndex, metric) in perCaseMetrics.enumerated() {
                values[metricIndex * caseCount + index] =
                    RankingFormulas.value(metric.kind, k: metric.k ?? 0, positions: positions, discounts: discounts)
            }
        }
    }

    /// Stores the case's best `coverageDepth` candidates (targets are candidates too).
    private func selectTop(_ index: Int, row: UnsafePointer<Float>, targets: ArraySlice<Int32>,
                           excluded: ArraySlice<Int32>, negatives caseNegatives: ArraySlice<Int32>) {
        // Work on local copies: class-stored arrays would pay an exclusivity check per item.
        var selector = TopKSelector(capacity: 0)
        swap(&selector, &self.selector)
        defer { swap(&selector, &self.selector) }
        selector.reset()
        if negatives == nil {
            var mask: [Bool] = []
            swap(&mask, &excludedMask)
            defer { swap(&mask, &excludedMask) }
            for item in excluded { mask[Int(item)] = true }
            mask.withUnsafeBufferPointer { isExcluded in
                for item in 1...numItems where !isExcluded[item] {
                    selector.offer(item: Int32(item), score: row[item])
                }
            }
            for item in excluded { mask[Int(item)] = false }
        } else {
            for item in targets { selector.offer(item: item, score: row[Int(item)]) }
            for item in caseNegatives { selector.offer(item: item, score: row[Int(item)]) }
        }
        let start = index * coverageDepth
        for position in 0..<coverageDepth { topLists[start + position] = 0 }
        for (position, item) in selector.sortedItems().enumerated() { topLists[start + position] = item }
    }
}
