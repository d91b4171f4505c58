import Foundation
import Testing
@testable import SeqRec
@testable import SeqRecCore
@testable import SeqRecNumerics

// Every number that sizes an allocation is bounded before anything is allocated: by the
// config alone where the value decides (cut-offs, sampled negatives, synthetic sizes), by the
// catalogue once the data is read (sampled negatives, recommend -k), and in the memory
// estimate (the evaluation's per-user buffers). Costs stay linear in the flags and files a
// user gives (`--set`, `extends:` chains). Command-line ids and -k are usage errors (exit 2).

private let tinyConfig = """
    dataset:
      synthetic: {users: 40, items: 30, length: 12, lag: 4, noise: 0.2, keys: 3}
      min_user_interactions: 1
    split: {max_length: 8}
    model: {cell: pop}
    evaluation: {metrics: [hr@10]}

    """

/// The messages of loading `text` (after `--set overrides`) as one file, one per problem.
private func messages(_ text: String, overrides: [String] = []) -> [String] {
    let path = ConfigFixtures.temporaryFile(text)
    do {
        _ = try ConfigLoader.load(path: path, overrides: overrides)
        return []
    } catch {
        return error.diagnostics.map { "\($0.keyPath): \($0.message)" }
    }
}

private let enabled = SweepFixtures.runnerIsBuilt

/// Runs the runner in `directory` with a deadline; a run past it is killed (and fails on its status).
private func runner(_ arguments: [String], in directory: URL, environment: [String: String] = [:],
                    limit: Double = 120) throws -> SweepFixtures.Finished {
    let launched = try SweepFixtures.launch(ConfigFixtures.runnerBinary.path, arguments, scratch: directory,
                                            in: directory, environment: environment)
    let deadline = Date().addingTimeInterval(limit)
    while launched.process.isRunning && Date() < deadline { Thread.sleep(forTimeInterval: 0.02) }
    if launched.process.isRunning { kill(launched.process.processIdentifier, SIGKILL) }
    return launched.wait()
}

// MARK: - Bounds the config alone decides

@Test func numbersThatSizeMemoryAreBoundedByValidation() {
    #expect(messages(tinyConfig, overrides: ["evaluation.candidates={sampled: 99999999}"])
        == ["evaluation.candidates.sampled: expected an integer from 1 to 100000, found '99999999'"])
    #expect(messages(tinyConfig, overrides: ["evaluation.metrics=[hr@1000000000]"])
        == ["evaluation.metrics[0]: expected a cut-off k from 1 to 10000 in 'hr@k', found 'hr@1000000000'"])
    #expect(messages(tinyConfig, overrides: ["evaluation.metrics=[coverage@10001]"])
        == ["evaluation.metrics[0]: expected a cut-off k from 1 to 10000 in 'coverage@k', found 'coverage@10001'"])
    #expect(messages(tinyConfig, overrides: ["dataset.synthetic.users=1000000000"])
        == ["dataset.synthetic.users: expected an integer from 1 to 10000000, found '1000000000'"])
    #expect(messages(tinyConfig, overrides: ["dataset.synthetic.length=1000000000"])
        == ["dataset.synthetic.length: expected an integer from 2 to 100000, found '1000000000'"])
    #expect(messages(tinyConfig, overrides: ["dataset.synthetic.items=1000000000"])
        == ["dataset.synthetic.items: expected an integer from 2 to 10000000, found '1000000000'"])
    #expect(messages(tinyConfig, overrides: ["dataset.synthetic.users=10000", "dataset.synthetic.length=100000"])
        == ["dataset.synthetic: expected at most 100000000 events (users x length), found 10000 x 100000 = 1000000000"])
    // The largest values pass.
    #expect(messages(tinyConfig, overrides: ["evaluation.candidates={sampled: 100000}", "evaluation.metrics=[hr@10000, coverage@10000]"]).isEmpty)
}

@Test func theSchemaCarriesTheBounds() throws {
    let schema = ConfigReference.jsonSchema()
    #expect(schema.contains(#""maximum": 100000"#))
    #expect(schema.contains(#"@([1-9][0-9]{0,3}|10000)"#))
    #expect(schema.contains(#""maximum": 10000000"#))
}

// MARK: - Bounds the catalogue decides

@Test func sampledNegativesBeyondTheCatalogueStopTheRunBeforeAnyBuffer() throws {
    let scratch = try SweepFixtures.makeScratch()
    defer { try? FileManager.default.removeItem(at: scratch) }
    let path = scratch.appendingPathComponent("tiny.yaml").path
    try (tinyConfig + "output: {dir: \(scratch.appendingPathComponent("out").path)}\n").write(toFile: path, atomically: true, encoding: .utf8)
    let spec = try ConfigLoader.load(path: path, overrides: ["evaluation.candidates={sampled: 30}"])
    let outcome = ExperimentRunner.run(spec, options: RunOptions(quiet: true, configPath: path), datasets: DatasetCache())
    #expect(outcome.status == .failed)
    #expect(outcome.message == "evaluation.candidates: expected at most 29 sampled negatives for a catalogue of 30 items (a target is never its own negative), found 30; use 'candidates: all' to rank the whole catalogue")
    // Refused before the run wrote its id maps; the report says why.
    #expect(!FileManager.default.fileExists(atPath: scratch.appendingPathComponent("out/ids.json").path))
    #expect(try ReportReader.read(scratch.appendingPathComponent("out/report.json")).message == outcome.message)
    // One below the catalogue is a valid sampled protocol.
    let fits = try ConfigLoader.load(path: path, overrides: ["evaluation.candidates={sampled: 29}", "output.dir=\(scratch.path)/fits"])
    #expect(ExperimentRunner.run(fits, options: RunOptions(quiet: true, configPath: path), datasets: DatasetCache()).status == .ok)
}

@Test func cutOffsBeyondTheCatalogueAreExactAndSizedByTheCatalogue() throws {
    // Three cases over 4 items: a cut-off of 10,000 gives what a cut-off of 4 gives.
    let cases = [RankingCase(user: 0, history: [1], targets: [2]), RankingCase(user: 1, history: [], targets: [4]),
                 RankingCase(user: 2, history: [3], targets: [1])]
    let scores: [Float] = [0, 0.1, 0.9, 0.3, 0.2, 0, 0.5, 0.4, 0.3, 0.2, 0, 0.1, 0.2, 0.3, 0.4]
    func result(_ metrics: [String]) -> [String: Double] {
        var spec = EvaluationSpec()
        spec.metrics = metrics.compactMap(MetricSpec.init(parsing:))
        let evaluator = RankingEvaluator(cases: cases, numItems: 4, spec: spec, itemCounts: [], seed: 1)
        evaluator.accumulate(scores: scores, rows: 3, offset: 0)
        return evaluator.result().metrics
    }
    let huge = result(["hr@10000", "ndcg@10000", "precision@10000", "coverage@10000"])
    let exact = result(["hr@4", "ndcg@4", "precision@4", "coverage@4"])
    #expect(huge["hr@10000"] == exact["hr@4"] && huge["ndcg@10000"] == exact["ndcg@4"])
    #expect(huge["coverage@10000"] == exact["coverage@4"])
    #expect(huge["precision@10000"] == exact["precision@4"].map { $0 * 4 / 10000 })
}

@Test func theMemoryEstimateCountsTheEvaluationBuffers() throws {
    var spec = try ConfigLoader.load(path: ConfigFixtures.temporaryFile(tinyConfig),
                                     overrides: ["model.cell=gru", "evaluation.metrics=[hr@10, coverage@10000]"])
    spec.training.threads = 1
    // 2 million cases with a 10,000-item coverage list each: 80 GB of top lists.
    let estimate = try #require(MemoryEstimate(spec, numItems: 1_000_000, threads: 1, evaluationCases: 2_000_000))
    #expect(estimate.evaluationBytes >= 2_000_000 * 10_000 * 4)
    #expect(estimate.totalBytes == estimate.parameterBytes + estimate.workspaceBytes + estimate.evaluationBytes)
    // A catalogue smaller than the cut-off bounds the list.
    let small = try #require(MemoryEstimate(spec, numItems: 100, threads: 1, evaluationCases: 2_000_000))
    #expect(small.evaluationBytes < 2_000_000 * 200 * 4)
    #expect(throws: MemoryBudgetError.self) {
        try MemoryBudget.check(spec, numItems: 1_000_000, evaluationCases: 2_000_000, catalogue: "1.0 million items", available: 16e9)
    }
    do {
        try MemoryBudget.check(spec, numItems: 1_000_000, evaluationCases: 2_000_000, catalogue: "1.0 million items", available: 16e9)
    } catch {
        #expect(error.description.hasSuffix("for the evaluation's per-user buffers); reduce evaluation.candidates' sampled negatives or the coverage@k cut-off"))
    }
}

@Test(.enabled(if: enabled)) func evaluateRefusesSampledNegativesBeyondTheCatalogue() throws {
    let scratch = try SweepFixtures.makeScratch()
    defer { try? FileManager.default.removeItem(at: scratch) }
    try tinyConfig.write(to: scratch.appendingPathComponent("tiny.yaml"), atomically: true, encoding: .utf8)
    let trained = try runner(["tiny.yaml", "--quiet", "--set", "output.dir=run"], in: scratch)
    #expect(trained.status == 0, "\(trained.stderr)")
    let tooMany = try runner(["evaluate", "run", "--set", "evaluation.candidates={sampled: 99999999}"], in: scratch)
    #expect(tooMany.status == 2)
    #expect(tooMany.stderr == "--set evaluation.candidates={sampled: 99999999}: error: evaluation.candidates.sampled: expected an integer from 1 to 100000, found '99999999'\n")
    let beyond = try runner(["evaluate", "run", "--set", "evaluation.candidates={sampled: 300}"], in: scratch)
    #expect(beyond.status == 2)
    #expect(beyond.stderr == "error: evaluation.candidates: expected at most 29 sampled negatives for a catalogue of 30 items (a target is never its own negative), found 300; use 'candidates: all' to rank the whole catalogue\n")

    // recommend -k: at most the catalogue, never a crash.
    for k in ["99999999999", "9223372036854775807", "31"] {
        let result = try runner(["recommend", "run", "--users", "user-1", "-k", k], in: scratch)
        #expect(result.status == 2 && result.stderr == "error: -k must be at most 30 (the items of the run's catalogue), got \(k)\n", "\(k): \(result.stderr)")
    }
    let whole = try runner(["recommend", "run", "--history", "key-1", "-k", "30", "--include-seen", "--format", "csv"], in: scratch)
    #expect(whole.status == 0 && whole.stdout.split(separator: "\n").count == 31)
}

// MARK: - Usage errors of recommend

@Test(.enabled(if: enabled)) func recommendIdListsAndNegativeKAreUsageErrors() throws {
    let scratch = try SweepFixtures.makeScratch()
    defer { try? FileManager.default.removeItem(at: scratch) }
    let cases: [([String], String)] = [
        (["--users", ""], "error: --users: expected comma-separated ids, found ''\n"),
        (["--users", ","], "error: --users: expected comma-separated ids, found ','\n"),
        (["--users", "196,,186"], "error: --users: expected an id at position 2 of '196,,186', found an empty one\n"),
        (["--users", "196,"], "error: --users: expected an id at position 2 of '196,', found an empty one\n"),
        (["--history", " , "], "error: --history: expected comma-separated ids, found ' , '\n"),
        (["--all-users", "-k", "-1"], "error: -k must be at least 1, got -1\n"),
    ]
    for (arguments, expected) in cases {
        let result = try runner(["recommend", "no-such-run"] + arguments, in: scratch)
        #expect(result.status == 2 && result.stderr == expected && result.stdout.isEmpty, "\(arguments): \(result.stderr)")
    }
}

// MARK: - Costs linear in what the user gives

@Test func extendsChainsAreBoundedWithAMessageNamingTheChain() throws {
    let directory = FileManager.default.temporaryDirectory.appendingPathComponent("seqrec-extends-\(UUID().uuidString)")
    try FileManager.default.createDirectory(at: directory, withIntermediateDirectories: true)
    defer { try? FileManager.default.removeItem(at: directory) }
    func write(chain length: Int) throws {
        for index in 1...length {
            let parent = index < length ? "extends: f\(index + 1).yaml\n" : tinyConfig
            try parent.write(to: directory.appendingPathComponent("f\(index).yaml"), atomically: true, encoding: .utf8)
        }
    }
    try write(chain: ConfigLoader.maxExtendsChain)
    _ = try ConfigLoader.load(path: directory.appendingPathComponent("f1.yaml").path, displayName: "f1.yaml", overrides: [])
    try write(chain: 2_000)
    let start = Date()
    #expect(throws: ConfigError.self) {
        try ConfigLoader.load(path: directory.appendingPathComponent("f1.yaml").path, displayName: "f1.yaml", overrides: [])
    }
    #expect(Date().timeIntervalSince(start) < 5)
    do {
        _ = try ConfigLoader.load(path: directory.appendingPathComponent("f1.yaml").path, displayName: "f1.yaml", overrides: [])
    } catch {
        #expect(error.description == """
            f32.yaml:1:10: error: extends: expected a chain of at most 32 files through 'extends', found more: \
            f1.yaml -> f2.yaml -> f3.yaml -> ... (28 more) -> f32.yaml -> f33.yaml
            extends: f33.yaml
                     ^
            """)
    }
}

@Test(.enabled(if: enabled)) func manySetFlagsCostLinearTime() throws {
    let scratch = try SweepFixtures.makeScratch()
    defer { try? FileManager.default.removeItem(at: scratch) }
    try tinyConfig.write(to: scratch.appendingPathComponent("tiny.yaml"), atomically: true, encoding: .utf8)
    // 20,000 flags, the last of each key winning, in both spellings.
    var arguments = ["validate", "tiny.yaml", "--format", "json"]
    for index in 1...10_000 {
        arguments += ["--set", "seed=\(index)", "--set=split.max_length=\(index % 7 + 2)"]
    }
    let start = Date()
    let result = try runner(arguments, in: scratch, limit: 60)
    #expect(result.status == 0, "\(result.stderr)")
    #expect(Date().timeIntervalSince(start) < 30)
    let resolved = try #require(try JSONSerialization.jsonObject(with: Data(result.stdout.utf8)) as? [String: Any])
    #expect(resolved["seed"] as? Int == 10_000)
    #expect((resolved["split"] as? [String: Any])?["max_length"] as? Int == 10_000 % 7 + 2)
    // Commands without --set still refuse it; a --set without a value is ArgumentParser's error.
    let recommend = try runner(["recommend", "run", "--all-users", "--set", "seed=1"], in: scratch)
    #expect(recommend.status == 2 && recommend.stderr.hasPrefix("Error: Unknown option '--set'"), "\(recommend.stderr)")
    let dangling = try runner(["validate", "tiny.yaml", "--set"], in: scratch)
    #expect(dangling.status == 2 && dangling.stderr.hasPrefix("Error: Missing value for '--set <key.path=value>'"), "\(dangling.stderr)")
}
