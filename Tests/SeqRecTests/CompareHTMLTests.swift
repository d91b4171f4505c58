import Foundation
import Testing
@testable import SeqRec
@testable import SeqRecCore
@testable import SeqRecNumerics

// The HTML report: charts hold the expected series, text is escaped, nothing external.

/// The `<svg class="chart" ...>...</svg>` blocks of a page, in order.
private func charts(_ html: String) -> [String] {
    html.components(separatedBy: "<svg class=\"chart\"").dropFirst().map {
        String($0.components(separatedBy: "</svg>")[0])
    }
}

private func count(_ needle: String, in text: String) -> Int { text.components(separatedBy: needle).count - 1 }

/// `data-series` values of elements with the given class, in order.
private func seriesLabels(_ svg: String, element: String) -> [String] {
    svg.components(separatedBy: "<\(element) data-series=\"").dropFirst().compactMap { $0.components(separatedBy: "\"").first }
}

/// The whole pages, as snapshots: scripts/check_html.sh renders these in Chromium.
@Test func htmlReportsMatchSnapshots() throws {
    try expectCompareSnapshot(comparePortable(ComparisonBuilder.compare(try loadCompareFixtureRuns(["cells", "failed"])).html(title: "Cells")),
                       "cells.html")
    try expectCompareSnapshot(comparePortable(ComparisonBuilder.compare(try loadCompareFixtureRuns(["cells", "sampled"])).html(title: "Mixed")),
                       "mixed.html")
}

@Test func chartsHoldOneSeriesPerConfiguration() throws {
    let comparison = ComparisonBuilder.compare(try loadCompareFixtureRuns(["cells", "failed"]))
    let html = comparison.html(title: "cells")
    let svgs = charts(html)
    #expect(svgs.count == 4)
    let labels = comparison.rows.map(\.label)
    #expect(labels.count == 4)
    // Learning curves and loss: a line per configuration, and a min-max band for its two seeds.
    for index in [0, 3] {
        #expect(count("<path class=\"series\"", in: svgs[index]) == 4)
        #expect(count("<path class=\"band\"", in: svgs[index]) == 4)
        let lines = svgs[index].components(separatedBy: "<path class=\"series\" data-series=\"").dropFirst()
            .compactMap { $0.components(separatedBy: "\"").first }
        #expect(lines == labels)
    }
    // Test metrics: one bar per configuration and metric, error bars for two seeds.
    #expect(seriesLabels(svgs[1], element: "rect class=\"bar\"") == Array(repeating: labels, count: 3).flatMap { $0 })
    #expect(count("class=\"error-bar\"", in: svgs[1]) == 12)
    for metric in ["hr@10", "mrr@10", "ndcg@10"] { #expect(svgs[1].contains(">\(metric)</text>")) }
    // Seconds per epoch: one bar per configuration.
    #expect(seriesLabels(svgs[2], element: "rect class=\"bar\"") == labels)
    #expect(html.contains("<figcaption>Learning curves: validation ndcg@10 (mean over seeds, band = min-max)</figcaption>"))
    // Learning-curve points of lstm50 at epoch 1 are the mean of its seeds' validation values.
    let lstm = try #require(comparison.rows.first { $0.label == "cell=lstm, hidden_size=50" })
    let points = Comparison.epochSeries(lstm.runs) { $0.validation?["ndcg@10"] }
    let first = try #require(points.first)
    let values = lstm.runs.compactMap { $0.report.history.first?.validation?["ndcg@10"] }
    #expect(first.x == 1 && first.y == (values[0] + values[1]) / 2 && first.low == values.min() && first.high == values.max())
}

@Test func mixedProtocolsDrawSeparateCharts() throws {
    let html = ComparisonBuilder.compare(try loadCompareFixtureRuns(["cells", "sampled"])).html(title: "mixed")
    #expect(charts(html).count == 8)
    #expect(html.contains("<p class=\"warning\" role=\"alert\">WARNING: rows use different protocols (candidates: "
        + "all vs sampled-100-uniform): their numbers are not comparable. Compare only rows with the same protocol.</p>"))
    #expect(html.contains("<h2>Charts, protocol P2: dataset=movielens-100k, split=leave-one-out, max_length=50, "
        + "candidates=sampled-100-uniform, exclude_seen=true</h2>"))
}

@Test func htmlEscapesEveryText() throws {
    let hostile = "<script>alert(\"x\")</script> & 'co'"
    let history = [EpochRecord(epoch: 1, trainLoss: 2, validation: ["ndcg@10": 0.1], seconds: 1, targetsPerSecond: 1,
                               learningRate: 0.1)]
    let runs = [compareTestRun(cell: "lstm", seed: 1, name: hostile, history: history),
                compareTestRun(cell: "lstm", seed: 2, name: hostile, status: .failed)]
    let html = ComparisonBuilder.compare(runs).html(title: "A <b>title</b>")
    #expect(!html.contains("<script") && !html.contains("<b>"))
    #expect(html.contains("<title>A &lt;b&gt;title&lt;/b&gt;</title>"))
    let escaped = "&lt;script&gt;alert(&quot;x&quot;)&lt;/script&gt; &amp; &#39;co&#39;"
    #expect(html.contains("<td class=\"text\">\(escaped)</td>"))
    #expect(html.contains("data-series=\"\(escaped)\""))
    #expect(html.contains("(\(escaped)): failed"))
    #expect(ComparisonFormatting.escapeHTML("a<b>&\"'") == "a&lt;b&gt;&amp;&quot;&#39;")
}

@Test func htmlIsSelfContained() throws {
    let html = ComparisonBuilder.compare(try loadCompareFixtureRuns(["cells", "failed"])).html(title: "cells")
    let withoutNamespace = html.replacingOccurrences(of: "xmlns=\"http://www.w3.org/2000/svg\"", with: "")
    #expect(!withoutNamespace.contains("http://") && !withoutNamespace.contains("https://"))
    #expect(!html.contains("<script") && !html.contains("<link") && !html.contains("src=") && !html.contains("@import"))
    #expect(html.contains("<meta name=\"viewport\" content=\"width=device-width, initial-scale=1\">"))
    #expect(html.hasPrefix("<!DOCTYPE html>\n<html lang=\"en\">"))
}

@Test func singleEpochSeriesStillDrawVisibleMarks() {
    let history = [EpochRecord(epoch: 1, trainLoss: 2, validation: ["ndcg@10": 0.1], seconds: 1, targetsPerSecond: 1,
                               learningRate: 0.1)]
    let html = ComparisonBuilder.compare([compareTestRun(cell: "lstm", seed: 1, history: history)]).html(title: "one")
    let svgs = charts(html)
    #expect(svgs.count == 4)
    #expect(count("<circle class=\"point\"", in: svgs[0]) == 1)
    #expect(count("<path class=\"band\"", in: svgs[0]) == 0)
}

@Test func runsWithoutHistoryDrawNoEmptyCharts() {
    // A popularity baseline: test metrics and a per-user sidecar, but no epochs.
    let values = PerUserValues(metric: "ndcg@10", users: [0], values: [0.5])
    let html = ComparisonBuilder.compare([compareTestRun(cell: "pop", seed: 1, perUser: values)]).html(title: "pop")
    let svgs = charts(html)
    #expect(svgs.count == 1)
    #expect(svgs.allSatisfy { $0.contains("<path class=\"series\"") || $0.contains("<rect class=\"bar\"") })
}

@Test func writerWritesAllFilesAtomically() throws {
    let directory = FileManager.default.temporaryDirectory
        .appendingPathComponent("seqrec-compare-writer-\(UInt32.random(in: 0 ... .max))")
    defer { try? FileManager.default.removeItem(at: directory) }
    let comparison = ComparisonBuilder.compare(try loadCompareFixtureRuns(["cells"]))
    let markdown = directory.appendingPathComponent("comparison.md")
    let csv = directory.appendingPathComponent("comparison.csv")
    let html = directory.appendingPathComponent("report.html")
    try ComparisonWriter.write(comparison, markdownTo: markdown, csvTo: csv, htmlTo: html)
    #expect(try String(contentsOf: markdown, encoding: .utf8) == comparison.markdown())
    #expect(try String(contentsOf: csv, encoding: .utf8) == comparison.csv())
    #expect(try String(contentsOf: html, encoding: .utf8) == comparison.html(title: "seqrec comparison"))
    #expect(try FileManager.default.contentsOfDirectory(atPath: directory.path).sorted()
        == ["comparison.csv", "comparison.md", "report.html"])
}
