// The comparison of many runs: one row per configuration (seeds grouped), the runs left out,
// and paired significance tests between configurations that differ in one setting.

import Foundation

/// Mean and spread of one quantity over the seeds of a configuration (finite values only).
public struct ValueSummary: Sendable, Equatable {
    public var count: Int
    public var mean: Double
    /// Sample standard deviation (n - 1); nil for a single value.
    public var standardDeviation: Double?
    public var minimum: Double
    public var maximum: Double

    public init?(_ values: [Double]) {
        let finite = values.filter(\.isFinite)
        guard let first = finite.first else { return nil }
        count = finite.count
        mean = finite.reduce(0, +) / Double(count)
        let mean = self.mean
        standardDeviation = count > 1
            ? (finite.reduce(0) { $0 + ($1 - mean) * ($1 - mean) } / Double(count - 1)).squareRoot() : nil
        minimum = finite.reduce(first, min)
        maximum = finite.reduce(first, max)
    }
}

public struct ConfigurationRow: Sendable {
    /// The settings that set this configuration apart (`cell=gru, hidden_size=100`), or the
    /// run name when nothing does.
    public var label: String
    /// Flattened config without seed, name and output.
    public var settings: [String: JSONValue]
    /// Index into `Comparison.protocols`.
    public var protocolIndex: Int
    /// The `ok` runs, one per seed, by seed.
    public var runs: [LoadedRun]
    /// Test metric name -> summary over seeds.
    public var metrics: [String: ValueSummary]
    public var bestEpoch: ValueSummary?
    /// Per run: mean epoch wall time over its history.
    public var secondsPerEpoch: ValueSummary?
    public var totalSeconds: ValueSummary?
    /// Distinct parameter counts of the runs (one unless something is off).
    public var parameterCounts: [Int]
}

/// A run that is not in the table, and why.
public struct ExcludedRun: Sendable {
    public var run: LoadedRun
    public var reason: String
    /// The report itself is wrong (a metric out of its range), not merely a run that did not
    /// finish or was superseded: `runner compare` exits non-zero.
    public var isInvalid: Bool = false
    /// An evaluation file that no longer describes the run's model: `runner compare` says so
    /// on stderr, and carries on.
    public var isStale: Bool = false
}

/// A paired comparison of two rows that differ in exactly one setting.
public struct SignificanceRow: Sendable {
    /// Row indices; differences are first - second.
    public var first: Int
    public var second: Int
    /// The one differing setting (`model.cell`).
    public var differingKey: String
    /// Per-user metric compared.
    public var metric: String?
    /// Seeds present in both rows with per-user values.
    public var seeds: [UInt64?]
    /// Nil when not tested; `skipReason` says why.
    public var result: PairedTestResult?
    public var skipReason: String?
}

public struct Comparison: Sendable {
    public var rows: [ConfigurationRow]
    public var protocols: [EvaluationProtocol]
    /// Test metric columns, in display order.
    public var metricNames: [String]
    public var excluded: [ExcludedRun]
    public var significance: [SignificanceRow]

    public var mixesProtocols: Bool { protocols.count > 1 }

    public static let protocolWarning =
        "rows use different protocols: sampled and full-ranking numbers are not comparable"

    /// `P1`, `P2`, ...
    public func protocolID(_ index: Int) -> String { "P\(index + 1)" }

    public func protocolDescription(_ index: Int) -> String { protocols[index].describe(among: protocols) }

    /// Lower is better for error metrics; higher for everything else.
    public static func lowerIsBetter(_ metric: String) -> Bool {
        let kind = metric.split(separator: "@").first.map(String.init) ?? metric
        return ["rmse", "mae", "loss"].contains(kind)
    }

    /// True when `row`'s mean of `metric` is the best among rows of the same protocol (ties
    /// all best), and at least two such rows have the metric.
    public func isBest(row index: Int, metric: String) -> Bool {
        let row = rows[index]
        guard let value = row.metrics[metric]?.mean else { return false }
        let peers = rows.filter { $0.protocolIndex == row.protocolIndex }.compactMap { $0.metrics[metric]?.mean }
        guard peers.count >= 2 else { return false }
        return Self.lowerIsBetter(metric) ? value <= peers.min() ?? value : value >= peers.max() ?? value
    }
}
