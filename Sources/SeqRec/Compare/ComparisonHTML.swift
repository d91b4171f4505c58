// The self-contained HTML report: tables plus inline SVG charts, no scripts, no external assets.

import Foundation

extension Comparison {
    /// One HTML page; every text is escaped.
    public func html(title: String) -> String {
        let escape = ComparisonFormatting.escapeHTML
        var body: [String] = ["<h1>\(escape(title))</h1>"]
        let runCount = rows.reduce(0) { $0 + $1.runs.count }
        body.append("<p>\(runCount) run\(runCount == 1 ? "" : "s") in \(rows.count) configuration"
            + "\(rows.count == 1 ? "" : "s")\(excluded.isEmpty ? "" : "; \(excluded.count) more not in the table").</p>")
        if mixesProtocols {
            body.append("<p class=\"warning\" role=\"alert\">WARNING: \(escape(protocolWarning)). "
                + "Compare only rows with the same protocol.</p>")
        }
        body.append("<section>\n<h2>Comparison</h2>")
        body.append(mainTableHTML())
        body.append("<p class=\"note\">\(escape(Self.tableNote)) \(escape(bestNote))</p>")
        let pooled = pooledNotes()
        if !pooled.isEmpty {
            body.append("<p class=\"note\">\(escape(Self.pooledNote))</p><ul class=\"note\">"
                + pooled.map { "<li>\(escape($0))</li>" }.joined() + "</ul>")
        }
        if mixesProtocols {
            body.append("<ul class=\"protocols\">" + protocols.indices.map { index in
                "<li><strong>\(protocolID(index))</strong>: \(escape(protocolDescription(index)))"
                    + (sharedSettingsNote(index).map { "<br><span class=\"note\">\(escape($0))</span>" } ?? "") + "</li>"
            }.joined() + "</ul>")
        } else if !protocols.isEmpty {
            body.append("<p class=\"note\">Protocol: \(escape(protocolDescription(0)))</p>")
            if let shared = sharedSettingsNote(0) { body.append("<p class=\"note\">\(escape(shared))</p>") }
        }
        body.append("</section>")
        for index in protocols.indices where rows.contains(where: { $0.protocolIndex == index }) {
            body.append(chartsHTML(protocolIndex: index))
        }
        body.append(significanceHTML())
        if !excluded.isEmpty {
            body.append("<section>\n<h2>Runs not in the table</h2>\n<ul>" + excluded.map {
                "<li><code>\(escape($0.run.displayPath))</code> (\(escape($0.run.report.name))): \(escape($0.reason))</li>"
            }.joined(separator: "\n") + "</ul>\n</section>")
        }
        return """
        <!DOCTYPE html>
        <html lang="en">
        <head>
        <meta charset="utf-8">
        <meta name="viewport" content="width=device-width, initial-scale=1">
        <title>\(escape(title))</title>
        <style>
        \(Self.styleSheet)
        </style>
        </head>
        <body>
        <main>
        \(body.joined(separator: "\n"))
        </main>
        </body>
        </html>

        """
    }

    static let styleSheet = """
    :root { --fg: #1d2329; --muted: #5b6570; --line: #d8dde3; --best: #e6f4e6; }
    * { box-sizing: border-box; }
    body { margin: 0; font: 15px/1.5 system-ui, -apple-system, "Segoe UI", Roboto, sans-serif; color: var(--fg); background: #fff; }
    main { max-width: 1240px; margin: 0 auto; padding: 16px 20px 40px; }
    h1 { font-size: 1.6rem; margin: 0.4em 0; overflow-wrap: anywhere; }
    h2 { font-size: 1.25rem; margin: 1.4em 0 0.5em; border-bottom: 1px solid var(--line); padding-bottom: 4px; }
    h3 { font-size: 1.05rem; margin: 1em 0 0.4em; overflow-wrap: anywhere; }
    .table-wrap { overflow-x: auto; border: 1px solid var(--line); border-radius: 6px; }
    table { border-collapse: collapse; width: 100%; font-variant-numeric: tabular-nums; }
    th, td { padding: 5px 6px; border-bottom: 1px solid var(--line); text-align: right; }
    th { background: #f5f7f9; font-weight: 600; vertical-align: bottom; }
    th.text, td.text { text-align: left; }
    td.text { overflow-wrap: anywhere; }
    /* The row label gets the room; a protocol id (P1) needs none. */
    tr > td.text:first-child { min-width: 12em; }
    /* A mean and its deviation break before the ±, never inside a number. */
    .nowrap { white-space: nowrap; }
    /* The row label stays in view while a wide table scrolls sideways. */
    tr > :first-child { position: sticky; left: 0; background: #fff; box-shadow: inset -1px 0 0 var(--line); }
    tr > th:first-child { background: #f5f7f9; }
    tr:last-child td { border-bottom: none; }
    td.best { font-weight: 700; background: var(--best); }
    .warning { background: #fff3cd; border: 2px solid #d39e00; border-radius: 6px; padding: 10px 14px; font-weight: 700; }
    .note { color: var(--muted); font-size: 0.9rem; }
    .charts { display: grid; grid-template-columns: repeat(auto-fit, minmax(min(100%, 460px), 1fr)); gap: 16px; }
    figure { margin: 0; border: 1px solid var(--line); border-radius: 6px; padding: 10px; min-width: 0; }
    figcaption { font-weight: 600; margin-bottom: 4px; }
    svg.chart { display: block; width: 100%; height: auto; }
    svg.chart text { font-size: 15px; fill: var(--fg); }
    svg.chart .grid { stroke: #e5e8ec; stroke-width: 1; }
    svg.chart .axis { stroke: #8a949e; stroke-width: 1.2; }
    svg.chart .error-bar { stroke: #222; stroke-width: 1.6; fill: none; }
    .legend { list-style: none; padding: 0; margin: 0 0 10px; display: flex; flex-wrap: wrap; gap: 4px 18px; }
    .swatch { display: inline-block; width: 14px; height: 14px; border-radius: 3px; vertical-align: -2px; margin-right: 6px; }
    code { overflow-wrap: anywhere; }
    @media (max-width: 600px) {
      body { font-size: 14px; }
      main { padding: 10px; }
      th, td { padding: 4px 6px; }
      svg.chart text { font-size: 18px; }
    }
    """

    private func mainTableHTML() -> String {
        let escape = ComparisonFormatting.escapeHTML
        let header = tableHeader()
        let textColumns = mixesProtocols ? 2 : 1
        var lines = ["<div class=\"table-wrap\"><table class=\"comparison\">", "<thead><tr>" + header.enumerated().map {
            "<th\($0.offset < textColumns ? " class=\"text\"" : "")>\(escape($0.element))</th>"
        }.joined() + "</tr></thead>", "<tbody>"]
        for cells in tableRows() {
            lines.append("<tr>" + cells.map { cell in
                let classes = (cell.numeric ? [] : ["text"]) + (cell.best ? ["best"] : [])
                let content = cell.numeric ? cell.text.components(separatedBy: " ± ").enumerated().map {
                    "<span class=\"nowrap\">\($0.offset == 0 ? "" : "± ")\(escape($0.element))</span>"
                }.joined(separator: " ") : escape(cell.text)
                return "<td\(classes.isEmpty ? "" : " class=\"\(classes.joined(separator: " "))\"")>\(content)</td>"
            }.joined() + "</tr>")
        }
        lines.append("</tbody></table></div>")
        return lines.joined(separator: "\n")
    }

    private func significanceHTML() -> String {
        let escape = ComparisonFormatting.escapeHTML
        var lines = ["<section>", "<h2>Significance</h2>"]
        let tested = significance.filter { $0.result != nil }
        if tested.isEmpty {
            lines.append("<p>No pair of configurations differing in one setting has per-user values to compare.</p>")
        } else {
            lines.append("<div class=\"table-wrap\"><table class=\"significance\">")
            lines.append("<thead><tr>" + significanceHeader().enumerated().map {
                "<th\($0.offset < 5 ? " class=\"text\"" : "")>\(escape($0.element))</th>"
            }.joined() + "</tr></thead>\n<tbody>")
            for test in tested {
                lines.append("<tr>" + significanceCells(test).enumerated().map {
                    "<td\($0.offset < 5 ? " class=\"text\"" : "")>\(escape($0.element))</td>"
                }.joined() + "</tr>")
            }
            lines.append("</tbody></table></div>")
            lines.append("<p class=\"note\">\(escape(Self.significanceNote))</p>")
        }
        let skipped = significance.filter { $0.result == nil }
        if !skipped.isEmpty {
            lines.append("<p>Not tested:</p><ul>" + skipped.map {
                "<li>\(escape(rows[$0.first].label)) vs \(escape(rows[$0.second].label)): \(escape($0.skipReason ?? ""))</li>"
            }.joined() + "</ul>")
        }
        lines.append("</section>")
        return lines.joined(separator: "\n")
    }

    /// The metric drawn as learning curve: the per-user (early-stopping) metric most runs
    /// name, else the first validation metric in the histories.
    static func curveMetric(_ runs: [LoadedRun]) -> String? {
        var counts: [String: Int] = [:]
        for run in runs { if let metric = run.report.test?.perUserMetric { counts[metric, default: 0] += 1 } }
        if let best = counts.max(by: { ($0.value, $1.key) < ($1.value, $0.key) }) { return best.key }
        let names = Set(runs.flatMap { $0.report.history.flatMap { $0.validation?.keys.map { $0 } ?? [] } })
        return names.sorted { NaturalOrder.key($0) < NaturalOrder.key($1) }.first
    }

    /// Mean and min-max over a configuration's runs of a per-epoch value.
    static func epochSeries(_ runs: [LoadedRun], value: (EpochRecord) -> Double?) -> [ChartPoint] {
        var byEpoch: [Int: [Double]] = [:]
        for run in runs {
            for record in run.report.history {
                if let number = value(record), number.isFinite { byEpoch[record.epoch, default: []].append(number) }
            }
        }
        return byEpoch.keys.sorted().compactMap { epoch in
            guard let summary = ValueSummary(byEpoch[epoch] ?? []) else { return nil }
            return ChartPoint(x: Double(epoch), y: summary.mean, low: summary.minimum, high: summary.maximum)
        }
    }

    private func chartsHTML(protocolIndex: Int) -> String {
        let escape = ComparisonFormatting.escapeHTML
        let groupRows = rows.filter { $0.protocolIndex == protocolIndex }
        let heading = mixesProtocols ? "Charts, protocol \(protocolID(protocolIndex)): \(protocolDescription(protocolIndex))"
            : "Charts"
        var parts = ["<section>", "<h2>\(escape(heading))</h2>"]
        parts.append("<ul class=\"legend\">" + groupRows.enumerated().map {
            "<li><span class=\"swatch\" style=\"background:\(SVGChart.color($0.offset))\"></span>"
                + "\(escape($0.element.label)) (\($0.element.runs.count) seed\($0.element.runs.count == 1 ? "" : "s"))</li>"
        }.joined() + "</ul>")
        parts.append("<div class=\"charts\">")
        func figure(_ caption: String, _ svg: String) {
            parts.append("<figure>\n<figcaption>\(escape(caption))</figcaption>\n\(svg)\n</figure>")
        }
        // A re-evaluated row's history was measured under its training's protocol: it joins
        // the test metrics only.
        let trained = groupRows.enumerated().filter { !$0.element.isReEvaluation }
        if let metric = Self.curveMetric(trained.flatMap(\.element.runs)) {
            let series = trained.map { index, row in
                LineSeries(label: row.label, color: SVGChart.color(index),
                           points: Self.epochSeries(row.runs) { $0.validation?[metric] })
            }
            // Runs without validation passes (pop, markov) leave nothing to draw.
            if series.contains(where: { !$0.points.isEmpty }) {
                    figure("Learning curves: validation \(metric) (mean over seeds, band = min-max)",
                       SVGChart.lines(series, xLabel: "epoch", yLabel: "validation \(metric)"))
            }
        }
        let metricNames = self.metricNames.filter { name in groupRows.contains { $0.metrics[name] != nil } }
        if !metricNames.isEmpty {
            let series = groupRows.enumerated().map { index, row in
                BarSeries(label: row.label, color: SVGChart.color(index), values: metricNames.map { row.metrics[$0]?.mean },
                          errors: metricNames.map { row.metrics[$0]?.standardDeviation })
            }
            figure("Test metrics (mean, error bar = standard deviation over seeds)",
                   SVGChart.bars(groups: metricNames, series: series, yLabel: "test value", xLabel: "metric"))
        }
        if trained.contains(where: { $0.element.secondsPerEpoch != nil }) {
            let series = trained.map { index, row in
                BarSeries(label: row.label, color: SVGChart.color(index), values: [row.secondsPerEpoch?.mean],
                          errors: [row.secondsPerEpoch?.standardDeviation])
            }
            figure("Seconds per epoch (training plus validation; error bar = standard deviation over seeds)",
                   SVGChart.bars(groups: [""], series: series, yLabel: "seconds per epoch", xLabel: "configuration"))
        }
        let lossSeries = trained.map { index, row in
            LineSeries(label: row.label, color: SVGChart.color(index), points: Self.epochSeries(row.runs) { $0.trainLoss })
        }
        if lossSeries.contains(where: { !$0.points.isEmpty }) {
            figure("Training loss (mean over seeds, band = min-max)",
                   SVGChart.lines(lossSeries, xLabel: "epoch", yLabel: "training loss"))
        }
        parts.append("</div>")
        if trained.count < groupRows.count {
            parts.append("<p class=\"note\">Rows scored again (<code>runner evaluate</code>) appear in the test "
                + "metrics only: their learning curves, epoch times and training loss were measured under the "
                + "protocol they were trained with.</p>")
        }
        parts.append("</section>")
        return parts.joined(separator: "\n")
    }
}
