import Foundation
import Testing
@testable import SeqRec
@testable import SeqRecCore
@testable import SeqRecNumerics

// Files in a run directory that are not what their names say: a FIFO, a device or a directory
// where a run file should be (read without blocking, refused with a message that says what
// the path is), and a symbolic link planted where the runner creates a file (never written
// through). The binary cases run in a scratch directory and are killed after a time limit,
// so that a hang fails the test instead of the suite.

private let enabled = SweepFixtures.runnerIsBuilt

/// A small run that trains in a second (synthetic data), into `out`.
private let tinyRunConfig = tinySyntheticConfig + "output: {dir: out}\n"

/// Runs the runner in `directory` (a scratch directory); killed with SIGKILL after `limit` s.
private func runner(_ arguments: [String], in directory: URL, limit: Double = 60) throws -> SweepFixtures.Finished {
    let launched = try SweepFixtures.launch(ConfigFixtures.runnerBinary.path, arguments, scratch: directory, in: directory)
    let deadline = Date().addingTimeInterval(limit)
    while launched.process.isRunning && Date() < deadline { Thread.sleep(forTimeInterval: 0.02) }
    if launched.process.isRunning { kill(launched.process.processIdentifier, SIGKILL) }
    return launched.wait()
}

/// A scratch directory holding exp.yaml (the tiny config) and an empty `out/`.
private func scratchWithConfig() throws -> URL {
    let scratch = try SweepFixtures.makeScratch()
    try tinyRunConfig.write(to: scratch.appendingPathComponent("exp.yaml"), atomically: true, encoding: .utf8)
    try FileManager.default.createDirectory(at: scratch.appendingPathComponent("out"), withIntermediateDirectories: true)
    return scratch
}

/// `rm -rf`: FileManager cannot name the entries whose names are not UTF-8.
private func removeWithNonUTF8Names(_ directory: URL) {
    let remover = Process()
    remover.executableURL = URL(fileURLWithPath: "/bin/rm")
    remover.arguments = ["-rf", directory.path]
    try? remover.run()
    remover.waitUntilExit()
}

@Suite struct RunFileSafetyTests {
    // MARK: - Reading (what the path is, never blocking)

    @Test func runFilesThatAreNotRegularFilesSayWhatTheyAre() throws {
        let scratch = try SweepFixtures.makeScratch()
        defer { try? FileManager.default.removeItem(at: scratch) }
        let fifo = scratch.appendingPathComponent("fifo")
        #expect(mkfifo(fifo.path, 0o644) == 0)
        let zero = scratch.appendingPathComponent("zero")
        try FileManager.default.createSymbolicLink(atPath: zero.path, withDestinationPath: "/dev/zero")
        let directory = scratch.appendingPathComponent("dir")
        try FileManager.default.createDirectory(at: directory, withIntermediateDirectories: false)
        func message(_ body: () throws -> Void) -> String {
            do {
                try body()
                return "no error"
            } catch {
                return "\(error)"
            }
        }
        #expect(message { _ = try RunCheckpoint.readModel(at: fifo) }
            == "\(fifo.path): cannot read the model checkpoint: it is not a regular file (a FIFO)")
        #expect(message { _ = try RunCheckpoint.readModel(at: zero) }
            == "\(zero.path): cannot read the model checkpoint: it is not a regular file (a character device)")
        #expect(message { _ = try RunCheckpoint.readModel(at: directory) }
            == "\(directory.path): cannot read the model checkpoint: it is a directory")
        let ids = scratch.appendingPathComponent("run")
        try FileManager.default.createDirectory(at: ids, withIntermediateDirectories: false)
        #expect(mkfifo(ids.appendingPathComponent(RunFiles.ids).path, 0o644) == 0)
        #expect(message { _ = try RunCheckpoint.readIds(in: ids) }
            == "\(ids.path)/ids.json: cannot read the id maps: it is not a regular file (a FIFO)")
        #expect(message { _ = try ReportReader.read(fifo) }
            == "cannot read '\(fifo.path)': it is not a regular file (a FIFO)")
        #expect(message { _ = try ReportReader.readPerUser(directory) }
            == "cannot read '\(directory.path)': it is a directory")
        #expect(message { _ = try SafeTensorsFile.readMetadata(contentsOf: fifo) }
            == "cannot read '\(fifo.path)': it is not a regular file (a FIFO)")
        #expect(RunFiles.stateSummary(in: scratch) == nil)
        // A regular file is still read whole.
        let plain = scratch.appendingPathComponent("plain")
        try Data(repeating: 7, count: 3_000_000).write(to: plain)
        #expect(try RegularFile.read(plain.path) == Data(repeating: 7, count: 3_000_000))
        #expect(try RegularFile.read(plain.path, limit: 10).count == 10)
    }

    @Test(.enabled(if: enabled)) func aFIFONamedStateDoesNotBlockTheRunOrThePlan() throws {
        let scratch = try scratchWithConfig()
        defer { try? FileManager.default.removeItem(at: scratch) }
        let out = scratch.appendingPathComponent("out")
        #expect(mkfifo(out.appendingPathComponent(RunFiles.state).path, 0o644) == 0)
        #expect(mkfifo(out.appendingPathComponent(ReportWriter.reportFileName).path, 0o644) == 0)
        let plan = try runner(["plan", "exp.yaml"], in: scratch, limit: 20)
        #expect(plan.status == 0, "\(plan.stderr)")
        #expect(plan.stdout.contains("unreadable"), "\(plan.stdout)")
        let run = try runner(["exp.yaml"], in: scratch, limit: 20)
        #expect(run.status == 1)
        #expect(run.stderr.hasSuffix(
            "exp: failed: \(out.path)/state.safetensors: cannot read the training state: it is not a regular file (a FIFO) (run again with --restart to start at epoch 1)\n"),
            "\(run.stderr)")
    }

    @Test(.enabled(if: enabled)) func aModelThatIsADeviceIsNamedAsOne() throws {
        let scratch = try scratchWithConfig()
        defer { try? FileManager.default.removeItem(at: scratch) }
        let trained = try runner(["exp.yaml"], in: scratch)
        #expect(trained.status == 0, "\(trained.stderr)")
        let model = scratch.appendingPathComponent("out").appendingPathComponent(RunFiles.model)
        try FileManager.default.removeItem(at: model)
        try FileManager.default.createSymbolicLink(atPath: model.path, withDestinationPath: "/dev/zero")
        let result = try runner(["recommend", "out", "--users", "1"], in: scratch, limit: 20)
        #expect(result.status == 2)
        #expect(result.stderr == "error: \(model.path): cannot read the model checkpoint: it is not a regular file (a character device)\n")
    }

    // MARK: - Creating (never through a planted link)

    @Test func plantedLinksAsLockAndProbeAreNeverWrittenThrough() throws {
        let scratch = try SweepFixtures.makeScratch()
        defer { try? FileManager.default.removeItem(at: scratch) }
        let victim = scratch.appendingPathComponent("victim.txt")
        try "precious\n".write(to: victim, atomically: false, encoding: .utf8)
        let run = scratch.appendingPathComponent("run")
        try FileManager.default.createDirectory(at: run, withIntermediateDirectories: false)

        // The probe: the link is removed (not followed), the run goes on.
        let probe = run.appendingPathComponent(OutputDirectory.probeName)
        try FileManager.default.createSymbolicLink(atPath: probe.path, withDestinationPath: victim.path)
        let lock = try OutputDirectory.prepare(run.path, note: { _ in })
        lock?.release()
        #expect(ConfigFixtures.read(victim) == "precious\n")
        #expect(!FileManager.default.fileExists(atPath: probe.path))
        #expect((try? FileManager.default.destinationOfSymbolicLink(atPath: probe.path)) == nil)

        // The lock: refused, saying why.
        let lockPath = RunDirectoryLock.lockPath(in: run.path)
        try FileManager.default.createSymbolicLink(atPath: lockPath, withDestinationPath: victim.path)
        #expect(throws: RunLockError.unusable(lockPath: lockPath, reason: "it is a symbolic link (a lock file never is one; remove it)")) {
            try RunDirectoryLock.acquire(directory: run.path)
        }
        #expect(ConfigFixtures.read(victim) == "precious\n")
        try FileManager.default.removeItem(atPath: lockPath)

        // A hard link to another file is refused too; a FIFO neither blocks nor is used.
        #expect(link(victim.path, lockPath) == 0)
        #expect(throws: RunLockError.unusable(lockPath: lockPath, reason: "it has 2 names (a hard link to another file; remove it)")) {
            try RunDirectoryLock.acquire(directory: run.path)
        }
        #expect(RunDirectoryLock.holder(of: run.path) == nil)
        #expect(ConfigFixtures.read(victim) == "precious\n")
        try FileManager.default.removeItem(atPath: lockPath)
        #expect(mkfifo(lockPath, 0o644) == 0)
        #expect(RunDirectoryLock.holder(of: run.path) == nil)
        #expect(throws: RunLockError.unusable(lockPath: lockPath, reason: "it is not a regular file (a FIFO)")) {
            try RunDirectoryLock.acquire(directory: run.path)
        }
    }

    @Test(.enabled(if: enabled)) func aRunNeverWritesThroughPlantedLinks() throws {
        let scratch = try scratchWithConfig()
        defer { try? FileManager.default.removeItem(at: scratch) }
        let out = scratch.appendingPathComponent("out")
        let victims = ["lock-victim", "probe-victim"].map { scratch.appendingPathComponent($0) }
        for victim in victims { try "precious\n".write(to: victim, atomically: false, encoding: .utf8) }
        try FileManager.default.createSymbolicLink(atPath: out.appendingPathComponent(OutputDirectory.probeName).path,
                                                   withDestinationPath: victims[1].path)
        try FileManager.default.createSymbolicLink(atPath: out.appendingPathComponent(RunDirectoryLock.fileName).path,
                                                   withDestinationPath: victims[0].path)
        let refused = try runner(["exp.yaml"], in: scratch)
        #expect(refused.status == 1)
        #expect(refused.stderr == "exp: failed: output directory 'out' cannot be used: cannot lock 'out/.lock': it is a symbolic link (a lock file never is one; remove it)\n")
        try FileManager.default.removeItem(at: out.appendingPathComponent(RunDirectoryLock.fileName))
        let finished = try runner(["exp.yaml"], in: scratch)
        #expect(finished.status == 0, "\(finished.stderr)")
        for victim in victims { #expect(ConfigFixtures.read(victim) == "precious\n", "\(victim.lastPathComponent)") }
    }

    // MARK: - Paths that are not UTF-8

    @Test(.enabled(if: enabled)) func aCurrentDirectoryWhoseNameIsNotUTF8CanBeUsed() throws {
        let scratch = try SweepFixtures.makeScratch()
        defer { removeWithNonUTF8Names(scratch) }
        try FileManager.default.createDirectory(at: scratch.appendingPathComponent("work"), withIntermediateDirectories: true)
        try tinyRunConfig.write(to: scratch.appendingPathComponent("exp.yaml"), atomically: true, encoding: .utf8)
        // `caf\351` is "café" in Latin-1: not UTF-8. The shell makes it and runs the runner inside.
        let script = """
            set -e
            d="$(printf 'caf\\351')"
            mkdir "work/$d" && cp exp.yaml "work/$d/" && cd "work/$d"
            "$0" exp.yaml && "$0" plan exp.yaml && "$0" check-run out
            test -f out/report.json && test -f out/model.safetensors && echo "results in place"
            ls .. | wc -l
            """
        let launched = try SweepFixtures.launch("/bin/sh", ["-c", script, ConfigFixtures.runnerBinary.path],
                                                scratch: scratch, in: scratch)
        let result = launched.wait()
        #expect(result.status == 0, "\(result.stderr)")
        #expect(result.stderr.contains("report: /proc/self/cwd/out/report.json\n"), "\(result.stderr)")
        #expect(result.stderr.contains("runner plan: 1 point: 1 done, 0 pending\n"), "\(result.stderr)")
        // The results are in the directory itself, and no look-alike directory was made.
        #expect(result.stdout.hasSuffix("results in place\n1\n"), "\(result.stdout)")
    }

    @Test(.enabled(if: enabled)) func anArgumentThatIsNotUTF8IsAUsageError() throws {
        let scratch = try SweepFixtures.makeScratch()
        defer { removeWithNonUTF8Names(scratch) }
        let script = #"d="$(printf 'caf\351')"; mkdir "$d" && "$0" validate "$d/exp.yaml""#
        let result = try SweepFixtures.launch("/bin/sh", ["-c", script, ConfigFixtures.runnerBinary.path],
                                              scratch: scratch, in: scratch).wait()
        #expect(result.status == 2)
        #expect(result.stderr == "error: argument 'caf\\xe9/exp.yaml' is not UTF-8 text; paths and values on the command line must be UTF-8 (rename the file or directory, or cd into it and use a relative path)\n")
    }
}
