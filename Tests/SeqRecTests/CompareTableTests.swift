import Foundation
import Testing
@testable import SeqRec
@testable import SeqRecCore
@testable import SeqRecNumerics

// runner compare, table side: grouping seeds into configurations, labels, best marks, the
// protocol guard, runs left out, and the markdown/CSV snapshots of the fixture reports
// (Tests/Fixtures/compare, made by make_fixtures.py).

@Test func cellsTablesMatchSnapshots() throws {
    let comparison = ComparisonBuilder.compare(try loadCompareFixtureRuns(["cells", "failed"]))
    try expectCompareSnapshot(comparePortable(comparison.markdown()), "cells.md")
    try expectCompareSnapshot(comparePortable(comparison.csv()), "cells.csv")
}

@Test func mixedProtocolTablesMatchSnapshots() throws {
    let comparison = ComparisonBuilder.compare(try loadCompareFixtureRuns(["cells", "sampled"]))
    try expectCompareSnapshot(comparePortable(comparison.markdown()), "mixed.md")
    try expectCompareSnapshot(comparePortable(comparison.csv()), "mixed.csv")
}

/// Test metrics straight from the fixture JSON, independent of RunReport decoding.
private func fixtureMetric(_ run: String, _ metric: String) throws -> Double {
    let url = compareFixtures.appendingPathComponent("cells/\(run)/report.json")
    let object = try JSONSerialization.jsonObject(with: Data(contentsOf: url)) as? [String: Any]
    let test = object?["test"] as? [String: Any]
    return try #require((test?["metrics"] as? [String: Any])?[metric] as? Double)
}

@Test func seedsOfAConfigurationAreGroupedIntoOneRow() throws {
    let comparison = ComparisonBuilder.compare(try loadCompareFixtureRuns(["cells"]))
    #expect(comparison.rows.map(\.label) == ["cell=gru, hidden_size=50", "cell=gru, hidden_size=100",
                                             "cell=lstm, hidden_size=50", "cell=rnn, hidden_size=50"])
    #expect(comparison.rows.map { $0.runs.compactMap(\.seed) } == Array(repeating: [1, 2], count: 4))
    #expect(comparison.metricNames == ["hr@10", "mrr@10", "ndcg@10"])
    #expect(!comparison.mixesProtocols)
    let lstm = comparison.rows[2]
    let values = [try fixtureMetric("lstm50-s1", "ndcg@10"), try fixtureMetric("lstm50-s2", "ndcg@10")]
    let mean = (values[0] + values[1]) / 2
    let deviation = abs(values[0] - values[1]) / 2.0.squareRoot()
    #expect(abs((lstm.metrics["ndcg@10"]?.mean ?? 0) - mean) < 1e-12)
    #expect(abs((lstm.metrics["ndcg@10"]?.standardDeviation ?? 0) - deviation) < 1e-12)
    #expect(lstm.parameterCounts == [131_282])
}

@Test func bestValuePerMetricIsMarkedWithinAProtocol() throws {
    let comparison = ComparisonBuilder.compare(try loadCompareFixtureRuns(["cells"]))
    for metric in comparison.metricNames {
        let means = comparison.rows.map { $0.metrics[metric]?.mean ?? -1 }
        let best = comparison.rows.indices.filter { comparison.isBest(row: $0, metric: metric) }
        #expect(best == means.indices.filter { means[$0] == means.max() }, "\(metric)")
    }
    #expect(Comparison.lowerIsBetter("rmse") && Comparison.lowerIsBetter("mae") && !Comparison.lowerIsBetter("ndcg@10"))
    // A single row per protocol has nothing to be best against.
    let mixed = ComparisonBuilder.compare(try loadCompareFixtureRuns(["cells", "sampled"]))
    let sampledRow = try #require(mixed.rows.firstIndex { $0.protocolIndex == 1 })
    #expect(!mixed.isBest(row: sampledRow, metric: "ndcg@10"))
}

@Test func mixedProtocolsGetAWarningAndAProtocolColumn() throws {
    let comparison = ComparisonBuilder.compare(try loadCompareFixtureRuns(["cells", "sampled"]))
    #expect(comparison.mixesProtocols)
    #expect(comparison.protocolDescription(0)
        == "dataset=movielens-100k, split=leave-one-out, max_length=50, candidates=all, exclude_seen=true")
    #expect(comparison.protocolDescription(1)
        == "dataset=movielens-100k, split=leave-one-out, max_length=50, candidates=sampled-100-uniform, exclude_seen=true")
    let lines = comparison.markdown().split(separator: "\n").map(String.init)
    let warning = try #require(lines.firstIndex {
        $0 == "> **WARNING: rows use different protocols (candidates: all vs sampled-100-uniform): their numbers are "
            + "not comparable.** Compare only rows with the same `protocol`."
    })
    let header = try #require(lines.firstIndex { $0.hasPrefix("| configuration | protocol |") })
    #expect(warning < header)
    #expect(comparison.csv().hasPrefix("configuration,protocol,protocol_description,seeds,"))
    // The same cells on one protocol: no warning, no column.
    let single = ComparisonBuilder.compare(try loadCompareFixtureRuns(["cells"])).markdown()
    #expect(!single.contains("WARNING") && single.contains("| configuration | hr@10 |"))
}

@Test func runsThatAreNotOkAreListedBelowTheTable() throws {
    let comparison = ComparisonBuilder.compare(try loadCompareFixtureRuns(["cells", "failed"]))
    #expect(comparison.rows.map(\.runs.count) == [2, 2, 2, 2])
    #expect(comparison.excluded.map { comparePortable($0.run.displayPath) } == ["failed/lstm50-s3", "failed/rnn50-s3"])
    #expect(comparison.excluded.map(\.reason) == ["diverged: loss became NaN in epoch 3",
                                                  "failed: cannot read data/ml-100k/u.data"])
}

@Test func aLaterCopyOfTheSameSeedSupersedesTheEarlierOne() {
    let early = compareTestRun(cell: "lstm", seed: 1, ndcg: 0.1, startedAt: 100, path: "a")
    let late = compareTestRun(cell: "lstm", seed: 1, ndcg: 0.3, startedAt: 200, path: "b")
    let other = compareTestRun(cell: "lstm", seed: 2, ndcg: 0.2, path: "c")
    let comparison = ComparisonBuilder.compare([late, early, other])
    #expect(comparison.rows.count == 1)
    #expect(comparison.rows[0].metrics["ndcg@10"]?.mean == 0.25)
    #expect(comparison.excluded.map(\.reason)
        == ["superseded by a later run of the same configuration and seed in /runs/b"])
    // One configuration: nothing differs, so the run name labels it.
    #expect(comparison.rows[0].label == "unit")
}

@Test func labelsUseOnlyTheSettingsThatDiffer() {
    let runs = [compareTestRun(cell: "lstm", hidden: 50, seed: 1), compareTestRun(cell: "gru", hidden: 50, seed: 1),
                compareTestRun(cell: "gru", hidden: 50, seed: 2, name: "renamed")]
    let comparison = ComparisonBuilder.compare(runs)
    #expect(comparison.rows.map(\.label) == ["cell=gru", "cell=lstm"])
    #expect(comparison.rows.map(\.runs.count) == [2, 1])
    #expect(ConfigSettings.snakeCase("minUserInteractions") == "min_user_interactions")
    let sampled: JSONValue = .object(["sampled": .object(["count": .integer(100), "strategy": .string("uniform")])])
    #expect(ConfigSettings.flatten(.object(["evaluation": .object(["candidates": sampled])])) == ["evaluation.candidates": sampled])
    #expect(ConfigSettings.labelParts(["evaluation.candidates": sampled], paths: ["evaluation.candidates"])
        == ["candidates=sampled-100-uniform"])
    #expect(ConfigSettings.text(.object(["all": .object([:])])) == "all")
    #expect(ConfigSettings.flatten(.object(["seed": .integer(1), "a": .object(["b": .object(["c": .integer(2)])])]))
        == ["a.b.c": .integer(2)])
    #expect(ConfigSettings.labelParts(["model.size": .integer(1), "data.size": .integer(2)],
                                      paths: ["data.size", "model.size"]) == ["data.size=2", "model.size=1"])
}

@Test func tableTextIsEscapedForMarkdownAndCSV() {
    let run = compareTestRun(cell: "lstm", seed: 1, name: "a|b, \"c\"")
    let comparison = ComparisonBuilder.compare([run])
    #expect(comparison.markdown().contains("| a\\|b, \"c\" |"))
    #expect(comparison.csv().split(separator: "\n")[1].hasPrefix("\"a|b, \"\"c\"\"\",P1,"))
}

@Test func loadingReportsFailsClearly() throws {
    #expect(throws: CompareError.pathNotFound("/nonexistent/results")) {
        try ComparisonBuilder.loadRuns(paths: ["/nonexistent/results"])
    }
    #expect(CompareError.pathNotFound("x").description
        == "'x' does not exist, expected a report.json or a directory holding reports")
    let empty = FileManager.default.temporaryDirectory.appendingPathComponent("seqrec-compare-empty-\(UInt32.random(in: 0 ... .max))")
    try FileManager.default.createDirectory(at: empty, withIntermediateDirectories: true)
    defer { try? FileManager.default.removeItem(at: empty) }
    #expect(throws: CompareError.noReports(paths: [empty.path])) { try ComparisonBuilder.loadRuns(paths: [empty.path]) }
    #expect(CompareError.noReports(paths: ["a", "b"]).description == "no report.json found under 'a', 'b'")
}

@Test func loadingFindsReportsRecursivelyWithTheirSidecars() throws {
    let runs = try loadCompareFixtureRuns(["cells"])
    #expect(runs.map { comparePortable($0.displayPath) } == [
        "cells/gru100-s1", "cells/gru100-s2", "cells/gru50-s1", "cells/gru50-s2", "cells/lstm50-s1", "cells/lstm50-s2",
        "cells/rnn50-s1", "cells/rnn50-s2",
    ])
    #expect(runs.map { $0.perUser != nil } == [true, true, true, true, true, true, true, false])
    #expect(runs[0].perUser?.users.count == 80)
    // A report file given directly is read as well, shown by its directory.
    let direct = try ComparisonBuilder.loadRuns(paths: [compareFixtures.appendingPathComponent("cells/gru50-s1/report.json").path])
    #expect(direct.map { comparePortable($0.displayPath) } == ["cells/gru50-s1"])
}

@Test func reportsWrittenByReportWriterAreComparedWithTheirSidecars() throws {
    let root = FileManager.default.temporaryDirectory
        .appendingPathComponent("seqrec-compare-written-\(UInt32.random(in: 0 ... .max))")
    defer { try? FileManager.default.removeItem(at: root) }
    let users: [Int32] = [0, 1, 2, 3, 4]
    let perCell: [String: [Float]] = ["lstm": [0.5, 1, 0.25, 0, .nan], "gru": [0.25, 1, 0, 0.5, 0.5]]
    for (cell, values) in perCell {
        let directory = root.appendingPathComponent("sweep/cell=\(cell),seed=1")
        var run = compareTestRun(cell: cell, seed: 1, perUser: PerUserValues(metric: "ndcg@10", users: users, values: values))
        run.report.test?.metrics["ndcg@10"] = Double(values.filter(\.isFinite).reduce(0, +)) / 4
        try ReportWriter.write(run.report, to: directory)
        try ReportWriter.writePerUser(values, users: users, metric: "ndcg@10", to: directory)
    }
    let runs = try ComparisonBuilder.loadRuns(paths: [root.path + "/"])
    #expect(runs.map(\.displayPath) == [root.path + "/sweep/cell=gru,seed=1", root.path + "/sweep/cell=lstm,seed=1"])
    let comparison = ComparisonBuilder.compare(runs)
    let test = try #require(comparison.significance.first?.result)
    // gru - lstm over users 0...3 (user 4 is NaN for lstm).
    #expect(test.count == 4)
    #expect(abs(test.meanDifference - (-0.25 + 0 - 0.25 + 0.5) / 4) < 1e-12)
}

@Test func cellsASpreadsheetWouldRunAsFormulasAreNeutralized() {
    let run = compareTestRun(cell: "lstm", seed: 1, name: "=HYPERLINK(\"http:evil\")|x")
    let line = ComparisonBuilder.compare([run]).csv().split(separator: "\n")[1]
    #expect(line.hasPrefix("\"'=HYPERLINK(\"\"http:evil\"\")|x\",P1,"))
    for (text, field) in [("+cmd", "\"'+cmd\""), ("-2+3", "\"'-2+3\""), ("@SUM(A1)", "\"'@SUM(A1)\""),
                          ("\tx", "\"'\tx\""), ("\rx", "\"'\rx\""), ("-", "\"'-\""), ("-e5", "\"'-e5\"")] {
        #expect(ComparisonFormatting.csvField(text) == field, "\(text)")
    }
    // Numbers stay numbers, and text that starts harmlessly stays bare.
    for text in ["-0.5", "+1", "1.5e-05", "-3E+2", "12", ".5", "a=b", "x-y", ""] {
        #expect(ComparisonFormatting.csvField(text) == text, "\(text)")
    }
}
