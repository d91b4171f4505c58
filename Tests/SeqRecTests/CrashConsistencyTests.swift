import Foundation
import Testing
@testable import SeqRec
@testable import SeqRecCore
@testable import SeqRecNumerics

// What a kill -9 leaves, checked deterministically: `runner check-run` reads every result file
// back and flags a truncated one; a run stopped by the crash hook just before its report's
// rename and then killed leaves a resumable state and a temporary file, which the rerun
// removes while it continues to the same report. (scripts/crash-check.sh does the same at
// random moments, for runs, sweeps and compares.) An attempt over a finished run that is
// killed before it is ok leaves the finished run whole, and one killed while its result moves
// into place is finished by the next reader.

private let tinyConfig = "Tests/Fixtures/e2e/tiny.yaml"

private func checkRun(_ directory: URL, scratch: URL) throws -> SweepFixtures.Finished {
    try SweepFixtures.runner(["check-run", directory.path, "--schema", "schema/report.schema.json"], scratch: scratch)
}

/// The second field of each check-run line (kind) with the third (ok, corrupt, ...).
private func kinds(_ output: String) -> [String] {
    output.split(separator: "\n").map { line in
        let fields = line.split(separator: "\t", omittingEmptySubsequences: false)
        return fields.count > 2 ? "\(fields[1]) \(fields[2])" : String(line)
    }
}

/// Whether `pid` is stopped (state T in /proc).
private func isStopped(_ pid: pid_t) -> Bool {
    guard let stat = try? String(contentsOfFile: "/proc/\(pid)/stat", encoding: .utf8),
          let close = stat.lastIndex(of: ")") else { return false }
    return stat[stat.index(after: close)...].split(separator: " ").first == "T"
}

@Suite(.serialized, .enabled(if: SweepFixtures.runnerIsBuilt))
struct CrashConsistencyTests {
    @Test func checkRunReadsEveryFileBackAndFlagsATruncatedOne() throws {
        let scratch = try SweepFixtures.makeScratch()
        defer { try? FileManager.default.removeItem(at: scratch) }
        let run = scratch.appendingPathComponent("run")
        let finished = try SweepFixtures.runner([tinyConfig, "--quiet", "--set", "output.dir=\(run.path)"], scratch: scratch)
        try #require(finished.status == 0)
        let good = try checkRun(run, scratch: scratch)
        #expect(good.status == 0)
        #expect(kinds(good.stdout) == ["report ok", "model ok", "ids ok", "per_user ok"], "\(good.stdout)")

        let model = run.appendingPathComponent("model.safetensors")
        let bytes = try Data(contentsOf: model)
        try bytes.prefix(bytes.count - 5).write(to: model)
        try Data("{\"schema_version\": 1".utf8).write(to: run.appendingPathComponent("report.json"))
        let stray = ".state.safetensors.seqrec-\(try deadPid())-000000ab.tmp"
        try Data("partial".utf8).write(to: run.appendingPathComponent(stray))
        let bad = try checkRun(run, scratch: scratch)
        #expect(bad.status == 1)
        #expect(kinds(bad.stdout) == ["report corrupt", "model corrupt", "ids ok", "per_user ok", "temporary \(stray)"], "\(bad.stdout)")
        #expect(bad.stdout.hasSuffix("\tdead\n"))
    }

    @Test(.enabled(if: FileManager.default.fileExists(atPath: "/proc/self/stat")))
    func aRunKilledBeforeItsReportIsRenamedResumesAndCleansUp() throws {
        let scratch = try SweepFixtures.makeScratch()
        defer { try? FileManager.default.removeItem(at: scratch) }
        let run = scratch.appendingPathComponent("run")
        let flags = [tinyConfig, "--quiet", "--set", "output.dir=\(run.path)", "--set", "training.threads=1"]
        let reference = scratch.appendingPathComponent("reference")
        let uninterrupted = try SweepFixtures.runner([tinyConfig, "--quiet", "--set", "output.dir=\(reference.path)",
                                                      "--set", "training.threads=1"], scratch: scratch)
        try #require(uninterrupted.status == 0)

        let victim = try SweepFixtures.launch(ConfigFixtures.runnerBinary.path, flags, scratch: scratch,
                                              environment: ["SEQREC_CRASH_HOOK": "stop:before-rename:report.json"])
        let pid = victim.process.processIdentifier
        defer { kill(pid, SIGKILL) }
        try #require(waitFor(60) { isStopped(pid) }, "the hook did not stop the run: \(victim.stderr)")
        #expect(victim.stderr == "crash hook: stopped at before-rename of report.json (write 1)\n")
        kill(pid, SIGKILL)
        victim.process.waitUntilExit()

        // A complete temporary report that was never renamed, a state after the last epoch,
        // a lock file nobody holds: the point is resumable, not done and not running.
        let left = try listing(run)
        let temporary = try #require(left.first { $0.hasPrefix(".report.json.seqrec-\(pid)-") && $0.hasSuffix(".tmp") })
        #expect(left == [".lock", temporary, events, "ids.json", "model.safetensors", "per_user.tsv", "state.safetensors"])
        let plan = try SweepFixtures.runner(["plan", "--all", "--runner", "runner"] + flags.filter { $0 != "--quiet" }, scratch: scratch)
        #expect(plan.stdout.hasPrefix("missing, resumable at epoch 2\t\(run.path)\t"), "\(plan.stdout)")

        let rerun = try SweepFixtures.runner(flags, scratch: scratch)
        #expect(rerun.status == 0)
        #expect(rerun.stderr == "resuming after epoch 2 from \(run.path)/state.safetensors\n")
        // The killed process's event file and the rerun's (which only evaluates).
        #expect(try listing(run) == [events, events, "ids.json", "model.safetensors", "per_user.tsv", "report.json"])
        let resumed = try ReportReader.read(run.appendingPathComponent("report.json"))
        let expected = try ReportReader.read(reference.appendingPathComponent("report.json"))
        #expect(resumed.resumedFromEpoch == 2)
        #expect(resumed.test?.metrics == expected.test?.metrics)
        #expect(resumed.history.map(\.trainLoss) == expected.history.map(\.trainLoss))
    }

    /// Issue 24, item 3: a kill while a finished attempt's files are renamed into place (model
    /// and ids moved, per_user.tsv and the report not yet) leaves files of two runs side by
    /// side. The plan counts the committed attempt; `recommend` finishes the move first and
    /// then uses the new run's files, all of them.
    @Test(.enabled(if: FileManager.default.fileExists(atPath: "/proc/self/stat")))
    func aKillWhileTheResultMovesIntoPlaceIsFinishedByTheNextReader() throws {
        let scratch = try SweepFixtures.makeScratch()
        defer { try? FileManager.default.removeItem(at: scratch) }
        let run = scratch.appendingPathComponent("run")
        let flags = [tinyConfig, "--quiet", "--set", "output.dir=\(run.path)", "--set", "training.threads=1"]
        let first = try SweepFixtures.runner(flags, scratch: scratch)
        try #require(first.status == 0)
        let oldReport = try Data(contentsOf: run.appendingPathComponent("report.json"))
        let oldPerUser = try Data(contentsOf: run.appendingPathComponent("per_user.tsv"))

        let other = flags + ["--set", "training.epochs=3", "--replace"]
        let victim = try SweepFixtures.launch(ConfigFixtures.runnerBinary.path, other, scratch: scratch,
                                              environment: ["SEQREC_CRASH_HOOK": "stop:promote:per_user.tsv"])
        let pid = victim.process.processIdentifier
        defer { kill(pid, SIGKILL) }
        try #require(waitFor(60) { isStopped(pid) }, "the hook did not stop the run: \(victim.stderr)")
        #expect(victim.stderr == "crash hook: stopped at promote of per_user.tsv\n")
        kill(pid, SIGKILL)
        victim.process.waitUntilExit()

        // The old report and per-user file beside the new model and ids; the committed attempt.
        let attempt = run.appendingPathComponent(".attempt")
        #expect(try Data(contentsOf: run.appendingPathComponent("report.json")) == oldReport)
        #expect(try Data(contentsOf: run.appendingPathComponent("per_user.tsv")) == oldPerUser)
        #expect(try FileManager.default.contentsOfDirectory(atPath: attempt.path).sorted() == ["per_user.tsv", "report.json"])
        let staged = try ReportReader.read(attempt.appendingPathComponent("report.json"))
        #expect(staged.status == .ok && staged.history.count == 3)
        let plan = try SweepFixtures.runner(["plan", "--all", "--runner", "runner"] + other.filter { $0 != "--quiet" }, scratch: scratch)
        #expect(plan.stdout.hasPrefix("done\t\(run.path)\t"), "\(plan.stdout)\(plan.stderr)")

        // The next reader finishes the move, then reads the new run's files.
        let ids = try RunCheckpoint.readIds(in: run)
        let recommend = try SweepFixtures.runner(["recommend", run.path, "--users", ids.users[0], "-k", "3"], scratch: scratch)
        #expect(recommend.status == 0, "\(recommend.stderr)")
        #expect(!FileManager.default.fileExists(atPath: attempt.path))
        let report = try ReportReader.read(run.appendingPathComponent("report.json"))
        #expect(report.history.count == 3 && report.configHash == staged.configHash)
        for (name, hash) in report.files ?? [:] {
            #expect(try SHA256.hex(ofFileAt: run.appendingPathComponent(name).path) == hash, "\(name)")
        }
        let check = try checkRun(run, scratch: scratch)
        #expect(check.status == 0 && kinds(check.stdout) == ["report ok", "model ok", "ids ok", "per_user ok"], "\(check.stdout)")
    }

    /// Issue 24, item 3: an attempt over a finished run killed before its report (the report's
    /// rename) leaves the finished run byte for byte, and the rerun continues from the
    /// attempt's saved state to the same numbers.
    @Test(.enabled(if: FileManager.default.fileExists(atPath: "/proc/self/stat")))
    func anAttemptKilledOverAFinishedRunLeavesItAndContinues() throws {
        let scratch = try SweepFixtures.makeScratch()
        defer { try? FileManager.default.removeItem(at: scratch) }
        let run = scratch.appendingPathComponent("run")
        let flags = [tinyConfig, "--quiet", "--set", "output.dir=\(run.path)", "--set", "training.threads=1"]
        let first = try SweepFixtures.runner(flags, scratch: scratch)
        try #require(first.status == 0)
        let names = ["report.json", "model.safetensors", "per_user.tsv", "ids.json"]
        let finished = try names.map { try Data(contentsOf: run.appendingPathComponent($0)) }
        let reference = try ReportReader.read(run.appendingPathComponent("report.json"))

        let victim = try SweepFixtures.launch(ConfigFixtures.runnerBinary.path, flags, scratch: scratch,
                                              environment: ["SEQREC_CRASH_HOOK": "stop:before-rename:report.json"])
        let pid = victim.process.processIdentifier
        defer { kill(pid, SIGKILL) }
        try #require(waitFor(60) { isStopped(pid) }, "the hook did not stop the run: \(victim.stderr)")
        kill(pid, SIGKILL)
        victim.process.waitUntilExit()
        #expect(try names.map { try Data(contentsOf: run.appendingPathComponent($0)) } == finished)
        let attempt = run.appendingPathComponent(".attempt")
        #expect(RunFiles.stateSummary(in: attempt)?.epoch == 2)
        let plan = try SweepFixtures.runner(["plan", "--all", "--runner", "runner"] + flags.filter { $0 != "--quiet" }, scratch: scratch)
        #expect(plan.stdout.hasPrefix("done\t\(run.path)\t"), "\(plan.stdout)")

        let rerun = try SweepFixtures.runner(flags, scratch: scratch)
        #expect(rerun.status == 0)
        #expect(rerun.stderr == "resuming after epoch 2 from \(attempt.path)/state.safetensors\n")
        // The old run's event file went; the attempt's two (killed and resumed process) came.
        #expect(try listing(run) == (names + [events, events]).sorted())
        let resumed = try ReportReader.read(run.appendingPathComponent("report.json"))
        #expect(resumed.resumedFromEpoch == 2 && resumed.test?.metrics == reference.test?.metrics)
        #expect(resumed.history.map(\.trainLoss) == reference.history.map(\.trainLoss))
    }
}

/// A run directory's names, sorted, with each TensorBoard event file (named by its time and
/// process) as `events`.
private let events = "events.out.tfevents.*"
private func listing(_ directory: URL) throws -> [String] {
    try FileManager.default.contentsOfDirectory(atPath: directory.path)
        .map { TensorBoardLog.isEventFile($0) ? events : $0 }.sorted()
}
