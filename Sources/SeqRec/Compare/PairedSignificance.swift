// Which pairs of configurations to test, and how per-user values are paired: by seed and user,
// pooled over the seeds both configurations ran, skipping pairs where either value is NaN.

import Foundation

extension ComparisonBuilder {
    static func significance(_ rows: [ConfigurationRow]) -> [SignificanceRow] {
        var result: [SignificanceRow] = []
        let rowsPerProtocol = Dictionary(grouping: rows.indices, by: { rows[$0].protocolIndex }).mapValues(\.count)
        for first in rows.indices {
            for second in rows.indices where second > first {
                let settings = [rows[first].settings, rows[second].settings]
                let families = settings.map { family(of: $0["model.cell"]) }
                let onlyPair = rows[first].protocolIndex == rows[second].protocolIndex
                    && rowsPerProtocol[rows[first].protocolIndex] == 2
                guard let key = testedDifference(ConfigSettings.differingSettings(settings),
                                                 acrossFamilies: families[0] != families[1],
                                                 onlyPairInProtocol: onlyPair) else { continue }
                result.append(pairedTest(rows, first, second, key: key))
            }
        }
        return result
    }

    /// The pairs worth a test: configurations that differ in one setting; models of two
    /// families (self-attention against a recurrent cell) whatever else of the model and its
    /// training each was tuned to; and the only two configurations of a protocol, whatever
    /// model and training settings set them apart (a tuned configuration against the one it
    /// was tuned from). Returns how the pair differs, for the table.
    static func testedDifference(_ differing: [String], acrossFamilies: Bool,
                                 onlyPairInProtocol: Bool = false) -> String? {
        if differing.count == 1, let key = differing.first { return ConfigSettings.displayPath(key) }
        guard differing.allSatisfy({ $0.hasPrefix("model.") || $0.hasPrefix("training.") }) else { return nil }
        let cell = "model.cell"
        if acrossFamilies, differing.contains(cell) {
            let others = differing.count - 1
            return "\(cell) (+ \(others) model/training setting\(others == 1 ? "" : "s"))"
        }
        guard onlyPairInProtocol, !differing.isEmpty else { return nil }
        return "\(differing.count) model/training settings"
    }

    /// The cell's family name ("attention", "recurrent", or the baseline's own name);
    /// an unknown cell is its own family.
    static func family(of cell: JSONValue?) -> String {
        guard case .string(let name) = cell else { return "" }
        return CellKind(rawValue: name)?.family.name ?? name
    }

    private static func pairedTest(_ rows: [ConfigurationRow], _ first: Int, _ second: Int,
                                   key: String) -> SignificanceRow {
        var row = SignificanceRow(first: first, second: second, differingKey: key, metric: nil, seeds: [],
                                  result: nil, skipReason: nil)
        guard rows[first].protocolIndex == rows[second].protocolIndex else {
            row.skipReason = "different protocols"
            return row
        }
        let secondBySeed = Dictionary(rows[second].runs.compactMap { run in run.perUser.map { (run.seed, $0) } },
                                      uniquingKeysWith: { kept, _ in kept })
        var differences: [Double] = []
        for run in rows[first].runs {
            guard let firstValues = run.perUser, let secondValues = secondBySeed[run.seed] else { continue }
            guard firstValues.metric == secondValues.metric else {
                row.skipReason = "per-user metrics differ (\(firstValues.metric) vs \(secondValues.metric))"
                return row
            }
            row.metric = firstValues.metric
            row.seeds.append(run.seed)
            differences += pairedDifferences(firstValues, secondValues)
        }
        guard !row.seeds.isEmpty else {
            row.skipReason = "no seed with per-user values in both"
            return row
        }
        guard !differences.isEmpty else {
            row.skipReason = "no user with finite values in both"
            return row
        }
        row.result = PairedTests.run(differences: differences)
        return row
    }

    /// first - second for every user in both with finite values, in `first`'s order.
    static func pairedDifferences(_ first: PerUserValues, _ second: PerUserValues) -> [Double] {
        var secondByUser: [Int32: Float] = [:]
        for (user, value) in zip(second.users, second.values) { secondByUser[user] = value }
        var differences: [Double] = []
        for (user, value) in zip(first.users, first.values) {
            guard let other = secondByUser[user], value.isFinite, other.isFinite else { continue }
            differences.append(Double(value) - Double(other))
        }
        return differences
    }
}
