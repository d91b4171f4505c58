import Foundation
import Testing
@testable import SeqRec
@testable import SeqRecCore
@testable import SeqRecNumerics

// Every error message a user can trigger, with its exact text (the snapshot style of
// swift-argument-parser's tests): a bad run directory for `runner recommend` and `runner
// evaluate`, a bad saved training state, bad reports for `runner compare`, bad flags. Most
// cases break a copy of one small trained run (trained once, in a fraction of a second) the
// way a user could, and run the built binary on it. Messages that only an internal invariant
// can produce are checked by their description at the end.

private let enabled = SweepFixtures.runnerIsBuilt
private let tinyConfig = ConfigFixtures.fixtures.appendingPathComponent("e2e/tiny.yaml").path

private struct TemplateFailed: Error { var message: String }

/// The tiny end-to-end experiment trained once; tests break copies of it.
private let template: Result<URL, any Error> = Result {
    var spec = try ConfigLoader.load(path: tinyConfig)
    let directory = FileManager.default.temporaryDirectory.appendingPathComponent("seqrec-errors-template-\(UUID().uuidString)")
    spec.output.dir = directory.path
    spec.training.threads = 1
    let outcome = ExperimentRunner.run(spec, options: RunOptions(quiet: true, configPath: tinyConfig), datasets: DatasetCache())
    guard outcome.status == .ok else { throw TemplateFailed(message: outcome.message) }
    return directory
}

/// A scratch directory holding a fresh copy of the trained run as `run/`.
private func scratchWithRun() throws -> (scratch: URL, run: URL) {
    let scratch = try SweepFixtures.makeScratch()
    let run = scratch.appendingPathComponent("run")
    try FileManager.default.copyItem(at: template.get(), to: run)
    try? FileManager.default.removeItem(at: run.appendingPathComponent(RunDirectoryLock.fileName))
    return (scratch, run)
}

/// Runs the built runner in `directory`, its output captured in `scratch`.
private func runner(_ arguments: [String], scratch: URL, in directory: URL? = nil) throws -> SweepFixtures.Finished {
    try SweepFixtures.launch(ConfigFixtures.runnerBinary.path, arguments, scratch: scratch, in: directory ?? scratch,
                             environment: ["COLUMNS": "80"]).wait()
}

private func write(_ text: String, to url: URL) throws {
    try FileManager.default.createDirectory(at: url.deletingLastPathComponent(), withIntermediateDirectories: true)
    try Data(text.utf8).write(to: url)
}


// MARK: - A broken run directory: recommend and evaluate

@Test(.enabled(if: enabled)) func recommendWithoutIdsJSONNamesTheMissingFile() throws {
    let (scratch, run) = try scratchWithRun()
    defer { try? FileManager.default.removeItem(at: scratch) }
    try FileManager.default.removeItem(at: run.appendingPathComponent("ids.json"))
    let result = try runner(["recommend", run.path, "--all-users"], scratch: scratch)
    #expect(result.stderr == "error: \(run.path)/ids.json: no id maps (the file does not exist)\n")
    #expect(result.status == 2 && result.stdout.isEmpty)
}

@Test func anIdsJSONThatIsNotAnIdMapSaysWhatIsWrongInIt() throws {
    let (scratch, run) = try scratchWithRun()
    defer { try? FileManager.default.removeItem(at: scratch) }
    let ids = run.appendingPathComponent("ids.json")
    try write(#"{"items": ["<pad>", "a"]}"#, to: ids)
    #expect(errorText { _ = try TrainedRun(directory: run) } == "\(ids.path): corrupt or truncated: missing key 'users' at top level")
    try write(#"{"items": "a", "users": []}"#, to: ids)
    #expect(errorText { _ = try TrainedRun(directory: run) }
        == "\(ids.path): corrupt or truncated: wrong type at items, expected Array<Any>")
    try write("garbage", to: ids)
    #expect(errorText { _ = try TrainedRun(directory: run) }
        == "\(ids.path): corrupt or truncated: The given data was not valid JSON.")
}

@Test(.enabled(if: enabled)) func idsOfOtherDataAreRefused() throws {
    let (scratch, run) = try scratchWithRun()
    defer { try? FileManager.default.removeItem(at: scratch) }
    try write(#"{"items": ["<pad>", "a"], "users": ["u"]}"#, to: run.appendingPathComponent("ids.json"))
    let result = try runner(["recommend", run.path, "--all-users"], scratch: scratch)
    #expect(result.stderr == "error: \(run.path)/ids.json: the dataset's ids differ from the ones the model was trained on "
        + "(the data changed since training)\n")
    #expect(result.status == 2 && result.stdout.isEmpty)
}

@Test(.enabled(if: enabled)) func aTruncatedModelFileIsRefused() throws {
    let (scratch, run) = try scratchWithRun()
    defer { try? FileManager.default.removeItem(at: scratch) }
    let model = run.appendingPathComponent("model.safetensors")
    try write("abcd", to: model)
    let result = try runner(["evaluate", run.path], scratch: scratch)
    #expect(result.stderr == "error: \(model.path): corrupt or truncated: safetensors file too short: 4 bytes, "
        + "need at least 8 for the header length\n")
    #expect(result.status == 2 && result.stdout.isEmpty)
}

@Test func aModelFileOfAnotherFormatOrWithoutItsConfigIsRefused() throws {
    let (scratch, run) = try scratchWithRun()
    defer { try? FileManager.default.removeItem(at: scratch) }
    let model = run.appendingPathComponent("model.safetensors")
    // e.g. a file written by safetensors.torch.save_file, without seqrec's metadata
    try SafeTensorsFile(tensors: ["w": try SafeTensor(shape: [1], floats: [0])]).serialized().write(to: model)
    #expect(errorText { _ = try TrainedRun(directory: run) }
        == "\(model.path): not a seqrec file of format seqrec-model-1 (format: none)")
    try SafeTensorsFile(metadata: ["format": "seqrec-state-1"]).serialized().write(to: model)
    #expect(errorText { _ = try TrainedRun(directory: run) }
        == "\(model.path): not a seqrec file of format seqrec-model-1 (format: seqrec-state-1)")
    try SafeTensorsFile(metadata: ["format": "seqrec-model-1"]).serialized().write(to: model)
    #expect(errorText { _ = try TrainedRun(directory: run) }
        == "\(model.path): corrupt or truncated: metadata lacks the config or its hash")
}

@Test func aModelFileWithAnEditedConfigOrOtherTensorsIsRefused() throws {
    let (scratch, run) = try scratchWithRun()
    defer { try? FileManager.default.removeItem(at: scratch) }
    let model = run.appendingPathComponent("model.safetensors")
    let original = try SafeTensorsFile.read(contentsOf: model)
    var edited = original
    edited.metadata["config_hash"] = String(repeating: "0", count: 64)
    try edited.serialized().write(to: model)
    #expect(errorText { _ = try TrainedRun(directory: run) }
        == "\(model.path): corrupt or truncated: its config does not match its config hash")
    var missing = original
    missing.tensors["rnn.bias_hh_l0"] = nil
    try missing.serialized().write(to: model)
    #expect(errorText { _ = try TrainedRun(directory: run) } == "\(model.path): tensor 'rnn.bias_hh_l0' is missing")
    var extra = original
    extra.tensors["extra.weight"] = try SafeTensor(shape: [2], floats: [0, 0])
    try extra.serialized().write(to: model)
    #expect(errorText { _ = try TrainedRun(directory: run) }
        == "\(model.path): unexpected tensor 'extra.weight' (not a parameter of this model)")
}

@Test(.enabled(if: enabled)) func evaluateRefusesKeysOutsideEvaluationAndBadValues() throws {
    let (scratch, run) = try scratchWithRun()
    defer { try? FileManager.default.removeItem(at: scratch) }
    let training = try runner(["evaluate", run.path, "--set", "training.epochs=3"], scratch: scratch)
    #expect(training.stderr == "error: --set training.epochs=3: only evaluation.* keys can change when scoring a saved model "
        + "(it was trained under the rest)\n")
    #expect(training.status == 2 && training.stdout.isEmpty)
    // A config error reads as `runner validate` prints it (no second "error:" in front).
    let unknown = try runner(["evaluate", run.path, "--set", "evaluation.bogus=1"], scratch: scratch)
    #expect(unknown.stderr == "--set evaluation.bogus=1: error: evaluation.bogus: unknown key 'bogus'\n")
    #expect(unknown.status == 2 && unknown.stdout.isEmpty)
    let value = try runner(["evaluate", run.path, "--set", "evaluation.candidates=7"], scratch: scratch)
    #expect(value.stderr == "--set evaluation.candidates=7: error: evaluation.candidates: expected 'all' or a mapping "
        + "{sampled: N, strategy: uniform|popularity}, found '7'\n")
    #expect(value.status == 2)
    let noFiles = try FileManager.default.contentsOfDirectory(atPath: run.path).filter { $0.hasPrefix("evaluation-") }
    #expect(noFiles.isEmpty)
}

@Test(.enabled(if: enabled)) func recommendNamesUnknownIdsAndEmptyHistories() throws {
    let (scratch, run) = try scratchWithRun()
    defer { try? FileManager.default.removeItem(at: scratch) }
    let users = try runner(["recommend", run.path, "--users", "nope, zz"], scratch: scratch)
    #expect(users.stderr == "error: unknown user id(s): nope, zz\n")
    #expect(users.status == 2 && users.stdout.isEmpty)
    let items = try runner(["recommend", run.path, "--history", "key-1,a,b\u{1b}[31m"], scratch: scratch)
    #expect(items.stderr == "error: unknown item id(s): a, b\\x1b[31m\n")
    #expect(items.status == 2 && items.stdout.isEmpty)
    let empty = try runner(["recommend", run.path, "--history", ","], scratch: scratch)
    #expect(empty.stderr == "error: --history: expected comma-separated ids, found ','\n")
    #expect(empty.status == 2 && empty.stdout.isEmpty)
    let trained = try TrainedRun(directory: run)
    #expect(errorText { _ = try trained.recommend([.user("nope"), .history(["x"])], k: 3, includeSeen: false) }
        == "unknown user id(s): nope; unknown item id(s): x")
    #expect(errorText { _ = try trained.recommend([.history(["key-1"]), .history([])], k: 3, includeSeen: false) }
        == "query 2 has an empty history")
}

@Test(.enabled(if: enabled)) func recommendRefusesARatingRun() throws {
    let scratch = try SweepFixtures.makeScratch()
    defer { try? FileManager.default.removeItem(at: scratch) }
    var lines = ""
    for user in 1...20 {
        for step in 0..<8 { lines += "\(user)::\((user * 3 + step) % 12 + 1)::\((user + step) % 5 + 1)::\(1000 + step)\n" }
    }
    try write(lines, to: scratch.appendingPathComponent("ratings.dat"))
    try write("""
        name: rating
        task: rating
        dataset: {path: ratings.dat, min_user_interactions: 1}
        split: {max_length: 8}
        model: {cell: lstm, embedding_size: 4, hidden_size: 4}
        training: {epochs: 1, batch_size: 32, threads: 1}

        """, to: scratch.appendingPathComponent("rating.yaml"))
    let trained = try runner(["run", "rating.yaml", "--quiet", "--set", "output.dir=rating-run"], scratch: scratch)
    #expect(trained.status == 0, "\(trained.stderr)")
    let result = try runner(["recommend", "rating-run", "--all-users"], scratch: scratch)
    #expect(result.stderr == "error: recommend needs a next-item model; this run was trained for task rating\n")
    #expect(result.status == 2 && result.stdout.isEmpty)
}

// MARK: - A saved training state that cannot be resumed

@Test(.enabled(if: enabled)) func anUnusableSavedStateFailsTheRunAndSaysHowToRestart() throws {
    let (scratch, run) = try scratchWithRun()
    defer { try? FileManager.default.removeItem(at: scratch) }
    let state = run.appendingPathComponent("state.safetensors")
    let arguments = ["run", tinyConfig, "--quiet", "--set", "output.dir=\(run.path)"]
    // A run that was stopped before its report (over a finished run, the state would be in .attempt/).
    try FileManager.default.removeItem(at: run.appendingPathComponent("report.json"))
    try write("abcd", to: state)
    let truncated = try runner(arguments, scratch: scratch)
    #expect(truncated.stderr == "tiny: failed: \(state.path): corrupt or truncated: safetensors file too short: 4 bytes, "
        + "need at least 8 for the header length (run again with --restart to start at epoch 1)\n")
    #expect(truncated.status == 1)
    try SafeTensorsFile(metadata: ["format": "seqrec-model-1"]).serialized().write(to: state)
    let wrongFormat = try runner(arguments, scratch: scratch)
    #expect(wrongFormat.stderr == "tiny: failed: \(state.path): not a seqrec file of format seqrec-state-1 (format: seqrec-model-1) "
        + "(run again with --restart to start at epoch 1)\n")
    #expect(wrongFormat.status == 1)
    try SafeTensorsFile(metadata: ["format": "seqrec-state-1"]).serialized().write(to: state)
    let noHash = try runner(arguments, scratch: scratch)
    #expect(noHash.stderr == "tiny: failed: \(state.path): corrupt or truncated: metadata lacks 'config_hash' "
        + "(run again with --restart to start at epoch 1)\n")
    #expect(noHash.status == 1)
    #expect(FileManager.default.fileExists(atPath: state.path))  // kept for the user to look at
}

@Test func aSavedStateWithoutTheOptimizersBuffersFailsTheRunNamingTheFile() throws {
    let (scratch, run) = try scratchWithRun()
    defer { try? FileManager.default.removeItem(at: scratch) }
    var spec = try ConfigLoader.load(path: tinyConfig)
    spec.output.dir = run.path
    spec.training.threads = 1
    let trained = try TrainedRun(directory: run)
    let model = try #require(trained.scorer as? SequenceRecommender)
    let count = model.arena.count
    let state = TrainingState(epoch: 1, finished: false, message: "", weights: [Float](repeating: 0, count: count), bestWeights: nil,
                              optimizer: OptimizerState(step: 4, buffers: ["exp_avg": [Float](repeating: 0, count: count)]),
                              shuffleRandom: SeededGenerator(seed: 1), dropoutRandom: [], earlyStopping: nil, history: [],
                              trainingSeconds: 0, validationSeconds: 0)
    try RunCheckpoint.writeState(state, arena: model.arena, configHash: spec.configHash, in: run)
    try FileManager.default.removeItem(at: run.appendingPathComponent("report.json"))  // a run stopped before its report
    let outcome = ExperimentRunner.run(spec, options: RunOptions(quiet: true, configPath: tinyConfig), datasets: DatasetCache())
    #expect(outcome.status == .failed)
    #expect(outcome.message == "\(run.path)/state.safetensors: optimizer state lacks buffer 'exp_avg_sq' "
        + "(run again with --restart to start at epoch 1)")
}

// MARK: - runner compare

@Test(.enabled(if: enabled)) func compareNamesEveryUnreadableReportAndWhy() throws {
    let scratch = try SweepFixtures.makeScratch()
    defer { try? FileManager.default.removeItem(at: scratch) }
    try write(#"{"schema_version": 99}"#, to: scratch.appendingPathComponent("newer/report.json"))
    try write(#"{"schema_version": 1}"#, to: scratch.appendingPathComponent("partial/report.json"))
    try write("not json", to: scratch.appendingPathComponent("text/report.json"))
    let result = try runner(["compare", "newer", "partial", "text", "--output", "out"], scratch: scratch)
    let path = scratch.path
    #expect(result.stderr == """
        runner compare: warning: skipped newer: '\(path)/newer/report.json' has schema_version 99, expected at most 1
        runner compare: warning: skipped partial: '\(path)/partial/report.json' is not a seqrec report: missing key 'name' at top level
        runner compare: warning: skipped text: '\(path)/text/report.json' is not a seqrec report: The given data was not valid JSON.
        runner compare: none of the reports could be read

        """)
    #expect(result.status == 1 && result.stdout.isEmpty)
}

@Test(.enabled(if: enabled)) func compareEscapesABrokenPerUserFileAndNamesABrokenEvaluation() throws {
    let (scratch, run) = try scratchWithRun()
    defer { try? FileManager.default.removeItem(at: scratch) }
    let perUser = run.appendingPathComponent("per_user.tsv")
    try write("user\tndcg@10\n3\tz\u{1b}[31mero\n", to: perUser)
    let result = try runner(["compare", "run", "--output", "out"], scratch: scratch)
    #expect(result.stderr == """
        runner compare: warning: skipped run: \(perUser.path):2: expected '<user><TAB><value>', found '3\tz\\x1b[31mero'
        runner compare: none of the reports could be read

        """)
    #expect(result.status == 1)
    try FileManager.default.removeItem(at: perUser)
    let evaluation = run.appendingPathComponent("evaluation-0123.json")
    try write("{}", to: evaluation)
    let badEvaluation = try runner(["compare", "run", "--output", "out"], scratch: scratch)
    #expect(badEvaluation.stderr == """
        runner compare: warning: skipped run: cannot read '\(evaluation.path)': missing key 'kind' at top level
        runner compare: none of the reports could be read

        """)
    #expect(badEvaluation.status == 1)
}

@Test(.enabled(if: enabled)) func compareRefusesMissingPathsAndAnUnusableOutputDirectory() throws {
    let (scratch, _) = try scratchWithRun()
    defer { try? FileManager.default.removeItem(at: scratch) }
    let nowhere = try runner(["compare", "nowhere"], scratch: scratch)
    #expect(nowhere.stderr == "runner compare: 'nowhere' does not exist, expected a report.json or a directory holding reports\n")
    #expect(nowhere.status == 2 && nowhere.stdout.isEmpty)
    try FileManager.default.createDirectory(at: scratch.appendingPathComponent("empty"), withIntermediateDirectories: true)
    let onlyEmpty = try runner(["compare", "empty"], scratch: scratch)
    #expect(onlyEmpty.stderr == "runner compare: no report.json found under 'empty'\n")
    #expect(onlyEmpty.status == 2)
    try write("", to: scratch.appendingPathComponent("a-file"))
    let file = try runner(["compare", "run", "--output", "a-file"], scratch: scratch)
    #expect(file.stderr == "Error: cannot create report directory '\(scratch.path)/a-file': it exists and is not a directory\n")
    #expect(file.status == 2)
    try FileManager.default.createDirectory(at: scratch.appendingPathComponent("out/comparison.md"), withIntermediateDirectories: true)
    let occupied = try runner(["compare", "run", "--output", "out"], scratch: scratch)
    #expect(occupied.stderr == "Error: cannot write '\(scratch.path)/out/comparison.md': Is a directory\n")
    #expect(occupied.status == 2)
}

// MARK: - runner plan --format slurm

@Test(.enabled(if: enabled)) func aSlurmFolderThatCannotBeMadeIsNamed() throws {
    let scratch = try SweepFixtures.makeScratch()
    defer { try? FileManager.default.removeItem(at: scratch) }
    try write("", to: scratch.appendingPathComponent("tiny/slurm"))  // a file where the job array's folder goes
    let result = try runner(["plan", SweepFixtures.tinyGrid, "--format", "slurm", "--set", "training.threads=1",
                             "--set", "output.dir=\(scratch.path)/tiny"], scratch: scratch, in: ConfigFixtures.repositoryRoot)
    #expect(result.stderr == """
        runner plan: 4 points: 0 done, 4 pending
        runner plan: cannot create \(scratch.path)/tiny/slurm: it exists and is not a directory

        """)
    #expect(result.status == 1 && result.stdout.isEmpty)
}

// MARK: - Bad flags (ArgumentParser's usage errors, exit 2)

@Test(.enabled(if: enabled)) func usageErrorsPrintTheirFullText() throws {
    let scratch = try SweepFixtures.makeScratch()
    defer { try? FileManager.default.removeItem(at: scratch) }
    let root = ConfigFixtures.repositoryRoot
    let jobs = try runner(["sweep", SweepFixtures.tinyGrid, "--jobs", "0"], scratch: scratch, in: root)
    #expect(jobs.stderr == """
        Error: --jobs: expected at least 1, found 0
        Usage: runner sweep <file> ... [--set <key.path=value> ...] [--jobs <jobs>] [--force] [--quiet] [--replace]
          See 'runner sweep --help' for more information.

        """)
    let unknown = try runner(["validate", "experiments/lstm50.yaml", "--bogus"], scratch: scratch, in: root)
    #expect(unknown.stderr == """
        Error: Unknown option '--bogus'
        Usage: runner validate <file> ... [--set <key.path=value> ...] [--format <format>]
          See 'runner validate --help' for more information.

        """)
    let recommendUsage = "Usage: runner recommend <run-dir> [--users <id,id,...>] [--all-users] [--history <id,id,...>] [-k <k>] "
        + "[--format <format>] [--include-seen]\n  See 'runner recommend --help' for more information.\n"
    let missing = try runner(["recommend"], scratch: scratch)
    #expect(missing.stderr == "Error: Missing expected argument '<run-dir>'\n"
        + "Help:  <run-dir>  A run directory (holding model.safetensors and ids.json).\n" + recommendUsage)
    let format = try runner(["recommend", "run", "--all-users", "--format", "xml"], scratch: scratch)
    #expect(format.stderr == "Error: The value 'xml' is invalid for '--format <format>'. Please provide one of 'jsonl' and 'csv'.\n"
        + "Help:  --format <format>  Output format.\n" + recommendUsage)
    let k = try runner(["recommend", "run", "--all-users", "-k", "x"], scratch: scratch)
    #expect(k.stderr == "Error: The value 'x' is invalid for '-k <k>'\nHelp:  -k <k>  Items per query (at most the catalogue's items).\n" + recommendUsage)
    let escaped = try runner(["validate", "experiments/lstm50.yaml", "--b\u{1b}[2J"], scratch: scratch, in: root)
    #expect(escaped.stderr.hasPrefix("Error: Unknown option '--b\\x1b[2J'\n"), "\(escaped.stderr)")
    let partition = try runner(["plan", SweepFixtures.tinyGrid, "--partition", "x"], scratch: scratch, in: root)
    #expect(partition.stderr == """
        Error: --partition: only with --format slurm, found --format lines
        Usage: runner plan [<options>] <file> ...
          See 'runner plan --help' for more information.

        """)
    for result in [jobs, unknown, missing, format, k, escaped, partition] {
        #expect(result.status == 2 && result.stdout.isEmpty)
    }
}

// MARK: - A data cache that cannot hold a downloaded dataset

@Test func aCacheDirectoryThatCannotHoldTheDatasetSaysWhyForEachSource() throws {
    let cache = try SweepFixtures.makeScratch()
    defer { try? FileManager.default.removeItem(at: cache) }
    try write("", to: cache.appendingPathComponent("fake-set"))  // a file where the dataset's folder goes
    let lines = Array("1\t10\t5\t100\n1\t20\t3\t101\n2\t10\t4\t102\n".utf8)
    let dataset = BuiltinDataset(
        name: "fake-set", fileName: "u.data", format: .movielens,
        expectation: DatasetExpectation(interactions: 3, users: 2, items: 2, sha256: nil, separator: [UInt8(ascii: "\t")]),
        sources: [AcquisitionSource(name: "Mirror A", origin: "a", hasHeader: false) { _ in lines }],
        manualCommand: "cp my-u.data '{cache}/fake-set/u.data'")
    #expect(errorText { _ = try dataset.acquire(cacheDirectory: cache.path, log: { _ in }) } == """
        could not acquire fake-set; every source failed:
          1. Mirror A: cannot store \(cache.path)/fake-set/u.data: cannot create the folder '\(cache.path)/fake-set': it exists and is not a directory
        To place the file by hand, run:
          cp my-u.data '\(cache.path)/fake-set/u.data'
        """)
}

// MARK: - Messages only an internal invariant (or a machine we cannot reproduce) produces

@Test func messagesOfInternalInvariantsAreComplete() throws {
    // The state's buffers are checked to be arena-shaped before the optimizer sees them.
    #expect(OptimizerStateError.wrongCount("exp_avg", expected: 10, found: 4).description
        == "optimizer buffer 'exp_avg' holds 4 values, expected 10")
    // Config validation rejects these before a model is built.
    #expect(ModelConfigurationError(task: .rating, loss: .mse, cell: .sasrec).description
        == "cell 'sasrec' trains task 'next-item', found task 'rating' with loss 'mse'")
    #expect(ParameterLoadError.unknownName("x", known: ["a", "b"]).description == "no parameter named 'x' (the model has: a, b)")
    // A file system without locks (Lustre with noflock, NFS without lockd).
    #expect(RunLockError.unsupported(lockPath: "/scratch/run/.lock", reason: "Function not implemented").description
        == "cannot lock '/scratch/run/.lock': the file system does not support locks (Function not implemented)")
    #expect(RunLockError.held(lockPath: "/r/.lock", pid: nil).description == "another run (pid unknown) holds '/r/.lock'")
    // A state of another config is set aside before it is read (a note, then epoch 1); no
    // caller asks readModel for a particular config.
    #expect(CheckpointError.otherConfig(path: "r/state.safetensors", expected: "0123456789abcdef", found: "fedcba9876543210").description
        == "r/state.safetensors: written by another config (config hash fedcba987654, expected 0123456789ab)")
    // The writer's own consistency checks.
    #expect(ReportError.mismatchedPerUser(values: 3, users: 4).description
        == "per-user values: 3 values for 4 users, expected the same count")
    #expect(ReportError.cannotEncode(what: "the report", reason: "NaN").description == "cannot encode the report: NaN")
    // `runner sweep` starts its own executable; only a deleted binary fails like this.
    #expect(errorText { _ = try ChildProcess.spawn(executable: "/nonexistent/runner", arguments: []) }
        == "could not start /nonexistent/runner: No such file or directory (errno 2)")
}
