// The comparison of many runs: one row per configuration (seeds grouped), the runs left out,
// and paired significance tests between configurations that differ in one setting.

import Foundation

/// Mean and spread of one quantity over the seeds of a configuration (finite values only).
package struct ValueSummary: Sendable, Equatable {
    package var count: Int
    package var mean: Double
    /// Sample standard deviation (n - 1); nil for a single value.
    package var standardDeviation: Double?
    package var minimum: Double
    package var maximum: Double

    package init?(_ values: [Double]) {
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
    /// The configs' own `label:`, else the settings that set this configuration apart
    /// among the rows of its protocol (`cell=gru, hidden_size=100`), else the run name.
    package var label: String
    /// Flattened config without seed, name, label and output (of the first run: runs that
    /// differ only in settings their model ignores, `CellKind.reads(setting:)`, are one row).
    package var settings: [String: JSONValue]
    /// Index into `Comparison.protocols`.
    package var protocolIndex: Int
    /// The `ok` runs, one per seed, by seed.
    package var runs: [LoadedRun]
    /// The seeds the row pools, ascending (nil: a config without a seed).
    package var seeds: [UInt64?] { runs.map(\.seed) }
    /// Every run is a `runner evaluate` file: its history (curves, epoch times) was measured
    /// under the training's protocol, not the row's.
    package var isReEvaluation: Bool { runs.allSatisfy { $0.evaluationFile != nil } }
    /// `settings` without those the model ignores.
    package var readSettings: [String: JSONValue] { ConfigSettings.read(by: settings) }
    /// Test metric name -> summary over seeds.
    package var metrics: [String: ValueSummary]
    package var bestEpoch: ValueSummary?
    /// Per run: mean epoch wall time over its history.
    package var secondsPerEpoch: ValueSummary?
    package var totalSeconds: ValueSummary?
    /// Distinct parameter counts of the runs (one unless something is off).
    package var parameterCounts: [Int]
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
package struct SignificanceRow: Sendable {
    /// Row indices; differences are first - second.
    package var first: Int
    package var second: Int
    /// The one differing setting (`model.cell`).
    package var differingKey: String
    /// Per-user metric compared.
    package var metric: String?
    /// Seeds present in both rows with per-user values.
    package var seeds: [UInt64?]
    /// Nil when not tested; `skipReason` says why.
    package var result: PairedTestResult?
    package var skipReason: String?
}

public struct Comparison: Sendable {
    public var rows: [ConfigurationRow]
    package var protocols: [EvaluationProtocol]
    /// Test metric columns, in display order.
    package var metricNames: [String]
    public var excluded: [ExcludedRun]
    package var significance: [SignificanceRow]
    /// Per protocol: `path=value` of the settings its rows share (where their models read
    /// them), which the labels leave out.
    package var sharedSettings: [[String]] = []

    package var mixesProtocols: Bool { protocols.count > 1 }

    /// Names the protocol fields that differ, with their values:
    /// `rows use different protocols (candidates: all, sampled-100-uniform): their numbers are not comparable`.
    package var protocolWarning: String {
        var names: [String] = []
        for field in protocols.flatMap(\.fields) where !names.contains(field.name) { names.append(field.name) }
        let differing = names.compactMap { name -> String? in
            var values: [String] = []
            for value in protocols.map({ $0.fields.first { $0.name == name }?.value ?? "-" }) where !values.contains(value) {
                values.append(value)
            }
            return values.count > 1 ? "\(name): \(values.joined(separator: " vs "))" : nil
        }
        return "rows use different protocols (\(differing.joined(separator: "; "))): their numbers are not comparable"
    }

    /// `P1`, `P2`, ...
    package func protocolID(_ index: Int) -> String { "P\(index + 1)" }

    package func protocolDescription(_ index: Int) -> String { protocols[index].describe(among: protocols) }

    /// Lower is better for error metrics; higher for everything else.
    package static func lowerIsBetter(_ metric: String) -> Bool {
        let kind = metric.split(separator: "@").first.map(String.init) ?? metric
        return ["rmse", "mae", "loss"].contains(kind)
    }

    /// True when `row`'s mean of `metric` is the best among rows of the same protocol (ties
    /// all best), and at least two such rows have the metric.
    package func isBest(row index: Int, metric: String) -> Bool {
        let row = rows[index]
        guard let value = row.metrics[metric]?.mean else { return false }
        let peers = rows.filter { $0.protocolIndex == row.protocolIndex }.compactMap { $0.metrics[metric]?.mean }
        guard peers.count >= 2 else { return false }
        return Self.lowerIsBetter(metric) ? value <= peers.min() ?? value : value >= peers.max() ?? value
    }
}
