import Foundation
import Testing
@testable import SeqRec
@testable import SeqRecCore
@testable import SeqRecNumerics

// One run per output directory: the lock file, its takeover after a dead holder, how plans
// and sweeps see a point another process is running, and the refusal of a second run.

/// A pid that is certainly not alive: a finished child's.
func deadPid() throws -> Int32 {
    let process = Process()
    process.executableURL = URL(fileURLWithPath: "/bin/true")
    try process.run()
    process.waitUntilExit()
    let pid = process.processIdentifier
    #expect(!ProcessLiveness.isAlive(pid))
    return pid
}

/// Waits up to `seconds` for `condition`; returns whether it came true.
func waitFor(_ seconds: Double, _ condition: () -> Bool) -> Bool {
    let deadline = Date().addingTimeInterval(seconds)
    while Date() < deadline {
        if condition() { return true }
        usleep(5_000)
    }
    return condition()
}

@Suite struct RunLockTests {
    @Test func aLockIsExclusiveRecordsItsPidAndIsRemovedOnRelease() throws {
        let scratch = try SweepFixtures.makeScratch()
        defer { try? FileManager.default.removeItem(at: scratch) }
        let lockPath = scratch.appendingPathComponent(".lock").path
        let lock = try RunDirectoryLock.acquire(directory: scratch.path)
        #expect(lock.path == lockPath)
        #expect(ConfigFixtures.read(URL(fileURLWithPath: lockPath)) == "\(getpid())\n")
        #expect(RunDirectoryLock.holder(of: scratch.path) == RunDirectoryLock.Holder(pid: getpid()))
        // A second lock (another open file, as another process would have) is refused.
        #expect(throws: RunLockError.held(lockPath: lockPath, pid: getpid())) {
            try RunDirectoryLock.acquire(directory: scratch.path)
        }
        #expect(RunLockError.held(lockPath: lockPath, pid: 42).description == "another run (pid 42) holds '\(lockPath)'")
        lock.release()
        #expect(!FileManager.default.fileExists(atPath: lockPath))
        #expect(RunDirectoryLock.holder(of: scratch.path) == nil)
        lock.release()  // idempotent
        let again = try RunDirectoryLock.acquire(directory: scratch.path)
        again.release()
    }

    @Test func aLockFileLeftByADeadProcessIsTakenOver() throws {
        let scratch = try SweepFixtures.makeScratch()
        defer { try? FileManager.default.removeItem(at: scratch) }
        let lockURL = scratch.appendingPathComponent(".lock")
        try "\(try deadPid())\n".write(to: lockURL, atomically: false, encoding: .utf8)
        #expect(RunDirectoryLock.holder(of: scratch.path) == nil)
        let lock = try RunDirectoryLock.acquire(directory: scratch.path)
        #expect(ConfigFixtures.read(lockURL) == "\(getpid())\n")
        lock.release()
    }

    @Test func aDirectoryThatDoesNotExistCannotBeLocked() throws {
        let missing = FileManager.default.temporaryDirectory.appendingPathComponent("seqrec-missing-\(UUID().uuidString)")
        #expect(throws: RunLockError.unusable(lockPath: missing.path + "/.lock", reason: "No such file or directory")) {
            try RunDirectoryLock.acquire(directory: missing.path)
        }
        #expect(RunDirectoryLock.holder(of: missing.path) == nil)
    }

    /// The plan lists a locked point as running (with --all), leaves it out of the pending
    /// points and the make goals, and says so in the summary; --force does not make it pending.
    @Test func aLockedPointIsRunningInThePlan() throws {
        let scratch = try SweepFixtures.makeScratch()
        defer { try? FileManager.default.removeItem(at: scratch) }
        let output = scratch.appendingPathComponent("out")
        let grid = ConfigFixtures.repositoryRoot.appendingPathComponent(SweepFixtures.tinyGrid).path
        let locked = output.appendingPathComponent("cell=gru,seed=1")
        try FileManager.default.createDirectory(at: locked, withIntermediateDirectories: true)
        let lock = try RunDirectoryLock.acquire(directory: locked.path)
        defer { lock.release() }
        for force in [false, true] {
            let plan = try SweepPlanner.plan(paths: [grid], overrides: ["output.dir=\(output.path)"], force: force)
            #expect(plan.points.map(\.state.label)
                    == ["\(force ? "forced" : "missing")", force ? "forced" : "missing", "running (pid \(getpid()))",
                        force ? "forced" : "missing"])
            #expect(plan.pending.count == 3 && plan.runningCount == 1 && plan.doneCount == 0)
            #expect(PlanRendering.summary(plan) == "4 points: 0 done, 3 pending, 1 running")
            let lines = try PlanRendering.render(plan, format: .lines, runner: "runner", includeDone: false)
            #expect(!lines.contains("cell=gru,seed=1"))
            let all = try PlanRendering.render(plan, format: .lines, runner: "runner", includeDone: true)
            #expect(all.contains("running (pid \(getpid()))\t\(locked.path)\trunner run "))
            let make = try PlanRendering.render(plan, format: .make, runner: "runner", includeDone: false)
            let goals = make.components(separatedBy: "\n\n").first { $0.hasPrefix("all:") } ?? ""
            #expect(goals.components(separatedBy: "\\\n").count == 4, "\(goals)")  // `all:` and 3 goals
            #expect(!goals.contains("gru$(comma)seed$(eq)1"))
            #expect(make.contains("\n# running (pid \(getpid())): tiny-grid/cell=gru,seed=1\n"))
        }
    }
}

/// Through the binary: a second run into a directory being written is refused, a sweep
/// skips the point, and after a kill -9 the lock left behind is taken over.
@Suite(.serialized, .enabled(if: SweepFixtures.runnerIsBuilt))
struct RunLockEndToEndTests {
    @Test func aSecondRunIsRefusedAndASweepSkipsTheRunningPoint() throws {
        let scratch = try SweepFixtures.makeScratch()
        defer { try? FileManager.default.removeItem(at: scratch) }
        let output = scratch.appendingPathComponent("out")
        let busy = output.appendingPathComponent("cell=lstm,seed=1")
        let flags = [SweepFixtures.tinyGrid, "--set", "output.dir=\(output.path)"]
        let long = ["--set", "training.epochs=100000", "--set", "training.early_stopping=null"]
        let holder = try SweepFixtures.launch(ConfigFixtures.runnerBinary.path,
                                              ["run"] + flags + long + ["--point", "cell=lstm,seed=1", "--quiet"],
                                              scratch: scratch)
        defer { if holder.process.isRunning { kill(holder.process.processIdentifier, SIGKILL) } }
        let pid = holder.process.processIdentifier
        let lockURL = busy.appendingPathComponent(".lock")
        try #require(waitFor(60) { ConfigFixtures.read(lockURL) == "\(pid)\n" })

        // A second run of the same point: refused before it loads anything, exit 1.
        let second = try SweepFixtures.runner(["run"] + flags + ["--point", "cell=lstm,seed=1"], scratch: scratch)
        #expect(second.status == 1)
        #expect(second.stderr == """
            tiny-grid/cell=lstm,seed=1: failed: output directory '\(busy.path)' cannot be used: another run (pid \(pid)) holds '\(lockURL.path)'

            """)
        #expect(second.stdout == "")
        #expect(!FileManager.default.fileExists(atPath: busy.appendingPathComponent("report.json").path))

        // The plan and the sweep leave it alone; the sweep runs the other three points.
        let plan = try SweepFixtures.runner(["plan", "--all", "--runner", "runner"] + flags, scratch: scratch)
        #expect(plan.stdout.split(separator: "\n").map { $0.split(separator: "\t").first.map(String.init) ?? "" }
                == ["running (pid \(pid))", "missing", "missing", "missing"])
        #expect(plan.stderr == "runner plan: 4 points: 0 done, 3 pending, 1 running\n")
        let sweep = try SweepFixtures.runner(["sweep", "--jobs", "2"] + flags, scratch: scratch)
        #expect(sweep.status == 0, "\(sweep.stdout)\(sweep.stderr)")
        #expect(sweep.stdout.hasPrefix("""
            sweep: 4 points: 0 done, 3 pending, 1 running; running 3, 2 at a time
            sweep: skipping \(busy.path): running (pid \(pid))

            """))
        #expect(sweep.stdout.contains("sweep: 3 ran (3 ok, 0 failed), 1 skipped, "))
        #expect(holder.process.isRunning)

        // kill -9: the lock file stays, but nobody holds it; the point resumes and the rerun
        // removes the lock file when it is done.
        kill(pid, SIGKILL)
        holder.process.waitUntilExit()
        #expect(ConfigFixtures.read(lockURL) == "\(pid)\n")
        // (The sweep finished the other points under another config: listing them with `long`
        // needs --replace.)
        let after = try SweepFixtures.runner(["plan", "--all", "--runner", "runner", "--replace"] + flags + long, scratch: scratch)
        let label = after.stdout.split(separator: "\n").first?.split(separator: "\t").first.map(String.init) ?? ""
        #expect(label.hasPrefix("missing, resumable at epoch "), "\(after.stdout)")
        let rerun = try SweepFixtures.runner(["run"] + flags + ["--point", "cell=lstm,seed=1", "--quiet"], scratch: scratch)
        #expect(rerun.status == 0, "\(rerun.stderr)")
        #expect(!FileManager.default.fileExists(atPath: lockURL.path))
    }
}
