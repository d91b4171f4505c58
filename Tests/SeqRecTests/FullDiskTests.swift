import Foundation
import Testing
@testable import SeqRec

// A full disk under a run's output directory, on a 2 MB tmpfs: the run fails with the file and
// "No space left on device", exit 1; the files already there (the previous report, model and
// per-user file, the saved training state) are byte for byte what they were, no temporary
// file is left, and once there is space again the run continues from its saved state.

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

        // A longer run of another config, killed once it saved a training state.
        let long = ["--set", "training.epochs=40", "--set", "training.early_stopping=null"]
        let victim = try runner(long)
        let saved = waitFor(120) { (RunFiles.stateSummary(in: run)?.epoch ?? 0) >= 1 || !victim.process.isRunning }
        try #require(saved && victim.process.isRunning, "the run ended before it saved a state: \(victim.stderr)")
        kill(victim.process.processIdentifier, SIGKILL)
        victim.process.waitUntilExit()
        let epoch = try #require(RunFiles.stateSummary(in: run)?.epoch)
        let state = bytes("state.safetensors")

        // 40 KB free: enough for the lock, the probe and a report, not for a training state.
        try fill(disk, leaving: 40 * 1024, name: "filler-1")
        let full = try runner(long).wait()
        let statePath = run.appendingPathComponent("state.safetensors").path
        let message = "could not save the training state after epoch \(epoch + 1): cannot write '\(statePath)': No space left on device"
        #expect(full.status == 1)
        #expect(full.stderr == "resuming after epoch \(epoch) from \(statePath)\nfulldisk: failed: \(message)\n")
        #expect(bytes("state.safetensors") == state)
        #expect(bytes("model.safetensors") == model)
        #expect(bytes("per_user.tsv") == perUser)
        #expect(temporaryFiles(in: run) == [])
        // The failure is on record (the report fits); the plan resumes the point.
        let failed = try ReportReader.read(run.appendingPathComponent("report.json"))
        #expect(failed.status == .failed && failed.message == message && failed.resumedFromEpoch == epoch)
        let failedReport = bytes("report.json")
        #expect(failedReport != report)

        // Not a byte free: the run stops before loading anything, and writes nothing.
        try fill(disk, leaving: 0, name: "filler-2")
        let nothing = try runner(long).wait()
        #expect(nothing.status == 1)
        #expect(nothing.stderr == "fulldisk: failed: output directory '\(run.path)' cannot be used: cannot write '\(run.path)/.lock': No space left on device\n")
        #expect(bytes("report.json") == failedReport && bytes("state.safetensors") == state)
        #expect(temporaryFiles(in: run) == [])

        // Space again: the run continues after the saved epoch and finishes.
        for name in ["filler-1", "filler-2"] { try FileManager.default.removeItem(at: disk.directory.appendingPathComponent(name)) }
        let resumed = try runner(long).wait()
        #expect(resumed.status == 0, "\(resumed.stderr)")
        let done = try ReportReader.read(run.appendingPathComponent("report.json"))
        #expect(done.status == .ok && done.resumedFromEpoch == epoch && done.history.count == 40)
        #expect(temporaryFiles(in: run) == [] && bytes("state.safetensors") == nil)
    }
}
