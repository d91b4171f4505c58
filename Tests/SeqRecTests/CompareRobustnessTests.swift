import Foundation
import Testing
@testable import SeqRec
@testable import SeqRecCore
@testable import SeqRecNumerics

// What compare does with runs it must not silently merge or average: different thread counts,
// metric values outside their range, missing values, unreadable reports.

private func withThreads(_ run: LoadedRun, _ threads: Int) -> LoadedRun {
    var copy = run
    copy.report.provenance.threads = threads
    return copy
}

@Test func runsDifferingOnlyInThreadsAreSeparateConfigurations() {
    let one = withThreads(compareTestRun(cell: "gru", seed: 1, ndcg: 0.0774, path: "t1"), 1)
    let two = withThreads(compareTestRun(cell: "gru", seed: 1, ndcg: 0.0827, startedAt: 10, path: "t2"), 2)
    let comparison = ComparisonBuilder.compare([one, two])
    #expect(comparison.excluded.isEmpty)
    #expect(comparison.rows.map(\.label) == ["threads=1", "threads=2"])
    #expect(comparison.rows.map { $0.metrics["ndcg@10"]?.mean } == [0.0774, 0.0827])
}

@Test func aMetricOutsideItsRangeLeavesTheRunOutAsInvalid() {
    let good = compareTestRun(cell: "gru", seed: 1, ndcg: 0.1, path: "good")
    let negative = compareTestRun(cell: "gru", seed: 2, ndcg: -0.25, path: "negative")
    let above = compareTestRun(cell: "gru", seed: 3, ndcg: 1.5, path: "above")
    let comparison = ComparisonBuilder.compare([good, negative, above])
    #expect(comparison.rows.map(\.runs.count) == [1])
    #expect(comparison.excluded.map(\.reason) == [
        "invalid report: test metric ndcg@10 is 1.5, outside its range 0...1",
        "invalid report: test metric ndcg@10 is -0.25, outside its range 0...1",
    ])
    #expect(comparison.excluded.filter(\.isInvalid).count == 2)
    #expect(ComparisonBuilder.invalidMetric("rmse", -1) == "test metric rmse is -1.0, outside its range 0...inf")
    #expect(ComparisonBuilder.invalidMetric("rmse", 0.93) == nil)
}

@Test func aMissingValueIsShownAsMissingNotAveraged() throws {
    let runs = [compareTestRun(cell: "gru", seed: 1, ndcg: 0.10, path: "s1"),
                compareTestRun(cell: "gru", seed: 2, ndcg: .nan, path: "s2"),
                compareTestRun(cell: "gru", seed: 3, ndcg: 0.12, path: "s3")]
    let comparison = ComparisonBuilder.compare(runs)
    #expect(comparison.excluded.isEmpty)
    #expect(comparison.markdown().contains("| 0.1100 ± 0.0141 (2 of 3 seeds) |"))
}

@Test func compareSkipsAnUnreadableReportWithAWarningAndExitsOne() throws {
    guard SweepFixtures.runnerIsBuilt else { return }
    let scratch = try SweepFixtures.makeScratch()
    defer { try? FileManager.default.removeItem(at: scratch) }
    let results = scratch.appendingPathComponent("results")
    for run in ["lstm50-s1", "gru50-s1"] {
        let source = compareFixtures.appendingPathComponent("cells/\(run)")
        try FileManager.default.createDirectory(at: results, withIntermediateDirectories: true)
        try FileManager.default.copyItem(at: source, to: results.appendingPathComponent(run))
    }
    let broken = results.appendingPathComponent("broken")
    try FileManager.default.createDirectory(at: broken, withIntermediateDirectories: true)
    try "{\"status\": ".write(to: broken.appendingPathComponent("report.json"), atomically: true, encoding: .utf8)
    let finished = try SweepFixtures.runner(["compare", results.path, "--output", scratch.appendingPathComponent("out").path],
                                            scratch: scratch)
    #expect(finished.status == 1)
    #expect(finished.stderr.hasPrefix("runner compare: warning: skipped \(broken.path): "))
    #expect(finished.stderr.hasSuffix("runner compare: 1 report skipped or left out (above)\n"))
    #expect(finished.stdout.contains("2 runs in 2 configurations"))
    #expect(FileManager.default.fileExists(atPath: scratch.appendingPathComponent("out/comparison.md").path))
}

@Test func modelFamiliesTunedApartAreStillTestedAgainstEachOther() {
    #expect(ComparisonBuilder.testedDifference(["model.hiddenSize"], acrossFamilies: false) == "model.hidden_size")
    #expect(ComparisonBuilder.testedDifference(["model.cell", "model.dropout", "training.optimizer.learningRate"],
                                               acrossFamilies: true) == "model.cell (+ 2 model/training settings)")
    // Two recurrent cells of different sizes, other data, or no cell difference: not tested.
    #expect(ComparisonBuilder.testedDifference(["model.cell", "model.hiddenSize"], acrossFamilies: false) == nil)
    #expect(ComparisonBuilder.testedDifference(["model.cell", "dataset.name"], acrossFamilies: true) == nil)
    #expect(ComparisonBuilder.testedDifference(["model.dropout", "training.batchSize"], acrossFamilies: true) == nil)
    #expect(ComparisonBuilder.family(of: .string("sasrec")) != ComparisonBuilder.family(of: .string("gru")))
    #expect(ComparisonBuilder.family(of: .string("lstm")) == ComparisonBuilder.family(of: .string("gru")))
}

@Test func compareWithOnlyUnreadableReportsExitsOneAndWritesNothing() throws {
    guard SweepFixtures.runnerIsBuilt else { return }
    let scratch = try SweepFixtures.makeScratch()
    defer { try? FileManager.default.removeItem(at: scratch) }
    let broken = scratch.appendingPathComponent("results/broken")
    try FileManager.default.createDirectory(at: broken, withIntermediateDirectories: true)
    try "[]".write(to: broken.appendingPathComponent("report.json"), atomically: true, encoding: .utf8)
    let out = scratch.appendingPathComponent("out")
    let finished = try SweepFixtures.runner(["compare", scratch.appendingPathComponent("results").path, "--output", out.path],
                                            scratch: scratch)
    #expect(finished.status == 1)
    #expect(finished.stderr.hasSuffix("\nrunner compare: none of the reports could be read\n"))
    #expect(!FileManager.default.fileExists(atPath: out.path))
}

/// bce against gbce differs in the loss only: gbce_t, which gbce alone records, comes with it.
/// Two gbce calibrations, or a loss change beside another setting, are what they are.
@Test func gbceCalibrationComesWithTheLossChange() {
    let bce: [String: JSONValue] = ["training.loss": .string("bce"), "training.negatives": .integer(256)]
    var gbce = bce
    gbce["training.loss"] = .string("gbce")
    gbce["training.gbce_t"] = .number(0.75)
    #expect(ConfigSettings.differingSettings([bce, gbce]) == ["training.loss"])
    #expect(ConfigSettings.differingPaths([bce, gbce]) == ["training.gbce_t", "training.loss"])  // row labels still name t
    var calibrated = gbce
    calibrated["training.gbce_t"] = .number(0.5)
    #expect(ConfigSettings.differingSettings([gbce, calibrated]) == ["training.gbce_t"])
    var wider = gbce
    wider["training.negatives"] = .integer(64)
    #expect(ConfigSettings.differingSettings([bce, wider]) == ["training.loss", "training.negatives"])
}
