// The comparison as a markdown document and as CSV.

import Foundation

extension Comparison {
    /// Cells of the main table, shared by markdown and HTML: header, then one row per
    /// configuration; `best` marks the metric cells to emphasize.
    struct TableCell {
        var text: String
        var best = false
        var numeric = true
    }

    func tableHeader() -> [String] {
        ["configuration"] + (mixesProtocols ? ["protocol"] : []) + metricNames
            + ["seeds", "best epoch", "s/epoch", "time/run (s)", "parameters"]
    }

    func tableRows() -> [[TableCell]] {
        rows.indices.map { index in
            let row = rows[index]
            var cells = [TableCell(text: row.label, numeric: false)]
            if mixesProtocols { cells.append(TableCell(text: protocolID(row.protocolIndex), numeric: false)) }
            for metric in metricNames {
                // A seed without this value (NaN or absent) is shown as missing, not averaged in.
                let summary = row.metrics[metric]
                var text = ComparisonFormatting.meanAndDeviation(summary)
                if let summary, summary.count < row.runs.count { text += " (\(summary.count) of \(row.runs.count) seeds)" }
                cells.append(TableCell(text: text, best: isBest(row: index, metric: metric)))
            }
            cells += [
                TableCell(text: ComparisonFormatting.seeds(row.seeds)),
                TableCell(text: ComparisonFormatting.mean(row.bestEpoch, decimals: 1)),
                TableCell(text: ComparisonFormatting.mean(row.secondsPerEpoch, decimals: 2)),
                TableCell(text: ComparisonFormatting.mean(row.totalSeconds, decimals: 1)),
                TableCell(text: ComparisonFormatting.parameters(row.parameterCounts)),
            ]
            return cells
        }
    }

    static let tableNote = "Test metrics: mean ± sample standard deviation over the seeds listed. Best epoch, s/epoch "
        + "(mean epoch wall time, training plus validation) and time/run: means over seeds."

    /// What the rows of protocol `index` share, said once: `Shared by every row (where its model
    /// reads it): model.hidden_size=50, ...`.
    func sharedSettingsNote(_ index: Int) -> String? {
        guard index < sharedSettings.count, !sharedSettings[index].isEmpty else { return nil }
        return "Shared by every row (where its model reads the setting): " + sharedSettings[index].joined(separator: ", ")
    }

    /// Rows whose seeds come from more than one experiment (a lone run pooled with a grid's
    /// seeds), naming which seeds came from which: `cell=lstm: cells (1, 2), lstm50 (42)`.
    func pooledNotes() -> [String] {
        rows.compactMap { row in
            var names: [String] = []
            for run in row.runs where !names.contains(Self.experiment(run)) { names.append(Self.experiment(run)) }
            guard names.count > 1 else { return nil }
            return "\(row.label): " + names.map { name in
                let seeds = row.runs.filter { Self.experiment($0) == name }.map(\.seed)
                return "\(name) (seed\(seeds.count == 1 ? "" : "s") \(ComparisonFormatting.seeds(seeds)))"
            }.joined(separator: ", ")
        }
    }

    /// The experiment a run belongs to: its name without a grid point's `/<run name>`.
    static func experiment(_ run: LoadedRun) -> String {
        String(run.report.name.prefix { $0 != "/" })
    }

    static let pooledNote = "Rows pooling the seeds of several experiments (equal configurations):"

    var bestNote: String {
        mixesProtocols ? "Best value of each metric among rows of the same protocol in bold."
            : "Best value of each metric in bold."
    }

    static let significanceNote = "Paired over the per-user values of the test metric, matched by seed and "
        + "user, pooled over the seeds both configurations ran; users with a NaN value are skipped. "
        + "Difference = first - second. d_z = mean difference / standard deviation of the differences. "
        + "t-test: two-sided paired t-test. Wilcoxon: two-sided signed-rank test, zero differences dropped, "
        + "normal approximation with tie correction and no continuity correction (scipy "
        + "`wilcoxon(d, zero_method=\"wilcox\", correction=False, method=\"asymptotic\")`). "
        + "p-values are per pair, not corrected for testing many pairs."

    func significanceHeader() -> [String] {
        ["first", "second", "differs in", "metric", "seeds", "n", "mean diff", "d_z", "t-test p", "Wilcoxon p"]
    }

    func significanceCells(_ test: SignificanceRow) -> [String] {
        let result = test.result
        return [rows[test.first].label, rows[test.second].label, test.differingKey, test.metric ?? "-",
                ComparisonFormatting.seeds(test.seeds), result.map { String($0.count) } ?? "-",
                ComparisonFormatting.signed(result?.meanDifference, decimals: 4),
                ComparisonFormatting.signed(result?.effectSize, decimals: 3),
                ComparisonFormatting.pValue(result?.tTestP), ComparisonFormatting.pValue(result?.wilcoxonP)]
    }

    /// The report for comparison.md.
    public func markdown() -> String {
        typealias Format = ComparisonFormatting
        var lines = ["# Comparison", ""]
        let runCount = rows.reduce(0) { $0 + $1.runs.count }
        lines.append("\(runCount) run\(runCount == 1 ? "" : "s") in \(rows.count) configuration"
            + "\(rows.count == 1 ? "" : "s")" + (excluded.isEmpty ? "." : "; \(excluded.count) more not in the table (below)."))
        lines.append("")
        if mixesProtocols {
            lines += ["> **WARNING: \(protocolWarning).** Compare only rows with the same `protocol`.", ""]
        }
        let header = tableHeader()
        lines.append("| " + header.map(Format.markdownCell).joined(separator: " | ") + " |")
        lines.append("|" + header.indices.map { $0 < (mixesProtocols ? 2 : 1) ? " --- |" : " ---: |" }.joined())
        for cells in tableRows() {
            lines.append("| " + cells.map { cell in
                let text = Format.markdownCell(cell.text)
                return cell.best ? "**\(text)**" : text
            }.joined(separator: " | ") + " |")
        }
        lines += ["", "\(Self.tableNote) \(bestNote)", ""]
        let pooled = pooledNotes()
        if !pooled.isEmpty {
            lines += [Self.pooledNote] + pooled.map { "- \(Format.markdownCell($0))" } + [""]
        }
        if mixesProtocols {
            lines.append("Protocols:")
            for index in protocols.indices {
                lines.append("- `\(protocolID(index))`: \(Format.markdownCell(protocolDescription(index)))")
                if let shared = sharedSettingsNote(index) { lines.append("  \(Format.markdownCell(shared))") }
            }
        } else if !protocols.isEmpty {
            lines.append("Protocol: \(Format.markdownCell(protocolDescription(0)))")
            if let shared = sharedSettingsNote(0) { lines += ["", Format.markdownCell(shared)] }
        }
        if !excluded.isEmpty {
            lines += ["", "## Runs not in the table", ""]
            for item in excluded {
                lines.append("- `\(item.run.displayPath)` (\(Format.markdownCell(item.run.report.name))): "
                    + Format.markdownCell(item.reason))
            }
        }
        lines += ["", "## Significance", ""]
        let tested = significance.filter { $0.result != nil }
        if tested.isEmpty {
            lines.append("No pair of configurations differing in one setting has per-user values to compare.")
        } else {
            let header = significanceHeader()
            lines.append("| " + header.joined(separator: " | ") + " |")
            lines.append("|" + header.indices.map { $0 < 5 ? " --- |" : " ---: |" }.joined())
            for test in tested {
                lines.append("| " + significanceCells(test).map(Format.markdownCell).joined(separator: " | ") + " |")
            }
            lines += ["", Self.significanceNote]
        }
        let skipped = significance.filter { $0.result == nil }
        if !skipped.isEmpty {
            lines += ["", "Not tested:"]
            for test in skipped {
                lines.append("- \(Format.markdownCell(rows[test.first].label)) vs "
                    + "\(Format.markdownCell(rows[test.second].label)): \(test.skipReason ?? "")")
            }
        }
        return lines.joined(separator: "\n") + "\n"
    }

    /// comparison.csv: one line per configuration, full-precision numbers; `<metric>_best` is
    /// `*` for the best row of its protocol; `seed_list` the seeds separated by spaces; then
    /// one column per setting (`model.hidden_size`), empty where the row's model ignores it.
    public func csv() -> String {
        var header = ["configuration", "protocol", "protocol_description", "seeds", "seed_list"]
        for metric in metricNames { header += ["\(metric)_mean", "\(metric)_std", "\(metric)_best"] }
        header += ["best_epoch_mean", "seconds_per_epoch_mean", "total_seconds_mean", "parameters"]
        let settingPaths = Set(rows.flatMap(\.readSettings.keys)).sorted {
            ConfigSettings.displayPath($0) < ConfigSettings.displayPath($1)
        }
        header += settingPaths.map(ConfigSettings.displayPath)
        var lines = [header.map(ComparisonFormatting.csvField).joined(separator: ",")]
        for (index, row) in rows.enumerated() {
            var fields = [row.label, protocolID(row.protocolIndex), protocolDescription(row.protocolIndex),
                          String(row.runs.count), row.seeds.map { $0.map(String.init) ?? "none" }.joined(separator: " ")]
            for metric in metricNames {
                let summary = row.metrics[metric]
                fields += [ComparisonFormatting.exact(summary?.mean), ComparisonFormatting.exact(summary?.standardDeviation),
                           isBest(row: index, metric: metric) ? "*" : ""]
            }
            fields += [ComparisonFormatting.exact(row.bestEpoch?.mean), ComparisonFormatting.exact(row.secondsPerEpoch?.mean),
                       ComparisonFormatting.exact(row.totalSeconds?.mean),
                       ComparisonFormatting.parameters(row.parameterCounts)]
            let read = row.readSettings
            fields += settingPaths.map { path in read[path].map { ConfigSettings.text($0) } ?? "" }
            lines.append(fields.map(ComparisonFormatting.csvField).joined(separator: ","))
        }
        return lines.joined(separator: "\n") + "\n"
    }
}
