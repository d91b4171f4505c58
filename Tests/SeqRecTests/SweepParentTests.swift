import Foundation
import Testing
@testable import SeqRec
@testable import SeqRecCore
@testable import SeqRecNumerics

// A sweep's children die with the sweep: `kill -9` of `runner sweep` leaves no runner behind
// to keep training (and writing) unseen, and a rerun finds the points resumable, not running.

/// Whether `pid` is a process that still runs (not gone, not a zombie waiting to be reaped).
func isRunning(_ pid: pid_t) -> Bool {
    guard let stat = try? String(contentsOfFile: "/proc/\(pid)/stat", encoding: .utf8),
          let close = stat.lastIndex(of: ")") else { return false }
    let state = stat[stat.index(after: close)...].split(separator: " ").first ?? "X"
    return state != "Z" && state != "X"
}

/// The pids of processes whose parent is `parent`, from /proc.
func childPids(of parent: pid_t) -> [pid_t] {
    let entries = (try? FileManager.default.contentsOfDirectory(atPath: "/proc")) ?? []
    return entries.compactMap { entry in
        guard let pid = pid_t(entry),
              let stat = try? String(contentsOfFile: "/proc/\(entry)/stat", encoding: .utf8),
              let close = stat.lastIndex(of: ")") else { return nil }
        let fields = stat[stat.index(after: close)...].split(separator: " ")
        return fields.count > 1 && pid_t(fields[1]) == parent ? pid : nil
    }.sorted()
}

@Suite(.serialized, .enabled(if: SweepFixtures.runnerIsBuilt && FileManager.default.fileExists(atPath: "/proc/self/stat")))
struct SweepParentTests {
    @Test func killingTheSweepKillsItsChildren() throws {
        let scratch = try SweepFixtures.makeScratch()
        defer { try? FileManager.default.removeItem(at: scratch) }
        let output = scratch.appendingPathComponent("out")
        let flags = [SweepFixtures.tinyGrid, "--set", "output.dir=\(output.path)", "--set", "training.threads=1",
                     "--set", "training.epochs=100000", "--set", "training.early_stopping=null"]
        let sweep = try SweepFixtures.launch(ConfigFixtures.runnerBinary.path, ["sweep", "--jobs", "2"] + flags,
                                             scratch: scratch)
        defer { if sweep.process.isRunning { kill(sweep.process.processIdentifier, SIGKILL) } }
        // Both children are training: each holds its point's lock.
        var children: [pid_t] = []
        let started = waitFor(60) {
            children = childPids(of: sweep.process.processIdentifier)
            return children.count == 2 && children.allSatisfy { child in
                ["cell=lstm,seed=1", "cell=lstm,seed=2"].contains { point in
                    RunDirectoryLock.holder(of: output.appendingPathComponent(point).path)?.pid == child
                }
            }
        }
        try #require(started, "children: \(children)")
        defer { children.forEach { kill($0, SIGKILL) } }

        kill(sweep.process.processIdentifier, SIGKILL)
        sweep.process.waitUntilExit()
        #expect(waitFor(10) { !children.contains(where: isRunning) }, "still running: \(children.filter(isRunning))")

        // Nobody holds the points any more; they resume (or start) when the sweep runs again.
        let plan = try SweepFixtures.runner(["plan", "--all", "--runner", "runner"] + flags, scratch: scratch)
        let labels = plan.stdout.split(separator: "\n").map { $0.split(separator: "\t").first.map(String.init) ?? "" }
        #expect(labels.count == 4)
        #expect(labels.prefix(2).allSatisfy { $0 == "missing" || $0.hasPrefix("missing, resumable at epoch ") }, "\(labels)")
        #expect(Array(labels.suffix(2)) == ["missing", "missing"])
        #expect(plan.stderr == "runner plan: 4 points: 0 done, 4 pending\n")
    }

    /// The sweep died between starting a runner and the runner's request to die with it: the
    /// runner sees that its parent is no longer the sweep and does not start.
    @Test func aRunnerWhoseSweepIsGoneDoesNotStart() throws {
        let scratch = try SweepFixtures.makeScratch()
        defer { try? FileManager.default.removeItem(at: scratch) }
        let output = scratch.appendingPathComponent("out")
        let dead = try deadPid()
        let result = try SweepFixtures.shell(
            "SEQREC_SWEEP_PARENT=\(dead) '\(ConfigFixtures.runnerBinary.path)' Tests/Fixtures/e2e/tiny.yaml --set 'output.dir=\(output.path)'",
            scratch: scratch)
        #expect(result.status == 1)
        #expect(result.stderr == "runner: the sweep that started this run (pid \(dead)) has ended; not starting\n")
        #expect(!FileManager.default.fileExists(atPath: output.path))
    }
}
