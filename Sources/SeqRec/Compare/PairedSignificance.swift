// Which pairs of configurations to test, and how per-user values are paired: by seed and user,
// pooled over the seeds both configurations ran, skipping pairs where either value is NaN.

import Foundation

extension ComparisonBuilder {
    static func significance(_ rows: [ConfigurationRow]) -> [SignificanceRow] {
        var result: [SignificanceRow] = []
        for first in rows.indices {
            for second in rows.indices where second > first {
                let differing = ConfigSettings.differingPaths([rows[first].settings, rows[second].settings])
                guard differing.count == 1, let key = differing.first else { continue }
                result.append(pairedTest(rows, first, second, key: ConfigSettings.displayPath(key)))
            }
        }
        return result
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
