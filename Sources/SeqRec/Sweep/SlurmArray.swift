// `runner plan --format slurm`: the pending points of a plan as one SLURM job array. Writes
// `<grid output dir>/slurm/sweep.sbatch` (SlurmTemplate, filled) and `sweep.plan` (the same
// commands, one per line); the array's task logs go to `<grid output dir>/slurm/%A_%a.log`.
// Paths in the script are absolute (runner, working directory, logs), so the script can be
// submitted from anywhere.

import Foundation

/// What the user can set about the array (the `runner plan` SLURM flags).
public struct SlurmOptions: Sendable, Equatable {
    /// `--partition`; nil: the cluster's default partition.
    public var partition: String?
    /// `--time`, in SLURM's format (`minutes`, `h:mm:ss`, `days-hh:mm:ss`, ...); nil: the partition's default.
    public var timeLimit: String?
    /// `--cpus-per-task`; nil: the largest `training.threads` of the pending points.
    public var cpusPerTask: Int?
    /// How many tasks run at once (`%N` in `--array`); nil: as many as the cluster allows.
    public var maxParallel: Int?
    /// Seconds before the time limit at which SLURM sends SIGTERM (`--signal=B:TERM@N`).
    public var signalGrace: Int
    /// How often a task stopped by SIGTERM requeues itself.
    public var maxRequeues: Int
    /// Extra `#SBATCH` lines, e.g. `--mem=8G` (written after the others, so they win).
    public var sbatchLines: [String]
    /// `--mem`, in sbatch's syntax (`8G`, `1500M`); nil: no `--mem` line (the caller passes
    /// the memory estimate; a `--mem` among `sbatchLines` replaces it).
    public var memory: String?

    public static let defaultSignalGrace = 120
    public static let defaultMaxRequeues = 5

    public init(partition: String? = nil, timeLimit: String? = nil, cpusPerTask: Int? = nil,
                maxParallel: Int? = nil, signalGrace: Int = SlurmOptions.defaultSignalGrace,
                maxRequeues: Int = SlurmOptions.defaultMaxRequeues, sbatchLines: [String] = [], memory: String? = nil) {
        self.partition = partition
        self.timeLimit = timeLimit
        self.cpusPerTask = cpusPerTask
        self.maxParallel = maxParallel
        self.signalGrace = signalGrace
        self.maxRequeues = maxRequeues
        self.sbatchLines = sbatchLines
        self.memory = memory
    }
}

public struct SlurmArrayError: Error, Sendable, CustomStringConvertible {
    package var message: String
    public var description: String { "runner plan --format slurm: \(message)" }
}

/// A filled job-array script and where it goes.
public struct SlurmArray: Sendable {
    /// Absolute path of the script (`.../slurm/sweep.sbatch`).
    public var scriptPath: String
    /// Absolute path of the plan lines (`.../slurm/sweep.plan`).
    public var planPath: String
    /// Absolute directory of the task logs.
    public var logDirectory: String
    public var script: String
    /// The commands, one per line: task i runs line i (0-based).
    package var planText: String
    public var taskCount: Int
    /// What to type to submit it.
    public var submitCommand: String { ShellQuoting.command(["sbatch", scriptPath]) }
    /// Things worth saying on stderr (not errors).
    public var notes: [String]

    package static let scriptFileName = "sweep.sbatch"
    package static let planFileName = "sweep.plan"
    package static let logPattern = "%A_%a.log"

    /// The array for the pending points of `plan`, or nil when nothing is pending.
    /// `runner` and relative output dirs are resolved against `workingDirectory`, which is
    /// also the tasks' working directory (the plan's relative config paths resolve there).
    public static func make(plan: SweepPlan, runner: String, workingDirectory: String,
                            options: SlurmOptions) throws(SlurmArrayError) -> SlurmArray? {
        let pending = plan.pending
        guard !pending.isEmpty else { return nil }
        try validate(options)
        var notes: [String] = []

        let runnerPath = absolute(runner, in: workingDirectory)
        let threads = pending.map { $0.spec.training.threads }
        let cpus: Int
        if let requested = options.cpusPerTask {
            cpus = requested
            let unset = threads.filter { $0 == nil }.count
            if unset > 0 {
                notes.append("\(unset) point\(unset == 1 ? "" : "s") leave training.threads unset: each trains with its task's SLURM_CPUS_PER_TASK (\(requested)) threads")
            }
        } else if threads.allSatisfy({ $0 != nil }) {
            cpus = threads.compactMap { $0 }.max() ?? 1
        } else {
            throw SlurmArrayError(message: "expected training.threads on every point (it sets --cpus-per-task), found it unset; pass --set training.threads=N, or --cpus-per-task N")
        }

        let directory = (absolute(gridDirectory(of: pending), in: workingDirectory) as NSString)
            .appendingPathComponent("slurm")
        let commands = pending.map { PlanRendering.command($0, runner: runnerPath) }
        return try make(commands: commands, summary: PlanRendering.summary(plan), jobName: jobName(pending), directory: directory,
                        cpus: cpus, runnerPath: runnerPath, workingDirectory: workingDirectory, options: options, notes: notes)
    }

    /// The array running `commands` (task i runs command i; shell-quoted lines), with its
    /// script, plan and logs in `directory` (absolute).
    static func make(commands: [String], summary: String, jobName: String, directory: String, cpus: Int, runnerPath: String,
                     workingDirectory: String, options: SlurmOptions, notes: [String]) throws(SlurmArrayError) -> SlurmArray {
        var notes = notes
        let scriptPath = (directory as NSString).appendingPathComponent(scriptFileName)
        let planPath = (directory as NSString).appendingPathComponent(planFileName)
        if let bad = commands.first(where: { $0.contains("\n") || $0.contains("\r") }) {
            throw SlurmArrayError(message: "expected commands on one line each, found a line break in: \(bad)")
        }
        let cases = commands.enumerated().map { index, command in "  \(index)) point=(\(command)) ;;" }

        var fields: [String: String] = [
            "SUMMARY": summary,
            "SUBMIT": ShellQuoting.command(["sbatch", scriptPath]),
            "PLAN": planPath,
            "GRACE": String(options.signalGrace),
            "MAX_REQUEUES": String(options.maxRequeues),
            "JOB_NAME": jobName,
            "LAST_TASK": String(commands.count - 1),
            "THROTTLE": options.maxParallel.map { "%\($0)" } ?? "",
            "WORKDIR": try directive(workingDirectory, flag: "working directory"),
            "CPUS": String(cpus),
            "LOG": try directive(try logPath(in: directory), flag: "log path"),
            "CASES": cases.joined(separator: "\n"),
        ]
        var extra: [String] = []
        if let partition = options.partition { extra.append("--partition=\(partition)") }
        if let time = options.timeLimit { extra.append("--time=\(time)") }
        let lines = options.sbatchLines.map(normalizedLine)
        if let memory = options.memory, !lines.contains(where: setsMemory) { extra.append("--mem=\(memory)") }
        extra += lines
        fields["EXTRA_LINES"] = extra.map { "#SBATCH \($0)" }.joined(separator: "\n")

        if !FileManager.default.isExecutableFile(atPath: runnerPath) {
            notes.append("\(runnerPath) is not an executable file here; the tasks run it as given")
        }
        return SlurmArray(scriptPath: scriptPath, planPath: planPath, logDirectory: directory,
                          script: fill(SlurmTemplate.script, fields), planText: commands.map { $0 + "\n" }.joined(),
                          taskCount: commands.count, notes: notes)
    }

    /// Writes the script (executable), the plan and the log directory (sbatch does not create it).
    public func write() throws {
        let manager = FileManager.default
        try DirectoryCreation.create(logDirectory)  // its error names the part of the path in the way
        try Data(planText.utf8).write(to: URL(fileURLWithPath: planPath), options: .atomic)
        try Data(script.utf8).write(to: URL(fileURLWithPath: scriptPath), options: .atomic)
        try manager.setAttributes([.posixPermissions: 0o755], ofItemAtPath: scriptPath)
    }

    // MARK: - Pieces

    static func validate(_ options: SlurmOptions) throws(SlurmArrayError) {
        if let cpus = options.cpusPerTask, cpus < 1 {
            throw SlurmArrayError(message: "--cpus-per-task: expected at least 1, found \(cpus)")
        }
        if let cap = options.maxParallel, cap < 1 {
            throw SlurmArrayError(message: "--max-parallel: expected at least 1, found \(cap)")
        }
        guard (1...65535).contains(options.signalGrace) else {
            throw SlurmArrayError(message: "--signal-grace: expected 1 to 65535 seconds, found \(options.signalGrace)")
        }
        guard options.maxRequeues >= 0 else {
            throw SlurmArrayError(message: "--max-requeues: expected 0 or more, found \(options.maxRequeues)")
        }
        if let partition = options.partition,
           partition.isEmpty || partition.contains(where: { $0.isWhitespace || $0 == "#" }) {
            throw SlurmArrayError(message: "--partition: expected a partition name (or a comma-separated list), found '\(partition)'")
        }
        if let time = options.timeLimit {
            guard let seconds = SlurmTime.seconds(time) else {
                throw SlurmArrayError(message: "--time: expected minutes, minutes:seconds, hours:minutes:seconds, days-hours, days-hours:minutes, days-hours:minutes:seconds or UNLIMITED, found '\(time)'")
            }
            if seconds != SlurmTime.unlimited, seconds <= options.signalGrace {
                throw SlurmArrayError(message: "--time \(time) is \(seconds) s, not more than --signal-grace \(options.signalGrace) s: the warning would come before the task starts; lower --signal-grace")
            }
        }
        if let memory = options.memory, !isMemorySize(memory) {
            throw SlurmArrayError(message: "--mem: expected a size such as 8G, 1500M or 500000K, found '\(memory)'")
        }
        for line in options.sbatchLines {
            let normalized = normalizedLine(line)
            guard normalized.hasPrefix("-"), !normalized.contains(where: { $0 == "\n" || $0 == "\r" }) else {
                throw SlurmArrayError(message: "--sbatch-line: expected an sbatch option such as --mem=8G, found '\(line)'")
            }
        }
    }

    /// sbatch's `--mem` size: a whole number with an optional K, M (default), G or T suffix.
    static func isMemorySize(_ text: String) -> Bool {
        var digits = Substring(text)
        if let last = digits.last, "KMGTkmgt".contains(last) { digits = digits.dropLast() }
        return !digits.isEmpty && digits.count <= 12 && digits.allSatisfy { $0.isASCII && $0.isNumber }
    }

    /// An extra line that sets the job's memory, which replaces the estimate's `--mem` line.
    static func setsMemory(_ line: String) -> Bool {
        ["--mem=", "--mem ", "--mem-per-cpu", "--mem-per-gpu"].contains { line.hasPrefix($0) } || line == "--mem"
    }

    /// `#SBATCH --mem=8G` and `--mem=8G` both mean `--mem=8G`.
    static func normalizedLine(_ line: String) -> String {
        var text = line.trimmingCharacters(in: .whitespaces)
        if text.hasPrefix("#SBATCH") { text = String(text.dropFirst("#SBATCH".count)).trimmingCharacters(in: .whitespaces) }
        return text
    }

    /// A value for an `#SBATCH` line, written so that sbatch reads back exactly `value`. sbatch
    /// does not use a shell: it splits the line at blanks, ends it at an unquoted `#`, and
    /// removes quotes (`"` or `'`) and backslashes. A value holding any of those is written in
    /// double quotes with `"` and `\` escaped by a backslash; a line break cannot be written.
    static func directive(_ value: String, flag: String) throws(SlurmArrayError) -> String {
        if value.contains(where: { $0 == "\n" || $0 == "\r" }) {
            throw SlurmArrayError(message: "expected a \(flag) without line breaks, found '\(value)'")
        }
        guard value.contains(where: { $0.isWhitespace || $0 == "#" || $0 == "\"" || $0 == "'" || $0 == "\\" }) else {
            return value
        }
        return "\"" + value.replacingOccurrences(of: "\\", with: "\\\\").replacingOccurrences(of: "\"", with: "\\\"") + "\""
    }

    /// The task logs' `--output` pattern in `directory`. sbatch replaces `%A`, `%j`, ... in
    /// it, so a `%` of the directory is written `%%`; a backslash would turn every
    /// replacement off (`%A_%a` included), so a directory holding one is refused.
    static func logPath(in directory: String) throws(SlurmArrayError) -> String {
        if directory.contains("\\") {
            throw SlurmArrayError(message: "expected a log directory without a backslash (sbatch would not replace %A_%a in the log name), found '\(directory)'")
        }
        return (directory.replacingOccurrences(of: "%", with: "%%") as NSString).appendingPathComponent(logPattern)
    }

    /// The directory that holds every pending point's grid: a point's output dir minus its
    /// run name (a file without a grid: its output dir), and the common ancestor of those.
    static func gridDirectory(of points: [PlannedPoint]) -> String {
        let directories = points.map { point in
            point.point.varied.isEmpty ? point.outputDirectory
                : (point.outputDirectory as NSString).deletingLastPathComponent
        }
        let split = directories.map { ($0 as NSString).standardizingPath.split(separator: "/", omittingEmptySubsequences: false) }
        var common = split[0]
        for components in split.dropFirst() {
            var length = 0
            while length < min(common.count, components.count), common[length] == components[length] { length += 1 }
            common = Array(common.prefix(length))
        }
        let joined = common.joined(separator: "/")
        if joined.isEmpty { return split[0].first == "" ? "/" : "." }
        return joined
    }

    static func absolute(_ path: String, in directory: String) -> String {
        let joined = path.hasPrefix("/") ? path : (directory as NSString).appendingPathComponent(path)
        return (joined as NSString).standardizingPath
    }

    /// `seqrec-<experiment>` when all points come from one experiment name, else `seqrec-sweep`.
    static func jobName(_ points: [PlannedPoint]) -> String {
        let names = Set(points.map { String($0.spec.name.split(separator: "/").first ?? "sweep") })
        let base = names.count == 1 ? names.first! : "sweep"
        let allowed = Set("abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789._-")
        return "seqrec-" + String(base.map { allowed.contains($0) ? $0 : "_" })
    }

    /// Replaces each `{{NAME}}` of the template in one pass (values may contain braces).
    static func fill(_ template: String, _ fields: [String: String]) -> String {
        var text = ""
        var rest = Substring(template)
        while let open = rest.range(of: "{{") {
            text += rest[..<open.lowerBound]
            guard let close = rest[open.upperBound...].range(of: "}}"),
                  let value = fields[String(rest[open.upperBound..<close.lowerBound])] else {
                preconditionFailure("SlurmTemplate has a field SlurmArray does not fill")
            }
            text += value
            rest = rest[close.upperBound...]
            // An empty line of #SBATCH directives leaves no blank line behind.
            if value.isEmpty, text.hasSuffix("\n"), rest.hasPrefix("\n") { rest = rest.dropFirst() }
        }
        return text + rest
    }
}

/// SLURM's time-limit syntax (sbatch --time).
package enum SlurmTime {
    /// What `UNLIMITED`/`INFINITE` parse to.
    package static let unlimited = Int.max

    /// Seconds, or nil when `text` is not a SLURM time: `M`, `M:S`, `H:M:S`, `D-H`, `D-H:M`,
    /// `D-H:M:S`, `UNLIMITED`, `INFINITE`.
    package static func seconds(_ text: String) -> Int? {
        if ["UNLIMITED", "INFINITE"].contains(text.uppercased()) { return unlimited }
        var days = 0
        var rest = Substring(text)
        let hasDays = text.contains("-")
        if hasDays {
            let parts = text.split(separator: "-", omittingEmptySubsequences: false)
            guard parts.count == 2, let value = number(parts[0]) else { return nil }
            days = value
            rest = parts[1]
        }
        let fields = rest.split(separator: ":", omittingEmptySubsequences: false).map(number)
        guard !fields.contains(where: { $0 == nil }) else { return nil }
        let values = fields.map { $0! }
        let (hours, minutes, seconds): (Int, Int, Int)
        switch (hasDays, values.count) {
        case (false, 1): (hours, minutes, seconds) = (0, values[0], 0)
        case (false, 2): (hours, minutes, seconds) = (0, values[0], values[1])
        case (_, 3): (hours, minutes, seconds) = (values[0], values[1], values[2])
        case (true, 1): (hours, minutes, seconds) = (values[0], 0, 0)
        case (true, 2): (hours, minutes, seconds) = (values[0], values[1], 0)
        default: return nil
        }
        return ((days * 24 + hours) * 60 + minutes) * 60 + seconds
    }

    private static func number(_ text: Substring) -> Int? {
        guard !text.isEmpty, text.count <= 9, text.allSatisfy(\.isASCII), text.allSatisfy(\.isNumber) else { return nil }
        return Int(text)
    }
}
