import Foundation
import Testing
@testable import SeqRec
@testable import SeqRecCore
@testable import SeqRecNumerics

// `runner sweep` and the make fragment on the tiny 2 x 2 grid, through the built binary:
// done points are skipped, missing/unreadable/interrupted ones rerun, --force reruns all,
// and SIGINT is forwarded to the running points, which leave interrupted reports.

private let pointNames = ["cell=lstm,seed=1", "cell=lstm,seed=2", "cell=gru,seed=1", "cell=gru,seed=2"]

/// The lines a sweep printed for finished points, as (status, run name), sorted by name.
private func finishedPoints(_ stdout: String) -> [String] {
    stdout.split(separator: "\n").filter { !$0.hasPrefix("sweep:") }.map { line in
        let words = line.split(separator: " ", omittingEmptySubsequences: true)
        let directory = words.count > 2 ? String(words[2]) : ""
        return "\(words.first ?? "") \((directory as NSString).lastPathComponent)"
    }.sorted()
}

/// Child processes of `pid`, from /proc.
func children(of pid: pid_t) -> [pid_t] {
    let entries = (try? FileManager.default.contentsOfDirectory(atPath: "/proc")) ?? []
    return entries.compactMap { entry in
        guard let child = pid_t(entry),
              let stat = try? String(contentsOfFile: "/proc/\(entry)/stat", encoding: .utf8),
              let close = stat.lastIndex(of: ")") else { return nil }
        let fields = stat[stat.index(after: close)...].split(separator: " ")
        return fields.count > 1 && pid_t(fields[1]) == pid ? child : nil
    }
}

/// Whether `pid` has a SIGINT handler installed (bit 2 of SigCgt in /proc/PID/status).
private func catchesSIGINT(_ pid: pid_t) -> Bool {
    guard let status = try? String(contentsOfFile: "/proc/\(pid)/status", encoding: .utf8),
          let line = status.split(separator: "\n").first(where: { $0.hasPrefix("SigCgt:") }),
          let mask = UInt64(line.dropFirst("SigCgt:".count).trimmingCharacters(in: .whitespaces), radix: 16) else {
        return false
    }
    return mask & (1 << (UInt64(SIGINT) - 1)) != 0
}

@Suite(.serialized, .enabled(if: SweepFixtures.runnerIsBuilt))
struct SweepEndToEndTests {
    @Test func sweepSkipsDonePointsAndRerunsTheRest() throws {
        let scratch = try SweepFixtures.makeScratch()
        defer { try? FileManager.default.removeItem(at: scratch) }
        let output = scratch.appendingPathComponent("out")
        let flags = [SweepFixtures.tinyGrid, "--set", "output.dir=\(output.path)"]
        let directories = pointNames.map { output.appendingPathComponent($0) }
        let plan = try SweepPlanner.plan(paths: [ConfigFixtures.repositoryRoot.appendingPathComponent(SweepFixtures.tinyGrid).path],
                                         overrides: ["output.dir=\(output.path)"], force: false)

        // 1. Everything runs, two at a time; each report has its point's config hash.
        let first = try SweepFixtures.runner(["sweep", "--jobs", "2"] + flags, scratch: scratch)
        #expect(first.status == 0, "stdout: \(first.stdout) stderr: \(first.stderr)")
        #expect(first.stdout.hasPrefix("sweep: 4 points: 0 done, 4 pending; running 4, 2 at a time\n"))
        #expect(finishedPoints(first.stdout) == pointNames.sorted().map { "ok \($0)" })
        #expect(first.stdout.contains("sweep: 4 ran (4 ok, 0 failed), 0 skipped, "))
        // Each point's epoch line starts with its run name (stderr); each finished line ends
        // with the point's first test metric (stdout).
        for name in pointNames {
            #expect(first.stderr.split(separator: "\n").contains { $0.hasPrefix("tiny-grid/\(name): epoch") },
                    "stderr: \(first.stderr)")
        }
        let finishedLines = first.stdout.split(separator: "\n").filter { !$0.hasPrefix("sweep:") }
        #expect(finishedLines.count == 4 && finishedLines.allSatisfy { $0.contains("  test hr@10 0.") || $0.contains("  test hr@10 1.") },
                "stdout: \(first.stdout)")
        for (point, directory) in zip(plan.points, directories) {
            let report = try ReportReader.read(directory.appendingPathComponent("report.json"))
            #expect(report.status == .ok && report.configHash == point.spec.configHash && report.name == point.spec.name)
        }
        let firstStarts = try directories.map(SweepFixtures.startedAt)

        // 2. Missing, unreadable and interrupted reports make their points pending again.
        try FileManager.default.removeItem(at: directories[0].appendingPathComponent("report.json"))
        try Data("{".utf8).write(to: directories[1].appendingPathComponent("report.json"))
        let interruptedURL = directories[2].appendingPathComponent("report.json")
        var object = try #require(try JSONSerialization.jsonObject(with: Data(contentsOf: interruptedURL)) as? [String: Any])
        object["status"] = "interrupted"
        try JSONSerialization.data(withJSONObject: object).write(to: interruptedURL)
        let listing = try SweepFixtures.runner(["plan", "--all", "--runner", "runner"] + flags, scratch: scratch)
        #expect(listing.stdout.split(separator: "\n").map { $0.split(separator: "\t").first.map(String.init) ?? "" }
                == ["missing", "unreadable", "interrupted", "done"])

        // 3. Only those three run again; the done point keeps its report.
        let second = try SweepFixtures.runner(["sweep", "--jobs", "2"] + flags, scratch: scratch)
        #expect(second.status == 0, "stdout: \(second.stdout) stderr: \(second.stderr)")
        #expect(finishedPoints(second.stdout) == pointNames.prefix(3).sorted().map { "ok \($0)" })
        #expect(second.stdout.contains("sweep: 3 ran (3 ok, 0 failed), 1 skipped, "))
        let secondStarts = try directories.map(SweepFixtures.startedAt)
        #expect(secondStarts[3] == firstStarts[3])
        #expect(zip(secondStarts, firstStarts).prefix(3).allSatisfy { $0 > $1 })

        // 4. The make fragment: a deleted report is the only target make runs.
        if SweepFixtures.makeIsInstalled {
            try FileManager.default.removeItem(at: directories[3].appendingPathComponent("report.json"))
            let fragment = try SweepFixtures.runner(
                ["plan", "--format", "make", "--runner", ConfigFixtures.runnerBinary.path] + flags, scratch: scratch)
            let fragmentURL = scratch.appendingPathComponent("sweep.mk")
            try fragment.stdout.write(to: fragmentURL, atomically: true, encoding: .utf8)
            let make = try SweepFixtures.make(["-j2", "-f", fragmentURL.path, "all"], scratch: scratch)
            #expect(make.status == 0, "stdout: \(make.stdout) stderr: \(make.stderr)")
            #expect(make.stdout.split(separator: "\n").count == 1)
            #expect(make.stdout.contains("--point cell=gru,seed=2 "))
            let makeStarts = try directories.map(SweepFixtures.startedAt)
            #expect(Array(makeStarts.prefix(3)) == Array(secondStarts.prefix(3)))
            #expect(makeStarts[3] > secondStarts[3])
            // Nothing is left to do, according to a fresh plan.
            let again = try SweepFixtures.runner(
                ["plan", "--format", "make", "--runner", ConfigFixtures.runnerBinary.path] + flags, scratch: scratch)
            try again.stdout.write(to: fragmentURL, atomically: true, encoding: .utf8)
            let dryRun = try SweepFixtures.make(["-n", "-f", fragmentURL.path, "all"], scratch: scratch)
            #expect(dryRun.status == 0)
            #expect(dryRun.stdout == "make: Nothing to be done for 'all'.\n")
        }

        // 5. A sweep with every point done runs nothing; --force runs every point again.
        let idle = try SweepFixtures.runner(["sweep", "--jobs", "2"] + flags, scratch: scratch)
        #expect(idle.status == 0)
        #expect(idle.stdout.hasPrefix("sweep: 4 points: 4 done, 0 pending; nothing to run\nsweep: 0 ran (0 ok, 0 failed), 4 skipped, "))
        let beforeForce = try directories.map(SweepFixtures.startedAt)
        let forced = try SweepFixtures.runner(["sweep", "--jobs", "2", "--force", "--quiet"] + flags, scratch: scratch)
        #expect(forced.status == 0)
        #expect(!forced.stderr.contains(": epoch"), "stderr: \(forced.stderr)")
        #expect(finishedPoints(forced.stdout) == pointNames.sorted().map { "ok \($0)" })
        let forcedStarts = try directories.map(SweepFixtures.startedAt)
        #expect(zip(forcedStarts, beforeForce).allSatisfy { $0 > $1 })
    }

    @Test func interruptedSweepStopsAndLeavesItsPointsPending() throws {
        let scratch = try SweepFixtures.makeScratch()
        defer { try? FileManager.default.removeItem(at: scratch) }
        let output = scratch.appendingPathComponent("out")
        // Long runs, so that both running points are training when the signal arrives.
        let flags = [SweepFixtures.tinyGrid, "--set", "output.dir=\(output.path)",
                     "--set", "training.epochs=100000", "--set", "training.early_stopping=null"]
        let sweep = try SweepFixtures.launch(ConfigFixtures.runnerBinary.path, ["sweep", "--jobs", "2"] + flags,
                                             scratch: scratch)
        // Wait until two children run and have their SIGINT handlers installed.
        let deadline = Date().addingTimeInterval(60)
        var running: [pid_t] = []
        while Date() < deadline && sweep.process.isRunning {
            running = children(of: sweep.process.processIdentifier)
            if running.count == 2 && running.allSatisfy(catchesSIGINT) { break }
            Thread.sleep(forTimeInterval: 0.05)
        }
        #expect(running.count == 2)
        kill(sweep.process.processIdentifier, SIGINT)
        let stopBy = Date().addingTimeInterval(30)
        while sweep.process.isRunning && Date() < stopBy { Thread.sleep(forTimeInterval: 0.05) }
        if sweep.process.isRunning {
            running.forEach { kill($0, SIGKILL) }
            kill(sweep.process.processIdentifier, SIGKILL)
            Issue.record("the sweep ignored SIGINT for 30 s")
        }
        let result = sweep.wait()
        #expect(result.status == 1)
        #expect(finishedPoints(result.stdout) == ["interrupted cell=lstm,seed=1", "interrupted cell=lstm,seed=2"])
        #expect(result.stdout.contains("sweep: 2 ran (0 ok, 2 failed), 0 skipped, "))
        #expect(result.stdout.hasSuffix("; interrupted by signal 2, 2 not started\n"))
        // The runs wrote interrupted reports; a rerun would run all four points.
        let listing = try SweepFixtures.runner(["plan", "--runner", "runner"] + flags, scratch: scratch)
        // (A point stopped after a complete epoch also says where it resumes.)
        #expect(listing.stdout.split(separator: "\n").map { line in
            (line.split(separator: "\t").first.map(String.init) ?? "").replacing(/, resumable at epoch \d+$/, with: "")
        } == ["interrupted", "interrupted", "missing", "missing"])
    }
}
