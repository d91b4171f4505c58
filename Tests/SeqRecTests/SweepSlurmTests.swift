import Foundation
import Testing
@testable import SeqRec
@testable import SeqRecCore
@testable import SeqRecNumerics

// `runner plan --format slurm`: the job-array script (a snapshot with fixed inputs), its
// options and errors, and the CLI writing the files. scripts/slurm-check.sh runs the script
// on a real SLURM cluster.

private let slurmSnapshot = SweepFixtures.directory.appendingPathComponent("plan.sbatch")

/// The tiny grid with threads set and output under /nonexistent: a fixed plan, nothing read from disk.
private func tinyPlan(_ overrides: [String] = ["training.threads=2"]) throws -> SweepPlan {
    try SweepPlanner.plan(paths: [SweepFixtures.tinyGrid],
                          overrides: ["output.dir=/nonexistent/seqrec-sweep"] + overrides, force: false)
}

@Test func slurmScriptMatchesSnapshot() throws {
    let options = SlurmOptions(partition: "gpu", timeLimit: "2:00:00", maxParallel: 2,
                               sbatchLines: ["--mem=4G", "#SBATCH --account=rec"])
    let array = try #require(try SlurmArray.make(plan: try tinyPlan(), runner: "bin/runner",
                                                 workingDirectory: "/work/seqrec", options: options))
    if ConfigFixtures.updating { try array.script.write(to: slurmSnapshot, atomically: true, encoding: .utf8) }
    #expect(array.script == ConfigFixtures.read(slurmSnapshot))
    #expect(array.scriptPath == "/nonexistent/seqrec-sweep/slurm/sweep.sbatch")
    #expect(array.planPath == "/nonexistent/seqrec-sweep/slurm/sweep.plan")
    #expect(array.submitCommand == "sbatch /nonexistent/seqrec-sweep/slurm/sweep.sbatch")
    #expect(array.taskCount == 4)
    // Plan line i is task i's command; the runner path is absolute.
    let lines = array.planText.split(separator: "\n").map(String.init)
    #expect(lines.count == 4)
    for (index, line) in lines.enumerated() {
        #expect(line.hasPrefix("/work/seqrec/bin/runner run Tests/Fixtures/sweep/tiny-grid.yaml --point "))
        #expect(array.script.contains("  \(index)) point=(\(line)) ;;\n"))
    }
}

@Test func slurmDefaultsTakeCPUsFromThreadsAndLeaveOptionalLinesOut() throws {
    let array = try #require(try SlurmArray.make(plan: try tinyPlan(["training.threads=3"]), runner: "/opt/runner",
                                                 workingDirectory: "/w", options: SlurmOptions()))
    let directives = array.script.split(separator: "\n").filter { $0.hasPrefix("#SBATCH") }
    #expect(directives == [
        "#SBATCH --job-name=seqrec-tiny-grid",
        "#SBATCH --array=0-3",
        "#SBATCH --chdir=/w",
        "#SBATCH --cpus-per-task=3",
        "#SBATCH --output=/nonexistent/seqrec-sweep/slurm/%A_%a.log",
        "#SBATCH --open-mode=append",
        "#SBATCH --requeue",
        "#SBATCH --signal=B:TERM@120",
    ])
    #expect(array.script.contains("\nset -uo pipefail\nmax_requeues=5\n"))
    #expect(array.notes.isEmpty == false)  // /opt/runner does not exist here
}

@Test func slurmScriptIsValidBash() throws {
    let scratch = try SweepFixtures.makeScratch()
    defer { try? FileManager.default.removeItem(at: scratch) }
    let script = scratch.appendingPathComponent("sweep.sbatch")
    try ConfigFixtures.read(slurmSnapshot).write(to: script, atomically: true, encoding: .utf8)
    let syntax = try SweepFixtures.shell("bash -n '\(script.path)'", scratch: scratch)
    #expect(syntax.status == 0, "stderr: \(syntax.stderr)")
    // Outside sbatch it refuses to run.
    let outside = try SweepFixtures.shell("env -u SLURM_ARRAY_JOB_ID bash '\(script.path)'", scratch: scratch)
    #expect(outside.status != 0)
    #expect(outside.stderr.contains("submit this script with sbatch"))
}

@Test func slurmOptionErrors() throws {
    let withThreads = try tinyPlan()
    func message(_ options: SlurmOptions, plan: SweepPlan? = nil) -> String? {
        do throws(SlurmArrayError) {
            _ = try SlurmArray.make(plan: plan ?? withThreads, runner: "/r", workingDirectory: "/w", options: options)
            return nil
        } catch {
            return error.description
        }
    }
    #expect(message(SlurmOptions(timeLimit: "2h")) == "runner plan --format slurm: --time: expected minutes, minutes:seconds, hours:minutes:seconds, days-hours, days-hours:minutes, days-hours:minutes:seconds or UNLIMITED, found '2h'")
    #expect(message(SlurmOptions(timeLimit: "2")) == "runner plan --format slurm: --time 2 is 120 s, not more than --signal-grace 120 s: the warning would come before the task starts; lower --signal-grace")
    #expect(message(SlurmOptions(cpusPerTask: 0)) == "runner plan --format slurm: --cpus-per-task: expected at least 1, found 0")
    #expect(message(SlurmOptions(maxParallel: 0)) == "runner plan --format slurm: --max-parallel: expected at least 1, found 0")
    #expect(message(SlurmOptions(signalGrace: 0)) == "runner plan --format slurm: --signal-grace: expected 1 to 65535 seconds, found 0")
    #expect(message(SlurmOptions(partition: "a b")) == "runner plan --format slurm: --partition: expected a partition name (or a comma-separated list), found 'a b'")
    #expect(message(SlurmOptions(sbatchLines: ["mem=4G"])) == "runner plan --format slurm: --sbatch-line: expected an sbatch option such as --mem=8G, found 'mem=4G'")
    #expect(message(SlurmOptions(), plan: try tinyPlan([])) == "runner plan --format slurm: expected training.threads on every point (it sets --cpus-per-task), found it unset; pass --set training.threads=N, or --cpus-per-task N")
    #expect(message(SlurmOptions(memory: "8GB")) == "runner plan --format slurm: --mem: expected a size such as 8G, 1500M or 500000K, found '8GB'")
    // Unset threads with an explicit --cpus-per-task is allowed: the runner takes the task's
    // SLURM_CPUS_PER_TASK (CPUAllowance), and a note says so.
    let array = try #require(try SlurmArray.make(plan: try tinyPlan([]), runner: "/r", workingDirectory: "/w",
                                                 options: SlurmOptions(cpusPerTask: 4)))
    #expect(array.notes.contains("4 points leave training.threads unset: each trains with its task's SLURM_CPUS_PER_TASK (4) threads"))
}

@Test func slurmTimeLimits() {
    #expect(SlurmTime.seconds("90") == 5400)
    #expect(SlurmTime.seconds("90:30") == 5430)
    #expect(SlurmTime.seconds("2:00:00") == 7200)
    #expect(SlurmTime.seconds("1-12") == 129_600)
    #expect(SlurmTime.seconds("1-0:30") == 88_200)
    #expect(SlurmTime.seconds("1-0:0:5") == 86_405)
    #expect(SlurmTime.seconds("UNLIMITED") == SlurmTime.unlimited)
    for bad in ["", "2h", "1:2:3:4", "-5", "1-", "1-2-3", ":30", "1.5"] { #expect(SlurmTime.seconds(bad) == nil, "\(bad)") }
}

@Test func slurmDirectoryIsTheGridsOutputDirectory() throws {
    let plan = try tinyPlan(["training.threads=1", "output.dir=out/grid"])
    let array = try #require(try SlurmArray.make(plan: plan, runner: "runner", workingDirectory: "/w", options: SlurmOptions()))
    #expect(array.logDirectory == "/w/out/grid/slurm")
    #expect(array.script.contains("#SBATCH --output=/w/out/grid/slurm/%A_%a.log\n"))
    #expect(try SlurmArray.make(plan: SweepPlan(points: plan.points.map { var point = $0; point.state = .done; return point }),
                                runner: "runner", workingDirectory: "/w", options: SlurmOptions()) == nil)
}

// MARK: - Through the binary

@Test(.enabled(if: SweepFixtures.runnerIsBuilt))
func planWithSlurmFormatWritesTheScriptAndPrintsTheSubmitCommand() throws {
    let scratch = try SweepFixtures.makeScratch()
    defer { try? FileManager.default.removeItem(at: scratch) }
    let output = scratch.appendingPathComponent("grid").path
    let result = try SweepFixtures.runner([
        "plan", SweepFixtures.tinyGrid, "--format", "slurm", "--set", "output.dir=\(output)",
        "--set", "training.threads=1", "--time", "30", "--max-parallel", "3", "--sbatch-line=--mem=1G",
    ], scratch: scratch)
    #expect(result.status == 0, "stderr: \(result.stderr)")
    let script = "\(output)/slurm/sweep.sbatch"
    #expect(result.stdout == "sbatch \(script)\n")
    #expect(result.stderr == """
        runner plan: 4 points: 0 done, 4 pending
        runner plan: wrote \(script) (4 tasks) and \(output)/slurm/sweep.plan

        """)
    let text = ConfigFixtures.read(URL(fileURLWithPath: script))
    #expect(text.contains("#SBATCH --array=0-3%3\n"))
    #expect(text.contains("#SBATCH --chdir=\(ConfigFixtures.repositoryRoot.path)\n"))
    #expect(text.contains("#SBATCH --time=30\n#SBATCH --mem=1G\n"))
    #expect(FileManager.default.isExecutableFile(atPath: script))
    var isDirectory: ObjCBool = false
    #expect(FileManager.default.fileExists(atPath: "\(output)/slurm", isDirectory: &isDirectory) && isDirectory.boolValue)
    // The plan lines are `--format commands` with the runner's absolute path.
    let commands = try SweepFixtures.runner([
        "plan", SweepFixtures.tinyGrid, "--format", "commands", "--runner", ConfigFixtures.runnerBinary.path,
        "--set", "output.dir=\(output)", "--set", "training.threads=1",
    ], scratch: scratch)
    let planLines = ConfigFixtures.read(URL(fileURLWithPath: "\(output)/slurm/sweep.plan"))
    #expect(planLines.split(separator: "\n").map { $0.split(separator: " ").dropFirst() }
            == commands.stdout.split(separator: "\n").map { $0.split(separator: " ").dropFirst() })
}

@Test(.enabled(if: SweepFixtures.runnerIsBuilt))
func slurmFlagsNeedTheSlurmFormat() throws {
    let scratch = try SweepFixtures.makeScratch()
    defer { try? FileManager.default.removeItem(at: scratch) }
    let lines = try SweepFixtures.runner(["plan", SweepFixtures.tinyGrid, "--partition", "gpu"], scratch: scratch)
    #expect(lines.status == 2)
    #expect(lines.stderr.hasPrefix("Error: --partition: only with --format slurm, found --format lines\n"))
    let all = try SweepFixtures.runner(["plan", SweepFixtures.tinyGrid, "--format", "slurm", "--all"], scratch: scratch)
    #expect(all.status == 2)
    #expect(all.stderr.hasPrefix("Error: --all: --format slurm submits pending points only; use --force to rerun done points\n"))
    let unset = try SweepFixtures.runner(["plan", SweepFixtures.tinyGrid, "--format", "slurm",
                                          "--set", "output.dir=\(scratch.path)/grid"], scratch: scratch)
    #expect(unset.status == 2)
    #expect(unset.stdout.isEmpty)
    #expect(!FileManager.default.fileExists(atPath: "\(scratch.path)/grid"))
}

/// Runs a generated script as array task 7_0 with stand-ins for the runner (prints, then
/// waits for SIGTERM and exits 1) and `scontrol` (reports `state`, logs requeues), sends it
/// SIGTERM as SLURM does before the time limit, and returns its output and the requeue log.
private func runScriptWithStandIns(state: String, restartCount: Int) throws -> (status: Int32, output: String, requeues: String) {
    let scratch = try SweepFixtures.makeScratch()
    defer { try? FileManager.default.removeItem(at: scratch) }
    let bin = scratch.appendingPathComponent("bin")
    try FileManager.default.createDirectory(at: bin, withIntermediateDirectories: true)
    let standIns = [
        "runner": "#!/bin/sh\ntrap 'echo runner got TERM; exit 1' TERM\necho runner started \"$@\"\nwhile :; do sleep 0.05; done\n",
        "scontrol": "#!/bin/sh\ncase $1 in\n  show) echo \"JobId=8 ArrayJobId=7 ArrayTaskId=0 JobState=\(state) Reason=None\" ;;\n  requeue) echo \"requeue $2\" >> '\(scratch.path)/requeues' ;;\nesac\n",
    ]
    for (name, text) in standIns {
        try text.write(to: bin.appendingPathComponent(name), atomically: true, encoding: .utf8)
        try FileManager.default.setAttributes([.posixPermissions: 0o755], ofItemAtPath: bin.appendingPathComponent(name).path)
    }
    let array = try #require(try SlurmArray.make(plan: try tinyPlan(), runner: bin.appendingPathComponent("runner").path,
                                                 workingDirectory: scratch.path, options: SlurmOptions(maxRequeues: 2)))
    let script = scratch.appendingPathComponent("sweep.sbatch")
    try array.script.write(to: script, atomically: true, encoding: .utf8)
    // Process starts children with its thread's signal mask, SIGTERM included; slurmstepd
    // starts the script with none blocked, so unblock them (perl is part of every Debian).
    let launched = try SweepFixtures.launch("/bin/sh", ["-c", """
        SLURM_ARRAY_JOB_ID=7 SLURM_ARRAY_TASK_ID=0 SLURM_RESTART_COUNT=\(restartCount) PATH='\(bin.path)':$PATH \
        exec perl -MPOSIX -e 'sigprocmask(SIG_SETMASK, POSIX::SigSet->new) or die; exec @ARGV or die' bash '\(script.path)'
        """], scratch: scratch)
    let deadline = Date().addingTimeInterval(10)
    while !launched.stdout.contains("runner started"), Date() < deadline { Thread.sleep(forTimeInterval: 0.05) }
    launched.process.terminate()
    // Never hang the suite: a script that ignores SIGTERM is killed after 10 s (and fails below).
    let killDeadline = Date().addingTimeInterval(10)
    while launched.process.isRunning, Date() < killDeadline { Thread.sleep(forTimeInterval: 0.05) }
    if launched.process.isRunning { kill(launched.process.processIdentifier, SIGKILL) }
    let finished = launched.wait()
    let requeues = (try? String(contentsOf: scratch.appendingPathComponent("requeues"), encoding: .utf8)) ?? ""
    return (finished.status, finished.stdout, requeues)
}

@Test func slurmTaskForwardsSIGTERMOnceAndRequeuesItself() throws {
    let result = try runScriptWithStandIns(state: "RUNNING", restartCount: 0)
    #expect(result.status == 1)
    #expect(result.output.hasPrefix("seqrec: task 7_0, attempt 1 on "))
    #expect(result.output.contains("runner started run Tests/Fixtures/sweep/tiny-grid.yaml --point cell=lstm,seed=1 "))
    #expect(result.output.components(separatedBy: "runner got TERM").count == 2)
    #expect(result.output.hasSuffix("""
        seqrec: stopped by SIGTERM (time limit or scancel --signal=TERM): requeueing 7_0
        seqrec: task 7_0: runner exited 1

        """))
    #expect(result.requeues == "requeue 7_0\n")
}

@Test func slurmTaskIsNotRequeuedWhenCancelledOrRequeuedTooOften() throws {
    let cancelled = try runScriptWithStandIns(state: "CANCELLED", restartCount: 0)
    #expect(cancelled.output.contains("seqrec: stopped by SIGTERM, job CANCELLED: not requeued\n"))
    #expect(cancelled.requeues.isEmpty)
    let tooOften = try runScriptWithStandIns(state: "RUNNING", restartCount: 2)
    #expect(tooOften.output.contains("attempt 3 on "))
    #expect(tooOften.output.contains("seqrec: stopped by SIGTERM: not requeued, already requeued 2 times (max 2)\n"))
    #expect(tooOften.requeues.isEmpty)
}

/// An `#SBATCH` line's arguments as sbatch reads them (`_get_argument` in sbatch's opt.c):
/// split at blanks, quotes (`"` or `'`) and backslashes removed, an unquoted `#` ends the line.
private func sbatchArguments(_ line: Substring) -> [String] {
    var arguments: [String] = []
    var rest = line.dropFirst("#SBATCH".count)[...]
    while true {
        rest = rest.drop { $0 == " " || $0 == "\t" }
        guard !rest.isEmpty else { return arguments }
        var argument = ""
        var quote: Character?
        var escaped = false
        while let character = rest.first, quote != nil || !(character == " " || character == "\t") {
            rest = rest.dropFirst()
            if escaped {
                escaped = false
            } else if character == "\\" {
                escaped = true
                continue
            } else if let open = quote {
                if character == open {
                    quote = nil
                    continue
                }
            } else if character == "\"" || character == "'" {
                quote = character
                continue
            } else if character == "#" {
                return arguments + [argument]
            }
            argument.append(character)
        }
        arguments.append(argument)
    }
}

@Test func slurmDirectivesReadBackAsTheirPaths() throws {
    let output = "/data/my runs/100%#1 \"q\" 'a'/%A%j"
    let plan = try SweepPlanner.plan(paths: [SweepFixtures.tinyGrid],
                                     overrides: ["output.dir=\(output)", "training.threads=2"], force: false)
    let workdir = "/home/me/seqrec work"
    let array = try #require(try SlurmArray.make(plan: plan, runner: "bin/runner", workingDirectory: workdir,
                                                 options: SlurmOptions()))
    let lines = array.script.split(separator: "\n")
    let output_ = try #require(lines.first { $0.hasPrefix("#SBATCH --output=") })
    let chdir = try #require(lines.first { $0.hasPrefix("#SBATCH --chdir=") })
    // `%` of the directory doubled (sbatch's filename patterns), the task pattern kept.
    let logDirectory = output.replacingOccurrences(of: "%", with: "%%")
    #expect(sbatchArguments(output_) == ["--output=\(logDirectory)/slurm/%A_%a.log"])
    #expect(sbatchArguments(chdir) == ["--chdir=\(workdir)"])
    #expect(array.logDirectory == output + "/slurm")

    let slashed = try SweepPlanner.plan(paths: [SweepFixtures.tinyGrid],
                                        overrides: ["output.dir=/data/a\\b", "training.threads=2"], force: false)
    #expect(throws: SlurmArrayError.self) {
        try SlurmArray.make(plan: slashed, runner: "bin/runner", workingDirectory: "/w", options: SlurmOptions())
    }
    do {
        _ = try SlurmArray.make(plan: slashed, runner: "bin/runner", workingDirectory: "/w", options: SlurmOptions())
    } catch {
        #expect(error.description == "runner plan --format slurm: expected a log directory without a backslash (sbatch would not replace %A_%a in the log name), found '/data/a\\b/slurm'")
    }
}
