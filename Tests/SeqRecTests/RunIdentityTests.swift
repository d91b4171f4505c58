import Foundation
import Testing
@testable import SeqRec
@testable import SeqRecCore
@testable import SeqRecNumerics

// Issue 24, items 1, 2 and 4: a run directory is bound to one configuration.
//  1. A --set of a key a grid varies is refused, naming the axis; `--set grid.KEY=[...]` cuts
//     (or changes) an axis instead, and the points keep names that say what they ran.
//  2. A finished (ok) run is not replaced by another config without --replace; the refusal
//     lists the keys that differ. A rerun of the same config replaces it only once it is ok.
//  4. Two runs into one output directory are refused by validate, run, sweep and plan alike.
// (Item 3, an attempt that fails over a finished run, is in FullDiskTests and
// CrashConsistencyTests.)

private let cells = ConfigFixtures.experiments.appendingPathComponent("cells.yaml").path
private let tinyConfig = ConfigFixtures.fixtures.appendingPathComponent("e2e/tiny.yaml").path


// MARK: - 1. Grid axes and --set

@Test func aSetOfAKeyTheGridVariesIsRefusedNamingTheAxis() throws {
    #expect(errorText { _ = try ConfigLoader.loadGrid(path: cells, overrides: ["seed=1"]) }
        == "--set seed=1: error: seed: the grid varies seed (\(cells):8:3: [1, 2, 3]): its points would run under names that say otherwise; to run fewer points, give the axis fewer values: --set 'grid.seed=[1]'")
    // A parent that replaces the axis, and a source that replaces the axis's source.
    #expect(errorText { _ = try ConfigLoader.loadGrid(path: cells, overrides: ["model={cell: gru}"]) }
        == "--set model={cell: gru}: error: model: this changes model.cell, which the grid varies (\(cells):7:3: [lstm, gru, rnn]): its points would run under names that say otherwise; to run fewer points, give the axis fewer values: --set 'grid.model.cell=[lstm]'")
    // Keys beside the axes, and a parent mapping that leaves the axis alone, are fine.
    let points = try ConfigLoader.loadGrid(path: cells, overrides: ["model={hidden_size: 20}", "training.epochs=3"])
    #expect(points.count == 9 && points.allSatisfy { $0.spec.model.hiddenSize == 20 && $0.spec.training.epochs == 3 })
    #expect(points.map(\.spec.seed) == [1, 2, 3, 1, 2, 3, 1, 2, 3])
}

@Test(.enabled(if: SweepFixtures.runnerIsBuilt)) func sweepAndPlanRefuseASetOfAnAxisAndWriteNothing() throws {
    let scratch = try SweepFixtures.makeScratch()
    defer { try? FileManager.default.removeItem(at: scratch) }
    let output = scratch.appendingPathComponent("cells")
    for command in ["sweep", "plan", "run", "validate"] {
        let result = try SweepFixtures.runner([command, "experiments/cells.yaml", "--set", "seed=1", "--set", "output.dir=\(output.path)"],
                                              scratch: scratch)
        #expect(result.status == 2, "\(command)")
        #expect(result.stderr.hasPrefix("--set seed=1: error: seed: the grid varies seed (experiments/cells.yaml:8:3: [1, 2, 3])"), "\(command): \(result.stderr)")
        #expect(result.stdout.isEmpty, "\(command)")
    }
    #expect(!FileManager.default.fileExists(atPath: output.path))
}

@Test func gridAxesAreCutFromTheCommandLineAndKeepTruthfulNames() throws {
    let points = try ConfigLoader.loadGrid(path: cells, overrides: ["grid.seed=[2]", "grid.model.cell=[gru, lstm]"])
    #expect(points.map(\.runName) == ["cell=gru,seed=2", "cell=lstm,seed=2"])
    #expect(points.map(\.spec.seed) == [2, 2] && points.map(\.spec.model.cell) == [.gru, .lstm])
    #expect(points.map(\.spec.output.dir) == ["results/cells/cell=gru,seed=2", "results/cells/cell=lstm,seed=2"])
    // The same point, as the full grid names it: one config, one hash.
    let full = try ConfigLoader.loadGrid(path: cells)
    #expect(full.first { $0.runName == "cell=gru,seed=2" }?.spec.configHash == points[0].spec.configHash)
    // Values the file does not list make points of their own names.
    #expect(try ConfigLoader.loadGrid(path: cells, overrides: ["grid.seed=[7]"]).map(\.runName)
        == ["cell=lstm,seed=7", "cell=gru,seed=7", "cell=rnn,seed=7"])
    // The plan's commands carry the cut, so `run --point` resolves the same point.
    let plan = try SweepPlanner.plan(paths: [cells], overrides: ["grid.seed=[2]"], force: true)
    let planned = try #require(plan.points.first)
    #expect(planned.arguments == ["run", cells, "--point", "cell=lstm,seed=2", "--set", "grid.seed=[2]"])
    let rerun = try ConfigCommandLine.prepareRuns(paths: [cells], overrides: ["grid.seed=[2]"]).get()
    let selected = try PointSelection.select(rerun, names: ["cell=lstm,seed=2"]).get()
    #expect(selected.map(\.point.spec.configHash) == [planned.spec.configHash])
    // What cannot be cut: an axis the grid lacks, a file without a grid, the whole grid.
    #expect(errorText { _ = try ConfigLoader.loadGrid(path: cells, overrides: ["grid.hidden_size=[1]"]) }
        == "--set grid.hidden_size=[1]: error: grid.hidden_size: expected an axis of the file's grid (model.cell, seed), found no axis 'hidden_size'; --set grid.KEY=[...] gives an axis other values, it does not add one")
    #expect(errorText { _ = try ConfigLoader.loadGrid(path: tinyConfig, overrides: ["grid.seed=[1]"]) }
        == "--set grid.seed=[1]: error: grid.seed: expected a file with a 'grid:' whose axis to set, found no grid in \(tinyConfig)")
    #expect(errorText { _ = try ConfigLoader.load(path: tinyConfig, overrides: ["grid.seed=[1]"]) }
        == "--set grid.seed=[1]: error: grid.seed: expected a file with a 'grid:' whose axis to set, found no grid in \(tinyConfig)")
}

// MARK: - 4. One output directory per run, for every command

@Test(.enabled(if: SweepFixtures.runnerIsBuilt)) func everyCommandRefusesTwoRunsIntoOneDirectory() throws {
    let scratch = try SweepFixtures.makeScratch()
    defer { try? FileManager.default.removeItem(at: scratch) }
    let text = try String(contentsOfFile: tinyConfig, encoding: .utf8)
    try text.write(to: scratch.appendingPathComponent("a.yaml"), atomically: true, encoding: .utf8)
    try text.replacingOccurrences(of: "epochs: 2", with: "epochs: 1")
        .write(to: scratch.appendingPathComponent("b.yaml"), atomically: true, encoding: .utf8)
    let expected = "b.yaml: error: output.dir: expected a distinct output directory per run, found 'out' for both a.yaml and b.yaml\n"
    for command in ["validate", "run", "sweep", "plan"] {
        let result = try SweepFixtures.runner([command, "a.yaml", "b.yaml", "--set", "output.dir=out"], scratch: scratch, in: scratch)
        #expect(result.status == 2, "\(command): \(result.stderr)")
        #expect(result.stderr.hasSuffix(expected), "\(command): \(result.stderr)")
        if command != "validate" { #expect(result.stdout.isEmpty, "\(command)") }
    }
    #expect(!FileManager.default.fileExists(atPath: scratch.appendingPathComponent("out").path))
    // The library rule, with directories spelt differently.
    let runs = try ["a.yaml", "b.yaml"].map { name in
        PreparedRun(configPath: name, point: try ConfigLoader.loadGrid(path: scratch.appendingPathComponent(name).path,
                                                                        overrides: ["output.dir=\(scratch.path)/x/../out"])[0])
    }
    var other = runs[1]
    other.point.spec.output.dir = scratch.path + "/./out/"
    #expect(ConfigCommandLine.distinctOutputs([runs[0], other]).count == 1)
    other.point.spec.output.dir = scratch.path + "/out2"
    #expect(ConfigCommandLine.distinctOutputs([runs[0], other]).isEmpty)
}

// MARK: - 2. A finished run is replaced only by the same config, or with --replace

@Test(.enabled(if: SweepFixtures.runnerIsBuilt)) func aFinishedRunIsNotReplacedByAnotherConfigUnlessAsked() throws {
    let scratch = try SweepFixtures.makeScratch()
    defer { try? FileManager.default.removeItem(at: scratch) }
    let run = scratch.appendingPathComponent("run")
    let base = [tinyConfig, "--quiet", "--set", "output.dir=\(run.path)", "--set", "training.threads=1"]
    let first = try SweepFixtures.runner(base, scratch: scratch)
    try #require(first.status == 0, "\(first.stderr)")
    let names = ["report.json", "model.safetensors", "per_user.tsv", "ids.json"]
    func snapshot() -> [Data?] { names.map { try? Data(contentsOf: run.appendingPathComponent($0)) } }
    let finished = snapshot()

    let problem = "'\(run.path)' holds the finished run (status ok) of another config, which this run would replace; "
        + "it differs in model.hidden_size: 8 -> 16, training.epochs: 2 -> 1. Pass --replace to replace it, or set another output.dir to keep both"
    let other = ["--set", "model.hidden_size=16", "--set", "training.epochs=1"]
    let refused = try SweepFixtures.runner(base + other, scratch: scratch)
    #expect(refused.status == 2)
    #expect(refused.stderr == "\(tinyConfig): error: output.dir: \(problem)\n")
    #expect(snapshot() == finished)
    #expect(try FileManager.default.contentsOfDirectory(atPath: run.path).sorted() == (names + TensorBoardLog.eventFiles(in: run)).sorted())
    #expect(TensorBoardLog.eventFiles(in: run).count == 1)  // a replaced run's event file goes with it
    // sweep and plan apply the same rule.
    for command in ["sweep", "plan"] {
        let result = try SweepFixtures.runner([command] + base.filter { $0 != "--quiet" } + other, scratch: scratch)
        #expect(result.status == 2, "\(command)")
        #expect(result.stderr == "\(tinyConfig): error: output.dir: \(problem)\n", "\(command)")
    }
    #expect(snapshot() == finished)
    // Under the run's lock (another process could finish a run meanwhile) the runner checks again.
    var spec = try ConfigLoader.load(path: tinyConfig, overrides: ["output.dir=\(run.path)", "training.threads=1", "model.hidden_size=16",
                                                                   "training.epochs=1"])
    let direct = ExperimentRunner.run(spec, options: RunOptions(quiet: true, configPath: tinyConfig), datasets: DatasetCache())
    #expect(direct.status == .failed && direct.message == problem)
    #expect(snapshot() == finished)

    // --replace: the plan says so in its command, and the run replaces the finished run.
    let plan = try SweepFixtures.runner(["plan", "--runner", "runner", "--replace"] + base.filter { $0 != "--quiet" } + other, scratch: scratch)
    #expect(plan.status == 0 && plan.stdout.hasPrefix("changed\t\(run.path)\t") && plan.stdout.hasSuffix(" --replace\n"), "\(plan.stdout)")
    let replaced = try SweepFixtures.runner(base + other + ["--replace"], scratch: scratch)
    #expect(replaced.status == 0, "\(replaced.stderr)")
    let report = try ReportReader.read(run.appendingPathComponent("report.json"))
    #expect(report.config["model"]?["hidden_size"] == .integer(16) && report.history.count == 1)
    #expect(try FileManager.default.contentsOfDirectory(atPath: run.path).sorted() == (names + TensorBoardLog.eventFiles(in: run)).sorted())
    #expect(TensorBoardLog.eventFiles(in: run).count == 1)  // a replaced run's event file goes with it
    // The same config again needs no flag: it trains again and replaces the run once it is ok.
    spec.output.dir = run.path
    let again = ExperimentRunner.run(spec, options: RunOptions(quiet: true, configPath: tinyConfig), datasets: DatasetCache())
    #expect(again.status == .ok, "\(again.message)")
    let rerun = try ReportReader.read(run.appendingPathComponent("report.json"))
    #expect(rerun.test?.metrics == report.test?.metrics && rerun.startedAt != report.startedAt)
}

@Test func theDifferencesNameEveryChangedKey() {
    let old: JSONValue = .object(["model": .object(["hidden_size": .integer(50), "cell": .string("lstm")]),
                                  "evaluation": .object(["metrics": .array([.string("hr@10")])]), "seed": .integer(1)])
    let new: JSONValue = .object(["model": .object(["hidden_size": .integer(128), "cell": .string("lstm")]),
                                  "evaluation": .object(["metrics": .array([.string("hr@10"), .string("ndcg@10")])]),
                                  "note": .string("x")])
    #expect(RunResult.differences(from: old, to: new) == [
        "evaluation.metrics: [\"hr@10\"] -> [\"hr@10\",\"ndcg@10\"]", "model.hidden_size: 50 -> 128",
        "note: (none) -> x", "seed: 1 -> (none)",
    ])
}

// MARK: - Readers use only the files of the finished run

@Test(.enabled(if: SweepFixtures.runnerIsBuilt)) func recommendRefusesFilesThatAreNotTheFinishedRuns() throws {
    let scratch = try SweepFixtures.makeScratch()
    defer { try? FileManager.default.removeItem(at: scratch) }
    let run = scratch.appendingPathComponent("run"), other = scratch.appendingPathComponent("other")
    for (directory, epochs) in [(run, 2), (other, 1)] {
        let result = try SweepFixtures.runner([tinyConfig, "--quiet", "--set", "output.dir=\(directory.path)", "--set", "training.epochs=\(epochs)"],
                                              scratch: scratch)
        try #require(result.status == 0, "\(result.stderr)")
    }
    let model = run.appendingPathComponent("model.safetensors")
    let report = try ReportReader.read(run.appendingPathComponent("report.json"))
    let ownMetadata = try SafeTensorsFile.read(contentsOf: model).metadata
    // Another run's weights (same architecture, same data: they would load and score).
    try FileManager.default.removeItem(at: model)
    try FileManager.default.copyItem(at: other.appendingPathComponent("model.safetensors"), to: model)
    let otherHash = try ReportReader.read(other.appendingPathComponent("report.json")).configHash
    let mixed = try SweepFixtures.runner(["recommend", run.path, "--all-users"], scratch: scratch)
    #expect(mixed.status == 2 && mixed.stdout.isEmpty)
    #expect(mixed.stderr == "error: \(model.path): trained under another config than \(run.path)/report.json records (config hash \(otherHash.prefix(12)), the report's \(report.configHash.prefix(12)))\n")
    // Weights of this config that are not the finished run's (as an unfinished attempt leaves them).
    var foreign = try SafeTensorsFile.read(contentsOf: model)
    foreign.metadata = ownMetadata
    try foreign.serialized().write(to: model)
    let unfinished = try SweepFixtures.runner(["evaluate", run.path], scratch: scratch)
    let recorded = try #require(report.files?["model.safetensors"])
    #expect(unfinished.status == 2)
    #expect(unfinished.stderr == "error: \(model.path): does not belong to \(run.path)/report.json (SHA-256 \(try SHA256.hex(ofFileAt: model.path).prefix(12)), the report records \(recorded.prefix(12))): the files of two runs are mixed; run the experiment again\n")
    #expect(try FileManager.default.contentsOfDirectory(atPath: run.path).filter { $0.hasPrefix("evaluation-") } == [])
    // A report that did not end ok vouches for nothing.
    try FileManager.default.removeItem(at: run.appendingPathComponent("report.json"))
    let none = try SweepFixtures.runner(["recommend", other.path, "--all-users"], scratch: scratch)
    #expect(none.status == 0)
    // A report that lists its files vouches for no model it does not list.
    var unlisted = try ReportReader.read(other.appendingPathComponent("report.json"))
    unlisted.files?["model.safetensors"] = nil
    try ReportWriter.write(unlisted, to: other)
    let notListed = try SweepFixtures.runner(["recommend", other.path, "--all-users"], scratch: scratch)
    #expect(notListed.status == 2)
    #expect(notListed.stderr == "error: \(other.path)/model.safetensors: not a file of the finished run \(other.path)/report.json describes (it records no such file); run the experiment again\n")
    var interrupted = try ReportReader.read(other.appendingPathComponent("report.json"))
    interrupted.status = .interrupted
    interrupted.files = nil
    try ReportWriter.write(interrupted, to: other)
    let notOK = try SweepFixtures.runner(["recommend", other.path, "--all-users"], scratch: scratch)
    #expect(notOK.status == 2)
    #expect(notOK.stderr == "error: \(other.path)/report.json: the run ended interrupted, not ok: its files are not a finished result (run it again)\n")
    let noReport = try SweepFixtures.runner(["recommend", run.path, "--all-users"], scratch: scratch)
    #expect(noReport.stderr == "error: \(run.path): no report.json, so no finished run (a run that has not ended ok leaves only unfinished weights)\n")
}

@Test func theResultFileNamesAgreeWithTheWriters() {
    #expect(RunResult.resultFiles == [RunFiles.ids, RunFiles.model, ReportWriter.perUserFileName])
    #expect(RunResult.stateFile == RunFiles.state)
}
