import Foundation
import Testing
@testable import SeqRec
@testable import SeqRecCore
@testable import SeqRecNumerics

// A full disk under a run's output directory, on a 2 MB tmpfs: the run fails with the file and
// "No space left on device", exit 1; the files already there (the previous report, model and
// per-user file, the saved training state) are byte for byte what they were, no temporary
// file is left, and once there is space again the run continues from its saved state. An
// attempt over a finished run works in `.attempt/` (Report/RunResult.swift): whatever free
// space it meets, the finished run stays whole and usable until the attempt is ok itself.

/// A few hundred milliseconds per epoch, a training state of about 75 KB.
private func fullDiskConfig(in directory: URL) throws -> String {
    try resumeConfig(in: directory, name: "fulldisk", epochs: 2, threads: 1).path
}

/// Fills `disk` with a file until `free` bytes are left (all of them when 0).
private func fill(_ disk: TmpfsMount, leaving free: Int, name: String) throws {
    let url = disk.directory.appendingPathComponent(name)
    _ = FileManager.default.createFile(atPath: url.path, contents: nil)
    let handle = try FileHandle(forWritingTo: url)
    defer { try? handle.close() }
    let chunk = Data(repeating: 0x5A, count: 4096)
    while disk.freeBytes > free {
        do { try handle.write(contentsOf: chunk) } catch { break }  // full
    }
}

private func temporaryFiles(in directory: URL) -> [String] {
    ((try? FileManager.default.contentsOfDirectory(atPath: directory.path)) ?? []).filter { $0.hasSuffix(".tmp") || $0 == ".lock" }
}

@Suite(.serialized, .enabled(if: SweepFixtures.runnerIsBuilt))
struct FullDiskTests {
    @Test(.enabled(if: TmpfsMount.problem == nil, TmpfsMount.skipComment))
    func aFullDiskFailsTheRunAndKeepsWhatWasThere() throws {
        let scratch = try SweepFixtures.makeScratch()
        defer { try? FileManager.default.removeItem(at: scratch) }
        let disk = try TmpfsMount.mount(size: "2m")
        defer { disk.unmount() }
        let run = disk.directory.appendingPathComponent("run")
        let config = try fullDiskConfig(in: scratch)
        func runner(_ extra: [String]) throws -> SweepFixtures.Launched {
            try SweepFixtures.launch(ConfigFixtures.runnerBinary.path,
                                     [config, "--quiet", "--set", "output.dir=\(run.path)"] + extra, scratch: scratch)
        }
        func bytes(_ name: String) -> Data? { try? Data(contentsOf: run.appendingPathComponent(name)) }

        // A finished run: report, model, per-user file.
        let first = try runner([]).wait()
        try #require(first.status == 0, "\(first.stderr)")
        let (report, model, perUser) = (bytes("report.json"), bytes("model.safetensors"), bytes("per_user.tsv"))

        // A longer run of another config (--replace), killed once it saved a training state:
        // its attempt works in .attempt/, beside the finished run.
        let attempt = run.appendingPathComponent(".attempt")
        let long = ["--set", "training.epochs=40", "--set", "training.early_stopping=null", "--replace"]
        let victim = try runner(long)
        let saved = waitFor(120) { (RunFiles.stateSummary(in: attempt)?.epoch ?? 0) >= 1 || !victim.process.isRunning }
        try #require(saved && victim.process.isRunning, "the run ended before it saved a state: \(victim.stderr)")
        kill(victim.process.processIdentifier, SIGKILL)
        victim.process.waitUntilExit()
        let epoch = try #require(RunFiles.stateSummary(in: attempt)?.epoch)
        let state = bytes(".attempt/state.safetensors")
        #expect(bytes("report.json") == report && bytes("model.safetensors") == model && bytes("state.safetensors") == nil)

        // 40 KB free: enough for the lock, the probe and a report, not for a training state.
        try fill(disk, leaving: 40 * 1024, name: "filler-1")
        let full = try runner(long).wait()
        let statePath = attempt.appendingPathComponent("state.safetensors").path
        let message = "could not save the training state after epoch \(epoch + 1): cannot write '\(statePath)': No space left on device"
        let kept = "(the finished run in '\(run.path)' is unchanged; this attempt's report: '\(attempt.path)/report.json')"
        #expect(full.status == 1)
        #expect(full.stderr == "resuming after epoch \(epoch) from \(statePath)\nfulldisk: failed: \(message) \(kept)\n")
        #expect(bytes(".attempt/state.safetensors") == state)
        #expect(bytes("report.json") == report)
        #expect(bytes("model.safetensors") == model)
        #expect(bytes("per_user.tsv") == perUser)
        #expect(temporaryFiles(in: run) == [] && temporaryFiles(in: attempt) == [])
        // The failure is on record beside the finished run (the report fits); the plan resumes the point.
        let failed = try ReportReader.read(attempt.appendingPathComponent("report.json"))
        #expect(failed.status == .failed && failed.message == message && failed.resumedFromEpoch == epoch)
        let failedReport = bytes(".attempt/report.json")

        // Not a byte free: the run stops before loading anything, and writes nothing.
        try fill(disk, leaving: 0, name: "filler-2")
        let nothing = try runner(long).wait()
        #expect(nothing.status == 1)
        #expect(nothing.stderr == "fulldisk: failed: output directory '\(run.path)' cannot be used: cannot write '\(run.path)/.lock': No space left on device\n")
        #expect(bytes(".attempt/report.json") == failedReport && bytes(".attempt/state.safetensors") == state)
        #expect(bytes("report.json") == report)
        #expect(temporaryFiles(in: run) == [])

        // Space again: the run continues after the saved epoch, finishes and replaces the finished run.
        for name in ["filler-1", "filler-2"] { try FileManager.default.removeItem(at: disk.directory.appendingPathComponent(name)) }
        let resumed = try runner(long).wait()
        #expect(resumed.status == 0, "\(resumed.stderr)")
        let done = try ReportReader.read(run.appendingPathComponent("report.json"))
        #expect(done.status == .ok && done.resumedFromEpoch == epoch && done.history.count == 40)
        #expect(temporaryFiles(in: run) == [] && bytes("state.safetensors") == nil)
        #expect(!FileManager.default.fileExists(atPath: attempt.path))
        #expect(try FileManager.default.contentsOfDirectory(atPath: run.path).filter { !$0.hasPrefix("events.out.tfevents.") }.sorted()
                == ["ids.json", "model.safetensors", "per_user.tsv", "report.json"])
        // The event files of the attempt's processes moved with it, each recorded; the old run's went.
        let events = TensorBoardLog.eventFiles(in: run)
        #expect(!events.isEmpty && events.allSatisfy { done.files?[$0] != nil } && done.files?.count == 3 + events.count)
    }

    /// Issue 24, item 3: a rerun of a finished config with the disk nearly full replaced the ok
    /// report with a failed one (100 KB free), or left the failed attempt's epoch-1 or epoch-2
    /// weights as model.safetensors beside the old per_user.tsv, which `recommend` used. Now,
    /// at every amount of free space, either the attempt fails and every file of the finished
    /// run is byte for byte what it was, or it succeeds and the directory holds its result; in
    /// both cases `recommend` gives the finished run's recommendations and no temporary file
    /// is left.
    @Test(.enabled(if: TmpfsMount.problem == nil, TmpfsMount.skipComment))
    func aRerunOnANearlyFullDiskNeverDestroysTheFinishedRun() throws {
        let scratch = try SweepFixtures.makeScratch()
        defer { try? FileManager.default.removeItem(at: scratch) }
        let disk = try TmpfsMount.mount(size: "2m")
        defer { disk.unmount() }
        let run = disk.directory.appendingPathComponent("run")
        let attempt = run.appendingPathComponent(".attempt")
        let config = try fullDiskConfig(in: scratch)
        func runner(_ arguments: [String]) throws -> SweepFixtures.Finished {
            try SweepFixtures.runner(arguments, scratch: scratch)
        }
        let first = try runner([config, "--quiet", "--set", "output.dir=\(run.path)"])
        try #require(first.status == 0, "\(first.stderr)")
        let users = try RunCheckpoint.readIds(in: run).users.prefix(3).joined(separator: ",")
        let recommend = ["recommend", run.path, "--users", users, "-k", "5"]
        let reference = try runner(recommend)
        try #require(reference.status == 0 && !reference.stdout.isEmpty, "\(reference.stderr)")
        let names = ["report.json", "model.safetensors", "per_user.tsv", "ids.json"]

        var failures = 0, successes = 0
        for free in [4, 12, 24, 40, 56, 72, 96, 128, 160, 200, 260, 600].map({ $0 * 1024 }) {
            let before = names.map { try? Data(contentsOf: run.appendingPathComponent($0)) }
            try fill(disk, leaving: free, name: "filler")
            let rerun = try runner([config, "--quiet", "--set", "output.dir=\(run.path)"])
            try FileManager.default.removeItem(at: disk.directory.appendingPathComponent("filler"))
            if rerun.status == 0 {
                successes += 1
                #expect(!FileManager.default.fileExists(atPath: attempt.path), "\(free / 1024) KB free")
            } else {
                failures += 1
                #expect(rerun.status == 1, "\(free / 1024) KB free: \(rerun.stderr)")
                #expect(names.map { try? Data(contentsOf: run.appendingPathComponent($0)) } == before,
                        "\(free / 1024) KB free: the finished run changed: \(rerun.stderr)")
                #expect(rerun.stderr.contains("is unchanged") || rerun.stderr.contains("cannot be used"),
                        "\(free / 1024) KB free: \(rerun.stderr)")
            }
            let report = try ReportReader.read(run.appendingPathComponent("report.json"))
            let events = TensorBoardLog.eventFiles(in: run)
            #expect(report.status == .ok && report.files?.count == 3 + events.count && events.count <= 1, "\(free / 1024) KB free")
            let again = try runner(recommend)
            #expect(again.status == 0 && again.stdout == reference.stdout, "\(free / 1024) KB free: \(again.stderr)")
            #expect(temporaryFiles(in: run) == [] && temporaryFiles(in: attempt) == [], "\(free / 1024) KB free")
            // The next trial starts from the finished run alone.
            try? FileManager.default.removeItem(at: attempt)
        }
        // The sizes cover both outcomes: attempts that ran out of space, and ones that did not.
        #expect(failures >= 4 && successes >= 1, "\(failures) failed, \(successes) succeeded")
    }
}
