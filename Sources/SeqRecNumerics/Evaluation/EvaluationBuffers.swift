// What ranking evaluation allocates per case, and the settings a catalogue cannot honour.
//
// Buffers grow with the cases (users) and with settings, never with a cut-off beyond the
// catalogue: a target's list position is at most N (the items), so discount tables and
// coverage top lists are sized by min(k, N) and a cut-off k >= N gives the metric at N
// exactly. Sampled candidates cannot exceed N - 1 (a target is never its own negative):
// asking for more is refused before anything is drawn, as the run would silently rank
// each user against everything unseen under a "sampled" label.

package enum EvaluationBuffers {
    /// The deepest list position a cut-off `k` needs over N items.
    static func depth(_ k: Int, numItems: Int) -> Int { min(k, numItems) }

    /// Bytes held by one `RankingPass` over `cases` per case set, times the two case sets
    /// (validation and test) a run holds together, plus the per-catalogue scratch rows.
    /// `cases` counts both sets.
    package static func bytes(_ spec: EvaluationSpec, numItems: Int, cases: Int) -> Double {
        let ranking = spec.metrics.filter(\.kind.isRanking)
        let perCase = ranking.filter { $0.kind != .coverage }.count
        let coverage = ranking.filter { $0.kind == .coverage }.compactMap(\.k).max().map { depth($0, numItems: numItems) } ?? 0
        let deepest = ranking.compactMap(\.k).max().map { depth($0, numItems: numItems) } ?? 0
        var negatives = 0
        if case .sampled(let count, _) = spec.candidates { negatives = min(count, numItems) }
        // Per case: metric values (Double), a scored flag, the coverage top list (Int32), the
        // negatives and the candidate lists that repeat them (Int32 each), about one target.
        let perCaseBytes = 8.0 * Double(perCase) + 1 + 4 * Double(coverage) + 8 * Double(negatives + 1)
        // Per catalogue: the exclusion mask (1 byte), the sampling stamps and the scratch row
        // (4 bytes each), the discount table (Double per position).
        let fixed = 9.0 * (Double(numItems) + 1) + 8 * Double(deepest + 1)
        return Double(cases) * perCaseBytes + fixed
    }

    /// Refuses evaluation settings the catalogue of `numItems` items cannot honour.
    package static func check(_ spec: EvaluationSpec, numItems: Int) throws(EvaluationSettingError) {
        if case .sampled(let count, _) = spec.candidates, count > numItems - 1 {
            throw EvaluationSettingError(keyPath: "evaluation.candidates", message:
                "expected at most \(max(numItems - 1, 0)) sampled negatives for a catalogue of \(numItems) items "
                + "(a target is never its own negative), found \(count); use 'candidates: all' to rank the whole catalogue")
        }
    }
}

/// An evaluation setting the loaded data cannot honour (the config alone could not tell).
package struct EvaluationSettingError: Error, Sendable, Equatable, CustomStringConvertible {
    package var keyPath: String
    package var message: String
    package var description: String { "\(keyPath): \(message)" }
}
