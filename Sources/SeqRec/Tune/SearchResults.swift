// A search's results so far, rewritten (under the search's lock) each time a trial ends:
// `trials.json` (its format_version; every trial: number, settings, state, epochs used,
// per-epoch objective, objective) and `best.yaml` (the best complete trial's settings over
// the tune file, as a grid over three seeds, to be run for test numbers).

import Foundation

public struct SearchSummary: Sendable, Codable {
    /// The layout of trials.json; a reader refuses a newer one (`compare` reads it).
    package static let currentFormatVersion = 1

    package var formatVersion: Int
    package var name: String
    public var objective: String
    package var direction: ObjectiveDirection
    public var trials: [TrialRecord]
    /// The best complete trial (a pruned one only when no trial completed).
    public var best: Int?
    public var epochsUsed: Int

    enum CodingKeys: String, CodingKey {
        case name, objective, direction, trials, best
        case epochsUsed = "epochs_used", formatVersion = "format_version"
    }
}

public enum SearchResults {
    /// The seeds best.yaml runs: the experiment's seed and the next two.
    static let bestSeeds = 3

    package static func summary(_ file: TuneFile, settings: TuneSettings, records: [TrialRecord]) -> SearchSummary {
        func bestOf(_ state: TrialRecord.State) -> TrialRecord? {
            records.filter { $0.state == state && $0.objective?.isFinite == true }.reduce(nil) { best, record in
                guard let best, let bestValue = best.objective, let value = record.objective else { return record }
                return settings.direction.isBetter(value, than: bestValue) ? record : best
            }
        }
        return SearchSummary(formatVersion: SearchSummary.currentFormatVersion, name: file.base.name,
                             objective: settings.objectiveName, direction: settings.direction,
                             trials: records, best: (bestOf(.complete) ?? bestOf(.pruned))?.number,
                             epochsUsed: records.reduce(0) { $0 + $1.epochsUsed })
    }

    static func write(_ file: TuneFile, settings: TuneSettings, directory: SearchDirectory) throws {
        let summary = summary(file, settings: settings, records: directory.records())
        let encoder = JSONEncoder()
        encoder.outputFormatting = [.prettyPrinted, .sortedKeys]
        try AtomicFile.write(try encoder.encode(summary) + Data("\n".utf8),
                             to: directory.url.appendingPathComponent(SearchDirectory.resultsFile))
        guard let best = summary.best, let record = summary.trials.first(where: { $0.number == best }) else { return }
        try AtomicFile.write(Data(bestConfig(file, record: record, directory: directory).utf8),
                             to: directory.url.appendingPathComponent(SearchDirectory.bestFile))
    }

    /// best.yaml: the tune file's experiment with the best trial's settings, over three seeds.
    package static func bestConfig(_ file: TuneFile, record: TrialRecord, directory: SearchDirectory) -> String {
        let seeds = (0..<UInt64(bestSeeds)).map { file.base.seed &+ $0 }
        let objective = record.objective.map { String(format: "%.4f", $0) } ?? "none"
        var text = TrialConfigFile.text(
            tuneFile: file.path, location: "\(directory.path)/\(SearchDirectory.bestFile)", name: "\(file.base.name)-best",
            outputDirectory: "\(directory.path)/best",
            settings: TrialConfigFile.settings(overrides: file.overrides, then: record.settings),
            comment: "The best trial so far of the search '\(file.base.name)': trial \(record.number), validation \(file.tune.objective) \(objective).\n`runner run` on this file trains it with \(bestSeeds) seeds (a grid) and reports their test metrics.")
        text += "grid:\n  seed: [\(seeds.map(String.init).joined(separator: ", "))]\n"
        return text
    }

    /// Why a failed trial failed, printed under its line: `  trial 3 failed: MESSAGE`.
    public static func failureLine(_ record: TrialRecord) -> String? {
        guard record.state == .failed else { return nil }
        return "  trial \(record.number) failed: \(record.message ?? "no message recorded")"
    }

    /// One line per ended trial: `trial   3  complete   12 epochs  ndcg@10 0.1234  model.dropout=0.2 ...`.
    public static func line(_ record: TrialRecord, objective: String) -> String {
        let state = record.state.rawValue.padding(toLength: 8, withPad: " ", startingAt: 0)
        let value = record.objective.map { String(format: "%@ %.4f", objective, $0) } ?? "\(objective) -"
        let pruned = record.prunedAfterEpoch.map { " (pruned after epoch \($0))" } ?? ""
        let settings = record.settings.map { "\($0.key)=\($0.value)" }.joined(separator: " ")
        return String(format: "trial %3d  %@ %4d epochs  %@%@  %@", record.number, state, record.epochsUsed, value, pruned, settings)
    }
}
