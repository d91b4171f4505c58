// Paired significance tests over per-user differences, matching scipy:
// `ttest_rel` (two-sided) and `wilcoxon(d, zero_method="wilcox", correction=False,
// method="asymptotic")` (called `method="approx"` before scipy 1.13).

import Foundation

package struct PairedTestResult: Sendable, Equatable {
    /// Pairs tested (both values finite).
    package var count: Int
    /// Mean of first - second.
    package var meanDifference: Double
    /// Cohen's d_z: mean difference / sample standard deviation of the differences; nil when
    /// every difference is equal.
    package var effectSize: Double?
    /// Paired t statistic and its two-sided p-value (df = n - 1); nil when undefined (n < 2,
    /// or all differences zero).
    package var tStatistic: Double?
    package var tTestP: Double?
    /// Pairs left after dropping zero differences, the z of the signed-rank sum, and its
    /// two-sided p-value; nil when no non-zero difference is left.
    package var wilcoxonCount: Int
    package var wilcoxonZ: Double?
    package var wilcoxonP: Double?
}

package enum PairedTests {
    /// Both tests on `differences` (first - second). Non-finite differences must be removed
    /// by the caller.
    package static func run(differences: [Double]) -> PairedTestResult {
        let n = differences.count
        let mean = n > 0 ? differences.reduce(0, +) / Double(n) : .nan
        var result = PairedTestResult(count: n, meanDifference: mean, effectSize: nil, tStatistic: nil, tTestP: nil,
                                      wilcoxonCount: 0, wilcoxonZ: nil, wilcoxonP: nil)
        if n >= 2 {
            let variance = differences.reduce(0) { $0 + ($1 - mean) * ($1 - mean) } / Double(n - 1)
            let deviation = variance.squareRoot()
            if deviation > 0 {
                result.effectSize = mean / deviation
                let t = mean / (deviation / Double(n).squareRoot())
                result.tStatistic = t
                result.tTestP = SpecialFunctions.studentTTwoSided(t, degreesOfFreedom: Double(n - 1))
            } else if mean != 0 {
                // Constant non-zero differences: scipy reports t = +-inf, p = 0.
                result.tStatistic = mean > 0 ? .infinity : -.infinity
                result.tTestP = 0
            }
        }
        let wilcoxon = signedRank(differences)
        result.wilcoxonCount = wilcoxon.count
        result.wilcoxonZ = wilcoxon.z
        result.wilcoxonP = wilcoxon.z.map(SpecialFunctions.normalTwoSided)
        return result
    }

    /// Wilcoxon signed-rank z: zeros dropped, average ranks of |d| for ties, variance reduced
    /// by sum(t^3 - t) / 48 over tie groups, no continuity correction.
    static func signedRank(_ differences: [Double]) -> (count: Int, z: Double?) {
        let nonZero = differences.filter { $0 != 0 }
        let n = nonZero.count
        guard n > 0 else { return (0, nil) }
        let order = nonZero.indices.sorted { abs(nonZero[$0]) < abs(nonZero[$1]) }
        var positiveRankSum = 0.0
        var tieCorrection = 0.0
        var start = 0
        while start < n {
            var end = start + 1
            while end < n, abs(nonZero[order[end]]) == abs(nonZero[order[start]]) { end += 1 }
            // Positions start..<end share the average of ranks start+1 ... end.
            let averageRank = Double(start + 1 + end) / 2
            for position in start..<end where nonZero[order[position]] > 0 { positiveRankSum += averageRank }
            let tied = Double(end - start)
            tieCorrection += tied * tied * tied - tied
            start = end
        }
        let count = Double(n)
        let expected = count * (count + 1) / 4
        let variance = (count * (count + 1) * (2 * count + 1) - tieCorrection / 2) / 24
        guard variance > 0 else { return (n, nil) }
        return (n, (positiveRankSum - expected) / variance.squareRoot())
    }
}
