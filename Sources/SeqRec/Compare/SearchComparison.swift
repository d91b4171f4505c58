// `runner compare` on a search directory (`runner tune`'s output.dir): a table of its trials
// (settings, state, epochs used, validation objective, where pruned) in markdown, and an HTML
// page with the objective against the trial number and the best so far. It reads
// `trials.json` with its own view of the fields it shows, as it reads reports.

import Foundation

/// Why a search directory cannot be compared: the file (relative to the directory) and what
/// is wrong with it.
public struct SearchComparisonError: Error, Sendable, CustomStringConvertible {
    public var description: String
}

public struct SearchComparison: Sendable {
    struct Setting: Decodable, Sendable {
        var key: String
        var value: String
    }

    struct Trial: Decodable, Sendable {
        var number: Int
        var settings: [Setting]
        var state: String
        var objective: Double?
        var epochsUsed: Int
        var prunedAfterEpoch: Int?

        enum CodingKeys: String, CodingKey {
            case number, settings, state, objective
            case epochsUsed = "epochs_used", prunedAfterEpoch = "pruned_after_epoch"
        }
    }

    struct Summary: Decodable, Sendable {
        /// The layout of the file; a file without it is read as layout 1.
        var formatVersion: Int?
        var name: String
        var objective: String
        var direction: String
        var trials: [Trial]
        var best: Int?
        var epochsUsed: Int

        enum CodingKeys: String, CodingKey {
            case name, objective, direction, trials, best
            case epochsUsed = "epochs_used", formatVersion = "format_version"
        }
    }

    /// The search directory as given.
    package var directory: String
    let summary: Summary

    package static let resultsFile = "trials.json"
    package static let identityFile = SearchIdentity.fileName
    /// The newest layout of trials.json this reader knows.
    package static let supportedFormatVersion = 1

    /// Whether `path` is a search directory: it has a search's record or its results (a
    /// directory with one of them and not the other is a search that `init` refuses, naming
    /// the missing file, rather than a directory of reports).
    public static func isSearchDirectory(_ path: String) -> Bool {
        let manager = FileManager.default
        return manager.fileExists(atPath: (path as NSString).appendingPathComponent(identityFile))
            || manager.fileExists(atPath: (path as NSString).appendingPathComponent(resultsFile))
    }

    /// Reads the search in `directory`; the error names the file and what is wrong with it.
    public init(directory: String) throws(SearchComparisonError) {
        self.directory = directory
        let base = WorkingDirectory.url(directory)
        let identity = try Self.read(base.appendingPathComponent(Self.identityFile), name: Self.identityFile,
                                     missing: "runner tune writes it as the search starts, so this is not a whole search directory")
        do {
            _ = try JSONDecoder().decode(SearchIdentity.self, from: identity)
        } catch {
            throw SearchComparisonError(description: "\(Self.identityFile) is not a search's record: \(ReportReader.describe(error))")
        }
        let results = try Self.read(base.appendingPathComponent(Self.resultsFile), name: Self.resultsFile,
                                    missing: "no trial of the search has ended yet")
        let decoded: Summary
        do {
            decoded = try JSONDecoder().decode(Summary.self, from: results)
        } catch {
            throw SearchComparisonError(description: "\(Self.resultsFile) is not a search's results: \(ReportReader.describe(error))")
        }
        let version = decoded.formatVersion ?? 1
        guard (1...Self.supportedFormatVersion).contains(version) else {
            throw SearchComparisonError(description: "\(Self.resultsFile) has format_version \(version), expected 1 to "
                                        + "\(Self.supportedFormatVersion) (a newer seqrec wrote it?)")
        }
        summary = decoded
    }

    private static func read(_ url: URL, name: String, missing: String) throws(SearchComparisonError) -> Data {
        guard FileManager.default.fileExists(atPath: url.path) else {
            throw SearchComparisonError(description: "\(name) is missing: \(missing)")
        }
        do throws(RegularFileError) {
            return try RegularFile.read(url)
        } catch {
            throw SearchComparisonError(description: "cannot read \(name): \(error.reason)")
        }
    }

    /// The best value so far after each trial, in trial order (complete trials only).
    var bestSoFar: [(trial: Int, value: Double)] {
        var best: Double?
        var points: [(Int, Double)] = []
        for trial in summary.trials {
            if trial.state == "complete", let value = trial.objective, value.isFinite {
                if let current = best {
                    best = summary.direction == "minimize" ? min(current, value) : max(current, value)
                } else {
                    best = value
                }
            }
            if let best { points.append((trial.number, best)) }
        }
        return points
    }

    var keys: [String] {
        var keys: [String] = []
        for trial in summary.trials { for setting in trial.settings where !keys.contains(setting.key) { keys.append(setting.key) } }
        return keys
    }

    func row(_ trial: Trial) -> [String] {
        let values = Dictionary(trial.settings.map { ($0.key, $0.value) }, uniquingKeysWith: { $1 })
        let objective = trial.objective.map { ComparisonFormatting.fixed($0, 4) } ?? "-"
        let best = trial.number == summary.best ? " (best)" : ""
        return ["\(trial.number)"] + keys.map { values[$0] ?? "" }
            + [trial.state + (trial.prunedAfterEpoch.map { " after epoch \($0)" } ?? ""), "\(trial.epochsUsed)", objective + best]
    }

    var header: [String] { ["trial"] + keys + ["state", "epochs", "validation \(summary.objective)"] }

    var caption: String {
        let complete = summary.trials.filter { $0.state == "complete" }.count
        let pruned = summary.trials.filter { $0.state == "pruned" }.count
        let failed = summary.trials.filter { $0.state == "failed" }.count
        let running = summary.trials.count - complete - pruned - failed
        let counts = ["\(complete) complete", "\(pruned) pruned", "\(failed) failed"] + (running > 0 ? ["\(running) running"] : [])
        return "Search \(summary.name): \(summary.trials.count) trials (\(counts.joined(separator: ", "))), "
            + "\(summary.epochsUsed) epochs; objective: validation \(summary.objective) (\(summary.direction)). "
            + "Trials compute no test metrics: run \(directory)/best.yaml for those."
    }

    public func markdown() -> String {
        func line(_ cells: [String]) -> String { "| " + cells.map { $0.replacingOccurrences(of: "|", with: "\\|") }.joined(separator: " | ") + " |" }
        var lines = ["## Search \(summary.name)", "", caption, "", line(header), line(header.map { _ in "---" })]
        lines += summary.trials.map { line(row($0)) }
        return lines.joined(separator: "\n") + "\n"
    }

    public func html() -> String {
        let escape = ComparisonFormatting.escapeHTML
        var parts = ["<!DOCTYPE html>", "<html lang=\"en\">", "<head><meta charset=\"utf-8\"><title>\(escape("Search \(summary.name)"))</title>",
                     "<style>body { font-family: sans-serif; margin: 2em; } table { border-collapse: collapse; } "
                        + "td, th { border: 1px solid #ccc; padding: 0.2em 0.5em; text-align: right; } "
                        + "svg.chart { display: block; max-width: 700px; width: 100%; height: auto; } svg.chart text { font-size: 15px; } "
                        + "svg.chart .grid { stroke: #e5e8ec; } svg.chart .axis { stroke: #8a949e; }</style></head>",
                     "<body>", "<h1>\(escape("Search \(summary.name)"))</h1>", "<p>\(escape(caption))</p>"]
        let trials = summary.trials.compactMap { trial in
            trial.objective.map { ChartPoint(x: Double(trial.number), y: $0, low: $0, high: $0) }
        }
        let best = bestSoFar.map { ChartPoint(x: Double($0.trial), y: $0.value, low: $0.value, high: $0.value) }
        if !trials.isEmpty {
            let chart = SVGChart.lines([LineSeries(label: "trial", color: SVGChart.color(0), points: trials),
                                        LineSeries(label: "best so far", color: SVGChart.color(1), points: best)],
                                       xLabel: "trial", yLabel: "validation \(summary.objective)")
            parts.append("<figure>\n<figcaption>validation \(escape(summary.objective)) of each trial (its best epoch) and the best complete trial so far</figcaption>\n\(chart)\n</figure>")
        }
        parts.append("<table>\n<tr>" + header.map { "<th>\(escape($0))</th>" }.joined() + "</tr>")
        for trial in summary.trials { parts.append("<tr>" + row(trial).map { "<td>\(escape($0))</td>" }.joined() + "</tr>") }
        parts += ["</table>", "</body>", "</html>"]
        return parts.joined(separator: "\n") + "\n"
    }
}
