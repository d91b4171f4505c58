import Foundation
import Testing
@testable import SeqRec
@testable import SeqRecCore
@testable import SeqRecNumerics

// report.json: round trip, key order, atomic writes, schema, provenance, per-user sidecar.

private let repositoryRoot = URL(fileURLWithPath: #filePath)
    .deletingLastPathComponent().deletingLastPathComponent().deletingLastPathComponent()
private let schemaURL = repositoryRoot.appendingPathComponent("schema/report.schema.json")
private let fixtureURL = repositoryRoot.appendingPathComponent("Tests/Fixtures/report/sample-report.json")

private func temporaryDirectory(_ label: String) -> URL {
    let url = FileManager.default.temporaryDirectory
        .appendingPathComponent("seqrec-report-tests-\(label)-\(UInt32.random(in: 0 ... .max))")
    try? FileManager.default.removeItem(at: url)
    return url
}

/// A report with every section filled, as a finished run would write it.
func sampleReport() throws -> RunReport {
    var spec = ExperimentSpec(name: "lstm50")
    spec.seed = 42
    let config = try JSONValue(encoding: spec)
    let provenance = Provenance(git: GitState(commit: String(repeating: "ab", count: 20), dirty: true),
                                swiftVersion: "6.3", swiftVersionSource: "compile-time",
                                os: "Debian GNU/Linux 12 (bookworm) (Linux 6.1.0)", cpu: "Test CPU @ 2.0GHz",
                                cores: 2, threads: 1)
    var report = try RunReport(name: "lstm50", config: config, provenance: provenance,
                               startedAt: Timestamp(Date(timeIntervalSince1970: 1_796_000_000.125)), status: .ok,
                               message: "early stop after epoch 3")
    report.finishedAt = Timestamp(Date(timeIntervalSince1970: 1_796_000_101.5))
    report.dataset = DatasetReport(source: "movielens-100k", path: "data/ml-100k/u.data",
                                   sha256: String(repeating: "0f", count: 32), users: 943, items: 1_682,
                                   interactions: 100_000, density: 0.063_047_033,
                                   sequenceLength: SequenceLengthStats(min: 20, median: 85.5, mean: 232, max: 737),  // lengths 20, 737, 106, 65
                                   removed: ["min_user_interactions": 0, "rating_threshold": 0])
    report.split = SplitReport(method: "leave-one-out", maxLength: 50, trainTargets: 98_114, trainSequences: 2_690,
                               validationCases: 943, testCases: 943, trainingOnlyUsers: 0)
    report.history = [
        EpochRecord(epoch: 1, trainLoss: 6.75, validation: ["ndcg@10": 0.05, "hr@10": 0.1], seconds: 4.5,
                    targetsPerSecond: 21_800, learningRate: 0.001),
        EpochRecord(epoch: 2, trainLoss: 6.25, seconds: 4.25, targetsPerSecond: 23_085.5, learningRate: 0.001),
    ]
    report.bestEpoch = 1
    report.validation = MetricsReport(metrics: ["ndcg@10": 0.05, "hr@10": 0.1], sampled: false, candidates: "all",
                                      cases: 943)
    report.test = MetricsReport(metrics: ["ndcg@10": 0.04, "hr@10": 0.09, "coverage@10": 0.2], sampled: false,
                                candidates: "all", cases: 943, perUserFile: "per_user.tsv", perUserMetric: "ndcg@10")
    report.ratingBaselines = RatingBaselines(globalMean: RatingErrors(rmse: 1.12, mae: 0.94), userMean: nil)
    report.timing = TimingReport(totalSeconds: 101.375, dataSeconds: 0.5, trainingSeconds: 90, evaluationSeconds: 1.25,
                                 targetsPerSecond: 22_000)
    report.parameterCount = 123_456
    return report
}

@Test func reportRoundTripsThroughTheFile() throws {
    let directory = temporaryDirectory("roundtrip")
    defer { try? FileManager.default.removeItem(at: directory) }
    let report = try sampleReport()
    let url = try ReportWriter.write(report, to: directory.appendingPathComponent("nested/run"))
    #expect(url.lastPathComponent == "report.json")
    let read = try ReportReader.read(url)
    #expect(read == report)
    #expect(read.configHash == (try RunReport.configHash(of: read.config)))
    #expect(read.runID == "lstm50-20261130T005320Z-\(report.configHash.prefix(8))")
    #expect(report.configHash.count == 64)
}

@Test func runIDAndTimestampsAreUTC() throws {
    let start = Timestamp(Date(timeIntervalSince1970: 0.25))
    #expect(start.description == "1970-01-01T00:00:00.250Z")
    #expect(Timestamp(parsing: "1970-01-01T00:00:00Z")?.date == Date(timeIntervalSince1970: 0))
    #expect(Timestamp(parsing: "yesterday") == nil)
    #expect(RunReport.makeRunID(name: "gru50", startedAt: start, configHash: "0123456789abcdef")
            == "gru50-19700101T000000Z-01234567")
}

@Test func nonFiniteNumbersAreWrittenAsStrings() throws {
    var report = try sampleReport()
    report.status = .diverged
    report.history[1].trainLoss = .nan
    report.history[1].validation = ["ndcg@10": -.infinity]
    let data = try ReportWriter.encode(report)
    let text = String(decoding: data, as: UTF8.self)
    #expect(text.contains("\"train_loss\" : \"NaN\""))
    #expect(text.contains("\"ndcg@10\" : \"-Infinity\""))
    let directory = temporaryDirectory("nan")
    defer { try? FileManager.default.removeItem(at: directory) }
    let read = try ReportReader.read(try ReportWriter.write(report, to: directory))
    #expect(read.history[1].trainLoss.isNaN)
    #expect(read.history[1].validation?["ndcg@10"] == -.infinity)
    #expect(read.status == .diverged)
    #expect(try JSONSchemaValidator(contentsOf: schemaURL).validate(fileAt: directory.appendingPathComponent("report.json")) == [])
}

@Test func keysAreSortedSnakeCaseAndPretty() throws {
    let text = String(decoding: try ReportWriter.encode(try sampleReport()), as: UTF8.self)
    // Top-level keys are the lines indented by exactly two spaces.
    let topLevel = text.split(separator: "\n").compactMap { line -> String? in
        guard line.hasPrefix("  \""), !line.hasPrefix("   ") else { return nil }
        return String(line.dropFirst(3).prefix { $0 != "\"" })
    }
    #expect(topLevel == ["best_epoch", "config", "config_hash", "dataset", "finished_at", "history", "message", "name",
                         "parameter_count", "provenance", "rating_baselines", "run_id", "schema_version", "split",
                         "started_at", "status", "test", "timing", "validation"])
    #expect(text.hasSuffix("}\n"))
    // Re-encoding the parsed JSON with sorted keys reproduces the file exactly.
    let value = try JSONDecoder().decode(JSONValue.self, from: Data(text.utf8))
    let encoder = JSONEncoder()
    encoder.outputFormatting = [.prettyPrinted, .sortedKeys, .withoutEscapingSlashes]
    #expect(String(decoding: try encoder.encode(value), as: UTF8.self) + "\n" == text)
}

@Test func writeLeavesOnlyTheReportBehind() throws {
    let directory = temporaryDirectory("atomic")
    defer { try? FileManager.default.removeItem(at: directory) }
    try ReportWriter.write(try sampleReport(), to: directory)
    var second = try sampleReport()
    second.status = .interrupted
    try ReportWriter.write(second, to: directory)
    #expect(try FileManager.default.contentsOfDirectory(atPath: directory.path) == ["report.json"])
    #expect(try ReportReader.read(directory.appendingPathComponent("report.json")).status == .interrupted)
}

@Test func failedWriteKeepsThePreviousReport() throws {
    let directory = temporaryDirectory("failed")
    defer { try? FileManager.default.removeItem(at: directory) }
    let url = try ReportWriter.write(try sampleReport(), to: directory)
    let before = try Data(contentsOf: url)
    var second = try sampleReport()
    second.status = .failed
    let injected = ReportError.cannotWrite(path: url.path, reason: "disk full (injected)")
    var temporaryExisted = false
    #expect(throws: injected) {
        try ReportWriter.write(second, to: directory, beforeRename: {
            // The complete temporary file sits next to the report, not yet renamed.
            let names = try FileManager.default.contentsOfDirectory(atPath: directory.path)
            temporaryExisted = names.contains { $0.hasPrefix(".report.json.") && $0.hasSuffix(".tmp") }
            throw injected
        })
    }
    #expect(temporaryExisted)
    #expect(try Data(contentsOf: url) == before)
    #expect(try FileManager.default.contentsOfDirectory(atPath: directory.path) == ["report.json"])
}

@Test func unwritableDirectoryIsATypedError() throws {
    let directory = temporaryDirectory("blocked")
    defer { try? FileManager.default.removeItem(at: directory) }
    try FileManager.default.createDirectory(at: directory, withIntermediateDirectories: true)
    let blocker = directory.appendingPathComponent("file")
    try Data("x".utf8).write(to: blocker)
    do {
        try ReportWriter.write(try sampleReport(), to: blocker.appendingPathComponent("run"))
        Issue.record("writing under a regular file succeeded")
    } catch let error as ReportError {
        guard case .cannotCreateDirectory(let path, _) = error else {
            Issue.record("unexpected \(error)")
            return
        }
        #expect(path == blocker.appendingPathComponent("run").path)
    }
}

@Test func readerRejectsNewerSchemasAndBrokenReports() throws {
    let directory = temporaryDirectory("reader")
    defer { try? FileManager.default.removeItem(at: directory) }
    try FileManager.default.createDirectory(at: directory, withIntermediateDirectories: true)
    let url = directory.appendingPathComponent("report.json")
    try Data(#"{"schema_version": 99}"#.utf8).write(to: url)
    #expect(throws: ReportError.unsupportedSchemaVersion(path: url.path, found: 99, supported: 1)) {
        try ReportReader.read(url)
    }
    try Data(#"{"schema_version": 1, "run_id": "x", "name": "x"}"#.utf8).write(to: url)
    #expect(throws: ReportError.invalidReport(path: url.path, reason: "missing key 'config' at top level")) {
        try ReportReader.read(url)
    }
    let missing = directory.appendingPathComponent("absent.json")
    #expect(throws: ReportError.self) { try ReportReader.read(missing) }
}

// MARK: - Schema

@Test func sampleReportValidatesAgainstTheSchema() throws {
    let directory = temporaryDirectory("schema")
    defer { try? FileManager.default.removeItem(at: directory) }
    let url = try ReportWriter.write(try sampleReport(), to: directory)
    let validator = try JSONSchemaValidator(contentsOf: schemaURL)
    #expect(try validator.validate(fileAt: url) == [])
    // A minimal report (a run that failed before loading data) is valid too.
    let minimal = try RunReport(name: "tiny", config: .object(["name": .string("tiny")]),
                                provenance: Provenance.capture(threads: 1), status: .failed, message: "no data")
    #expect(validator.validate(try JSONDecoder().decode(JSONValue.self, from: try ReportWriter.encode(minimal))) == [])
}

@Test func schemaValidatorReportsEachViolation() throws {
    let validator = try JSONSchemaValidator(contentsOf: schemaURL)
    let good = try JSONDecoder().decode(JSONValue.self, from: try ReportWriter.encode(try sampleReport()))
    guard case .object(var object) = good, case .array(var history)? = object["history"],
          case .object(var epoch) = history[0] else {
        Issue.record("unexpected report shape")
        return
    }
    object["status"] = nil
    object["surprise"] = .bool(true)
    epoch["epoch"] = .string("one")
    epoch["train_loss"] = .string("nan")
    history[0] = .object(epoch)
    object["history"] = .array(history)
    object["split"] = .object(["method": .string("random")])
    #expect(validator.validate(.object(object)) == [
        "$: missing required key 'status'",
        "$.history[0].epoch: expected integer, found string",
        "$.history[0].train_loss: 'nan' matches none of the anyOf alternatives",
        "$.split.method: 'random' is not one of 'leave-one-out', 'user-ratio', 'temporal'",
        "$: unexpected key 'surprise'",
    ])
}

@Test func committedFixtureStillReadsAndValidates() throws {
    // Tests/Fixtures/report/sample-report.json is a report written by this code at schema
    // version 1: the reader must keep reading it, and the schema must keep accepting it.
    let report = try ReportReader.read(fixtureURL)
    #expect(report.schemaVersion == 1)
    #expect(report.test?.metrics["ndcg@10"] == 0.04)
    #expect(try JSONSchemaValidator(contentsOf: schemaURL).validate(fileAt: fixtureURL) == [])
}

// MARK: - Provenance and config embedding

@Test func provenanceDescribesThisMachine() throws {
    let inCheckout = Provenance.capture(threads: 3, directory: repositoryRoot)
    #expect(inCheckout.threads == 3)
    #expect(inCheckout.cores >= 1)
    #expect(!inCheckout.os.isEmpty)
    #expect(inCheckout.swiftVersionSource == "compile-time")
    #expect(inCheckout.swiftVersion.first?.isNumber == true || inCheckout.swiftVersion.hasPrefix(">="))
    #if os(Linux)
    #expect(inCheckout.cpu?.isEmpty == false)
    #endif
    if let git = inCheckout.git {
        #expect(git.commit.count == 40 && git.commit.allSatisfy(\.isHexDigit))
    } else {
        Issue.record("no git state inside the repository (git missing?)")
    }
    let outside = temporaryDirectory("nogit")
    try FileManager.default.createDirectory(at: outside, withIntermediateDirectories: true)
    defer { try? FileManager.default.removeItem(at: outside) }
    #expect(Provenance.gitState(in: outside) == nil)
}

@Test func configIsEmbeddedVerbatim() throws {
    var spec = ExperimentSpec(name: "big-seed")
    spec.seed = .max
    spec.evaluation.candidates = .sampled(count: 100, strategy: .popularity)
    let encoder = JSONEncoder()
    encoder.outputFormatting = [.sortedKeys]
    let original = try encoder.encode(spec)
    let value = try JSONValue(encoding: spec)
    #expect(value["seed"] == .unsigned(.max))
    #expect(value["model"]?["dropout"] == .number(0.2))
    #expect(value["model"]?["hidden_size"] == .integer(50) && value["model"]?["hiddenSize"] == nil)
    // Re-encoding the embedded value gives the config layer's own bytes back.
    #expect(try encoder.encode(value) == original)
    // The hash ignores key order and whitespace.
    let reordered = try JSONDecoder().decode(JSONValue.self, from: Data(#"{"b": [1, 2.5], "a": {"y": null, "x": true}}"#.utf8))
    let compact = try JSONDecoder().decode(JSONValue.self, from: Data(#"{"a":{"x":true,"y":null},"b":[1,2.5]}"#.utf8))
    #expect(try RunReport.configHash(of: reordered) == RunReport.configHash(of: compact))
    #expect(try RunReport.configHash(of: reordered) != RunReport.configHash(of: .object(["a": .null])))
}

// MARK: - Per-user sidecar

@Test func perUserSidecarRoundTrips() throws {
    let directory = temporaryDirectory("peruser")
    defer { try? FileManager.default.removeItem(at: directory) }
    let values: [Float] = [0.5, 0, .nan, 1.0 / 3]
    let url = try ReportWriter.writePerUser(values, users: [0, 1, 2, 942], metric: "ndcg@10", to: directory)
    #expect(try String(contentsOf: url, encoding: .utf8) == "user\tndcg@10\n0\t0.5\n1\t0.0\n2\tNaN\n942\t0.33333334\n")
    let read = try ReportReader.readPerUser(url)
    #expect(read.metric == "ndcg@10" && read.users == [0, 1, 2, 942])
    #expect(read.values[0] == 0.5 && read.values[1] == 0 && read.values[2].isNaN && read.values[3] == 1.0 / 3)
    #expect(throws: ReportError.mismatchedPerUser(values: 1, users: 2)) {
        try ReportWriter.writePerUser([1], users: [1, 2], metric: "hr@10", to: directory)
    }
    try Data("user\tndcg@10\n3\tzero\n".utf8).write(to: url)
    #expect(throws: ReportError.invalidPerUserFile(path: url.path, line: 2, reason: "expected '<user><TAB><value>', found '3\tzero'")) {
        try ReportReader.readPerUser(url)
    }
}

/// Rewrites Tests/Fixtures/report/sample-report.json from `sampleReport()`; runs only with
/// SEQREC_UPDATE_FIXTURES=1 (do it when the schema version changes, and keep the old one).
@Test(.enabled(if: ConfigFixtures.updating))
func regenerateReportFixture() throws {
    try AtomicFile.write(try ReportWriter.encode(try sampleReport()), to: fixtureURL)
}
