// `runner compare` on a search directory (`runner tune`'s output.dir): a table of its trials
// (settings, state, epochs used, validation objective, where pruned) in markdown, and an HTML
// page with the objective against the trial number and the best so far. It reads
// `trials.json` with its own view of the fields it shows, as it reads reports.

import Foundation

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
        var name: String
        var objective: String
        var direction: String
        var trials: [Trial]
        var best: Int?
        var epochsUsed: Int

        enum CodingKeys: String, CodingKey {
            case name, objective, direction, trials, best
            case epochsUsed = "epochs_used"
        }
    }

    /// The search directory as given.
    package var directory: String
    let summary: Summary

    package static let resultsFile = "trials.json"
    package static let identityFile = "search.json"

    /// Whether `path` is a search directory (it has a search's record and results).
    public static func isSearchDirectory(_ path: String) -> Bool {
        let manager = FileManager.default
        return manager.fileExists(atPath: (path as NSString).appendingPathComponent(identityFile))
            && manager.fileExists(atPath: (path as NSString).appendingPathComponent(resultsFile))
    }

    public init(directory: String) throws {
        self.directory = directory
        let url = WorkingDirectory.url(directory).appendingPathComponent(Self.resultsFile)
        summary = try JSONDecoder().decode(Summary.self, from: Data(contentsOf: url))
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
        return "Search \(summary.name): \(summary.trials.count) trials (\(complete) complete, \(pruned) pruned), "
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
