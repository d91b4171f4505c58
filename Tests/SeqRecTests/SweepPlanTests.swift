import Foundation
import Testing
@testable import SeqRec
@testable import SeqRecCore
@testable import SeqRecNumerics

// `runner plan`: the skip rule, the printed commands (they must resolve to the very same
// spec as the grid point), shell quoting, make escaping, and output snapshots.

private let sweepSampleReport = ConfigFixtures.fixtures.appendingPathComponent("report/sample-report.json")

/// Writes a copy of the sample report into `directory` with the given status and hash.
private func writeReport(into directory: URL, status: String, configHash: String) throws {
    var object = try #require(try JSONSerialization.jsonObject(with: Data(contentsOf: sweepSampleReport)) as? [String: Any])
    object["status"] = status
    object["config_hash"] = configHash
    try FileManager.default.createDirectory(at: directory, withIntermediateDirectories: true)
    try JSONSerialization.data(withJSONObject: object).write(to: directory.appendingPathComponent("report.json"))
}

@Test func skipRuleReadsTheReport() throws {
    let scratch = try SweepFixtures.makeScratch()
    defer { try? FileManager.default.removeItem(at: scratch) }
    var spec = try ConfigLoader.load(path: ConfigFixtures.fixtures.appendingPathComponent("e2e/tiny.yaml").path)
    spec.output.dir = scratch.appendingPathComponent("run").path
    let directory = URL(fileURLWithPath: spec.output.dir)

    #expect(SkipRule.state(of: spec) == .pending(.missing))
    try writeReport(into: directory, status: "ok", configHash: spec.configHash)
    #expect(SkipRule.state(of: spec) == .done)
    #expect(SkipRule.state(of: spec, force: true) == .pending(.forced))
    for status in [RunStatus.failed, .diverged, .interrupted] {
        try writeReport(into: directory, status: status.rawValue, configHash: spec.configHash)
        #expect(SkipRule.state(of: spec) == .pending(.notOK(status)))
        #expect(SkipRule.state(of: spec).label == status.rawValue)
    }
    try writeReport(into: directory, status: "ok", configHash: String(repeating: "0", count: 64))
    #expect(SkipRule.state(of: spec) == .pending(.configChanged(recordedHash: String(repeating: "0", count: 64))))
    try Data("{\"schema_version\": 1, \"status\"".utf8).write(to: directory.appendingPathComponent("report.json"))
    guard case .pending(.unreadable(let message)) = SkipRule.state(of: spec) else {
        Issue.record("a truncated report counted as readable")
        return
    }
    #expect(message.contains(directory.appendingPathComponent("report.json").path))
}

@Test func printedCommandsResolveToTheGridPoint() throws {
    // Run names with spaces, braces and colons, and a user --set that needs quoting.
    let path = SweepFixtures.directory.appendingPathComponent("awkward-names.yaml").path
    let overrides = ["training.optimizer={name: adam, learning_rate: 0.02}", "output.dir=/tmp/it's here"]
    let plan = try SweepPlanner.plan(paths: [path], overrides: overrides, force: true)
    #expect(plan.points.map(\.point.runName) == ["candidates=all,seed=1", "candidates={sampled: 10},seed=1"])
    for planned in plan.points {
        let words = SweepFixtures.shellWords(PlanRendering.command(planned, runner: "runner"))
        #expect(Array(words.prefix(5)) == ["runner", "run", path, "--point", planned.point.runName])
        let sets = stride(from: 5, to: words.count, by: 2).map { index in
            #expect(words[index] == "--set")
            return words[index + 1]
        }
        #expect(sets == overrides)
        // What `runner run FILE --point NAME --set ...` loads.
        let runs = try ConfigCommandLine.prepareRuns(paths: [words[2]], overrides: sets).get()
        let selected = try PointSelection.select(runs, names: [words[4]]).get()
        #expect(selected.count == 1)
        #expect(selected.first?.point.spec == planned.spec)
        #expect(selected.first?.point.spec.configHash == planned.spec.configHash)
        #expect(selected.first?.point.spec.output.dir == "/tmp/it's here/\(planned.point.runName)")
    }
}

@Test func aFileWithoutAGridNeedsNoPoint() throws {
    let path = ConfigFixtures.fixtures.appendingPathComponent("e2e/tiny.yaml").path
    let plan = try SweepPlanner.plan(paths: [path], overrides: ["seed=3"], force: false)
    #expect(plan.points.map(\.arguments) == [["run", path, "--set", "seed=3"]])
}

@Test func unknownPointIsRejected() throws {
    let path = SweepFixtures.directory.appendingPathComponent("tiny-grid.yaml").path
    let runs = try ConfigCommandLine.prepareRuns(paths: [path], overrides: []).get()
    guard case .failure(let error) = PointSelection.select(runs, names: ["cell=lstm,seed=1", "cell=rnn,seed=1"]) else {
        Issue.record("an unknown point was accepted")
        return
    }
    #expect(error.description == "--point cell=rnn,seed=1: error: expected the run name of a point (cell=lstm,seed=1; cell=lstm,seed=2; cell=gru,seed=1; cell=gru,seed=2), found no such point")
    #expect(try PointSelection.select(runs, names: ["cell=gru,seed=2"]).get().map(\.point.spec.name) == ["tiny-grid/cell=gru,seed=2"])
}

@Test func pointsSharingAnOutputDirectoryAreRejected() throws {
    let path = SweepFixtures.directory.appendingPathComponent("tiny-grid.yaml").path
    let tiny = ConfigFixtures.fixtures.appendingPathComponent("e2e/tiny.yaml").path
    #expect(throws: ConfigError.self) { try SweepPlanner.plan(paths: [path, path], overrides: [], force: false) }
    do {
        _ = try SweepPlanner.plan(paths: [tiny, tiny], overrides: [], force: false)
        Issue.record("two runs into one directory were accepted")
    } catch {
        #expect(error.description == "\(tiny): error: output.dir: expected a distinct output directory per run, found 'results/tiny' for both \(tiny) and \(tiny)")
    }
}

@Test func shellQuotingRoundTripsThroughTheShell() throws {
    #expect(ShellQuoting.quote("cell=gru,seed=2") == "cell=gru,seed=2")
    #expect(ShellQuoting.quote("candidates={sampled: 10}") == "'candidates={sampled: 10}'")
    #expect(ShellQuoting.quote("it's") == "'it'\\''s'")
    #expect(ShellQuoting.quote("") == "''")
    let words = ["a b", "it's", "$HOME", "*", "x;y", "{sampled: 10}", "", "plain=1,2"]
    let scratch = try SweepFixtures.makeScratch()
    defer { try? FileManager.default.removeItem(at: scratch) }
    let result = try SweepFixtures.shell("printf '%s\\n' " + words.map(ShellQuoting.quote).joined(separator: " "), scratch: scratch)
    #expect(result.stdout == words.map { $0 + "\n" }.joined())
}

@Test func makeEscapingOfFileNames() throws {
    #expect(try MakeFragment.escapeFileName("results/cells/cell=gru,seed=2/report.json")
            == "results/cells/cell$(eq)gru$(comma)seed$(eq)2/report.json")
    #expect(try MakeFragment.escapeFileName("r/c={sampled: 10}/#1$[a]/report.json")
            == "r/c$(eq){sampled\\:\\ 10}/$(hash)1$$\\[a\\]/report.json")
    for (path, character) in [("r/50%/report.json", "%"), ("r/a;b/report.json", ";"), ("r/a*b", "*"), ("r/a\tb", "\\t")] {
        do {
            _ = try MakeFragment.escapeFileName(path)
            Issue.record("\(path) was accepted")
        } catch {
            #expect(error.description == "runner plan --format make: expected file names and arguments make can spell, found '\(character)' in '\(path)' (change the output dir or run name, or use --format commands)")
        }
    }
}

// MARK: - Through the binary

@Test(.enabled(if: SweepFixtures.runnerIsBuilt), arguments: [("lines", "plan.txt"), ("make", "plan.mk")])
func planOutputMatchesSnapshot(format: String, snapshotName: String) throws {
    let scratch = try SweepFixtures.makeScratch()
    defer { try? FileManager.default.removeItem(at: scratch) }
    let result = try SweepFixtures.runner([
        "plan", SweepFixtures.tinyGrid, "--format", format, "--runner", "runner",
        "--set", "output.dir=/nonexistent/seqrec-sweep", "--set", "training.batch_size=32",
    ], scratch: scratch)
    #expect(result.status == 0, "stderr: \(result.stderr)")
    #expect(result.stderr == "runner plan: 4 points: 0 done, 4 pending\n")
    let snapshot = SweepFixtures.directory.appendingPathComponent(snapshotName)
    if ConfigFixtures.updating { try result.stdout.write(to: snapshot, atomically: true, encoding: .utf8) }
    #expect(result.stdout == ConfigFixtures.read(snapshot))
}

@Test(.enabled(if: SweepFixtures.runnerIsBuilt && SweepFixtures.makeIsInstalled))
func makeFragmentWithAwkwardNamesListsEveryPendingPoint() throws {
    let scratch = try SweepFixtures.makeScratch()
    defer { try? FileManager.default.removeItem(at: scratch) }
    let common = [SweepFixtures.awkwardGrid, "--runner", "runner", "--set", "output.dir=\"\(scratch.path)/out: x\""]
    let fragment = try SweepFixtures.runner(["plan", "--format", "make"] + common, scratch: scratch)
    #expect(fragment.status == 0, "stderr: \(fragment.stderr)")
    let commands = try SweepFixtures.runner(["plan", "--format", "commands"] + common, scratch: scratch)
    #expect(commands.stdout.split(separator: "\n").count == 2)
    let fragmentURL = scratch.appendingPathComponent("sweep.mk")
    try fragment.stdout.write(to: fragmentURL, atomically: true, encoding: .utf8)
    let dryRun = try SweepFixtures.make(["-n", "-f", fragmentURL.path, "all"], scratch: scratch)
    #expect(dryRun.status == 0, "stderr: \(dryRun.stderr)")
    #expect(dryRun.stdout == commands.stdout.split(separator: "\n").map { $0 + " --quiet\n" }.joined())

    // Each target spells the real file name: with every report present and the points
    // marked done (no FORCE), make has nothing to do.
    var plan = try SweepPlanner.plan(paths: [SweepFixtures.directory.appendingPathComponent("awkward-names.yaml").path],
                                     overrides: ["output.dir=\"\(scratch.path)/out: x\""], force: false)
    for index in plan.points.indices {
        plan.points[index].state = .done
        try FileManager.default.createDirectory(atPath: plan.points[index].outputDirectory, withIntermediateDirectories: true)
        _ = FileManager.default.createFile(atPath: plan.points[index].reportPath, contents: Data())
    }
    try MakeFragment.render(plan, runner: "false").write(to: fragmentURL, atomically: true, encoding: .utf8)
    let nothing = try SweepFixtures.make(["-f", fragmentURL.path, "all"], scratch: scratch)
    #expect(nothing.status == 0, "stderr: \(nothing.stderr)")
    #expect(nothing.stdout == "make: Nothing to be done for 'all'.\n")
}

@Test(.enabled(if: SweepFixtures.runnerIsBuilt))
func runRejectsAnUnknownPoint() throws {
    let scratch = try SweepFixtures.makeScratch()
    defer { try? FileManager.default.removeItem(at: scratch) }
    let result = try SweepFixtures.runner(["run", SweepFixtures.tinyGrid, "--point", "cell=rnn,seed=1",
                                           "--set", "output.dir=\(scratch.path)/out"], scratch: scratch)
    #expect(result.status == 2)
    #expect(result.stderr == "--point cell=rnn,seed=1: error: expected the run name of a point (cell=lstm,seed=1; cell=lstm,seed=2; cell=gru,seed=1; cell=gru,seed=2), found no such point\n")
    #expect(!FileManager.default.fileExists(atPath: scratch.appendingPathComponent("out").path))
}
