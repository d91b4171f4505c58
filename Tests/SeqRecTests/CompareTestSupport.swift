import Foundation
import Testing
@testable import SeqRec
@testable import SeqRecCore
@testable import SeqRecNumerics

// Shared helpers of the compare tests: fixture locations, snapshot comparison, run building.

let compareFixtures = URL(fileURLWithPath: #filePath)
    .deletingLastPathComponent().deletingLastPathComponent().appendingPathComponent("Fixtures/compare")

/// Loads fixture folders (by name under Tests/Fixtures/compare).
func loadCompareFixtureRuns(_ folders: [String]) throws -> [LoadedRun] {
    try ComparisonBuilder.loadRuns(paths: folders.map { compareFixtures.appendingPathComponent($0).path })
}

/// Output with the machine-specific fixture prefix removed from displayed paths.
func comparePortable(_ text: String) -> String {
    text.replacingOccurrences(of: compareFixtures.path + "/", with: "")
}

/// Compares `actual` with expected/<name>; with SEQREC_UPDATE_FIXTURES=1 rewrites the file instead.
func expectCompareSnapshot(_ actual: String, _ name: String, sourceLocation: SourceLocation = #_sourceLocation) throws {
    let url = compareFixtures.appendingPathComponent("expected/\(name)")
    if ConfigFixtures.updating {
        try actual.write(to: url, atomically: true, encoding: .utf8)
        return
    }
    let expected = try String(contentsOf: url, encoding: .utf8)
    if actual != expected {
        let actualLines = actual.split(separator: "\n", omittingEmptySubsequences: false)
        let expectedLines = expected.split(separator: "\n", omittingEmptySubsequences: false)
        let first = zip(actualLines, expectedLines).enumerated().first { $0.element.0 != $0.element.1 }
        let where_ = first.map { "line \($0.offset + 1):\n  expected: \($0.element.1)\n  actual:   \($0.element.0)" }
            ?? "line counts differ: expected \(expectedLines.count), actual \(actualLines.count)"
        Issue.record("snapshot \(name) differs at \(where_)", sourceLocation: sourceLocation)
    }
}

/// A minimal ok run for unit tests: config with the given model settings and seed.
func compareTestRun(cell: String, hidden: Int = 50, seed: Int64, name: String = "unit", ndcg: Double = 0.1,
                  history: [EpochRecord] = [], candidates: String = "all", perUser: PerUserValues? = nil,
                  startedAt: Double = 0, status: RunStatus = .ok, path: String? = nil) -> LoadedRun {
    let candidatesConfig: JSONValue = candidates == "all"
        ? .object(["all": .object([:])])
        : .object(["sampled": .object(["count": .integer(100), "strategy": .string("uniform")])])
    let config: JSONValue = .object([
        "name": .string(name), "seed": .integer(seed), "output": .object(["dir": .string("results/\(name)")]),
        "model": .object(["cell": .string(cell), "hiddenSize": .integer(Int64(hidden))]),
        "evaluation": .object(["candidates": candidatesConfig, "excludeSeen": .bool(true)]),
        "dataset": .object(["name": .string("movielens-100k")]),
        "split": .object(["method": .string("leave-one-out"), "maxLength": .integer(50)]),
    ])
    let provenance = Provenance(git: nil, swiftVersion: "6.3", swiftVersionSource: "compile-time", os: "test",
                                cpu: nil, cores: 1, threads: 1)
    var report = RunReport(runID: "\(name)-\(cell)-\(seed)", name: name, config: config, configHash: "", provenance: provenance,
                           startedAt: Timestamp(Date(timeIntervalSince1970: startedAt)), status: status)
    report.history = history
    if status == .ok {
        report.test = MetricsReport(metrics: ["ndcg@10": ndcg], sampled: candidates != "all", candidates: candidates,
                                    perUserFile: perUser == nil ? nil : "per_user.tsv", perUserMetric: perUser?.metric)
    }
    let directory = URL(fileURLWithPath: "/runs/\(path ?? "\(name)-\(cell)\(hidden)-s\(seed)")")
    return LoadedRun(report: report, directory: directory, displayPath: directory.path, perUser: perUser)
}
