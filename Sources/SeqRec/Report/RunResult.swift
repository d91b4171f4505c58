// A run directory's finished result, and how a new attempt replaces it without ever losing it.
//
// The result is report.json with status `ok` plus the files its `files` map names with their
// SHA-256 (model.safetensors, ids.json, per_user.tsv). A run into a directory that holds no
// finished result writes there directly, as it always did (report.json last). A run into a
// directory that does hold one (a rerun of the same config, or another config with
// `--replace`) *stages* its attempt in the hidden subdirectory `.attempt/`: its training state,
// model, ids, per-user file and report all go there, so a failed, diverged, interrupted or
// killed attempt (a full disk, Ctrl-C, kill -9) leaves the finished result as it was, and the
// next attempt of the same config continues from `.attempt/state.safetensors`.
//
// An attempt that ends `ok` writes `.attempt/report.json` last: that file, with status ok, is
// the commit. Then `promote` moves the result into place, under the run directory's lock:
// removes the files of the old result that the new one does not have (and the evaluations of
// the old model), renames the staged files over the old ones, renames the staged report last,
// and removes `.attempt/`. A kill in the middle leaves `.attempt/report.json` ok, and every step
// is safe to do again, so the next process that finds it finishes the move (roll-forward): the
// next run (under its lock), `runner recommend` / `evaluate` and `runner compare` (when no live
// process holds the lock). `runner plan` only reads: it counts the committed report as the
// directory's result. A reader that still finds a file that does not match the SHA-256 its
// report records refuses it (`verify`): files of two runs are never used together.

import Foundation
#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif

/// A run directory's files that do not belong together, or a directory without a finished run.
package enum RunResultError: Error, Equatable, CustomStringConvertible {
    /// No report.json: the run has not finished.
    case noReport(directory: String)
    /// The report's status is not ok.
    case notFinished(report: String, status: RunStatus)
    /// The file's SHA-256 is not the one the report records.
    case notOfThisReport(file: String, report: String, found: String, recorded: String)
    /// The report names a file that is not there.
    case missing(file: String, report: String)
    /// The report lists its files, and this one is not among them.
    case notRecorded(file: String, report: String)
    /// The model file was trained under another config than the report's.
    case otherConfig(file: String, report: String, found: String, recorded: String)
    /// Promoting a committed attempt failed (the system's reason).
    case cannotPromote(directory: String, reason: String)

    package var description: String {
        switch self {
        case .noReport(let directory):
            return "\(directory): no report.json, so no finished run (a run that has not ended ok leaves only unfinished weights)"
        case .notFinished(let report, let status):
            return "\(report): the run ended \(status.rawValue), not ok: its files are not a finished result (run it again)"
        case .notOfThisReport(let file, let report, let found, let recorded):
            return "\(file): does not belong to \(report) (SHA-256 \(found.prefix(12)), the report records \(recorded.prefix(12))): "
                + "the files of two runs are mixed; run the experiment again"
        case .missing(let file, let report):
            return "\(file): missing, though \(report) records it"
        case .notRecorded(let file, let report):
            return "\(file): not a file of the finished run \(report) describes (it records no such file); run the experiment again"
        case .otherConfig(let file, let report, let found, let recorded):
            return "\(file): trained under another config than \(report) records (config hash \(found.prefix(12)), the report's \(recorded.prefix(12)))"
        case .cannotPromote(let directory, let reason):
            return "cannot move the finished attempt in '\(directory)/\(RunResult.attemptDirectory)' into place: \(reason)"
        }
    }
}

package enum RunResult {
    /// Where an attempt over a finished result keeps its files until it has one of its own.
    package static let attemptDirectory = ".attempt"
    /// The files a result may have besides its report (RunFiles.ids, RunFiles.model,
    /// ReportWriter.perUserFileName; a test checks they agree), and the training state.
    static let resultFiles = ["ids.json", "model.safetensors", "per_user.tsv"]
    static let stateFile = "state.safetensors"

    package static func attemptURL(of directory: URL) -> URL {
        directory.appendingPathComponent(attemptDirectory, isDirectory: true)
    }

    /// `.attempt/report.json` when it reads back with status ok: an attempt that finished and
    /// waits to be moved into place.
    package static func committedAttempt(in directory: URL) -> RunReport? {
        let url = attemptURL(of: directory).appendingPathComponent(ReportWriter.reportFileName)
        guard FileManager.default.fileExists(atPath: url.path), let report = try? ReportReader.read(url),
              report.status == .ok else { return nil }
        return report
    }

    /// The directory's finished run: a committed attempt's report, else report.json when its
    /// status is ok; nil when there is none.
    package static func finishedReport(in directory: URL) -> RunReport? {
        if let committed = committedAttempt(in: directory) { return committed }
        let url = directory.appendingPathComponent(ReportWriter.reportFileName)
        guard let report = try? ReportReader.read(url), report.status == .ok else { return nil }
        return report
    }

    // MARK: Replacing a finished run

    /// Why a run of `config` (hash `configHash`) may not write into `directory` without
    /// `--replace`: it holds the finished run of another config. The message lists the keys
    /// that differ (`model.hidden_size: 50 -> 128`). Nil when there is no finished run there or
    /// it is of this config (a rerun of the same config replaces it only once it is ok itself).
    /// `output.dir` does not count: a finished run moved or copied to another directory is the
    /// same experiment there.
    package static func replacementProblem(directory: String, config: JSONValue, configHash: String) -> String? {
        guard let finished = finishedReport(in: WorkingDirectory.url(directory)), finished.configHash != configHash else {
            return nil
        }
        let changes = differences(from: withoutOutputDirectory(finished.config), to: withoutOutputDirectory(config))
        guard !changes.isEmpty else { return nil }
        let shown = changes.prefix(maxShownDifferences).joined(separator: ", ")
            + (changes.count > maxShownDifferences ? ", and \(changes.count - maxShownDifferences) more" : "")
        return "'\(directory)' holds the finished run (status ok) of another config, which this run would replace; "
            + "it differs in \(shown). Pass --replace to replace it, or set another output.dir to keep both"
    }

    private static func withoutOutputDirectory(_ config: JSONValue) -> JSONValue {
        guard case .object(var top) = config, case .object(var output)? = top["output"] else { return config }
        output["dir"] = nil
        top["output"] = .object(output)
        return .object(top)
    }

    static let maxShownDifferences = 8

    /// The key paths whose values differ, `path: old -> new`, in key order (`(none)` for a key
    /// one side lacks). Objects are compared key by key, anything else as a whole.
    package static func differences(from old: JSONValue, to new: JSONValue, path: String = "") -> [String] {
        if case .object(let before) = old, case .object(let after) = new {
            return Set(before.keys).union(after.keys).sorted().flatMap { key -> [String] in
                let child = path.isEmpty ? key : "\(path).\(key)"
                switch (before[key], after[key]) {
                case (let left?, let right?): return differences(from: left, to: right, path: child)
                case (let left?, nil): return ["\(child): \(display(left)) -> (none)"]
                case (nil, let right?): return ["\(child): (none) -> \(display(right))"]
                case (nil, nil): return []
                }
            }
        }
        return old == new ? [] : ["\(path.isEmpty ? "config" : path): \(display(old)) -> \(display(new))"]
    }

    /// A value as a person reads it: `gru`, `128`, `null`, `["hr@10","ndcg@10"]`.
    static func display(_ value: JSONValue) -> String {
        switch value {
        case .string(let text): return text.isEmpty ? "\"\"" : text
        case .integer(let number): return String(number)
        case .unsigned(let number): return String(number)
        case .number(let number): return "\(number)"
        case .bool(let flag): return String(flag)
        case .null: return "null"
        case .array, .object:
            let data = (try? value.canonicalData()) ?? Data()
            return String(decoding: data, as: UTF8.self)
        }
    }

    // MARK: Promotion

    /// Moves the committed attempt of `directory` into place (nothing to do without one). The
    /// caller holds the directory's lock. Safe to repeat after a kill at any step.
    package static func promote(in directory: URL) throws(RunResultError) {
        guard let staged = committedAttempt(in: directory) else { return }
        let attempt = attemptURL(of: directory)
        let fileManager = FileManager.default
        func fail(_ reason: String) -> RunResultError { .cannotPromote(directory: directory.path, reason: reason) }
        // 1. The attempt's training state is not needed any more.
        unlink(attempt.appendingPathComponent(stateFile).path)
        // 2. The old result's files the new one does not have, its training state, and the
        //    evaluations of the old model (they scored weights that are about to go).
        let kept = Set((staged.files ?? [:]).keys)
        let top = (try? fileManager.contentsOfDirectory(atPath: directory.path)) ?? []
        for name in top where !kept.contains(name) {
            let isEvaluation = name.hasPrefix("evaluation-") && (name.hasSuffix(".json") || name.hasSuffix(".tsv"))
            guard resultFiles.contains(name) || name == stateFile || isEvaluation || TensorBoardLog.isEventFile(name) else { continue }
            if unlink(directory.appendingPathComponent(name).path) != 0, errno != ENOENT {
                throw fail("cannot remove '\(name)': \(String(cString: strerror(errno)))")
            }
        }
        // 3. The staged files over the old ones (a file already moved by an earlier try is not
        //    in .attempt any more), 4. the report last.
        for name in kept.sorted() + [ReportWriter.reportFileName] {
            let source = attempt.appendingPathComponent(name).path
            guard fileManager.fileExists(atPath: source) else { continue }
            CrashHook.promoting(name)
            if rename(source, directory.appendingPathComponent(name).path) != 0 {
                throw fail("cannot rename '\(name)': \(String(cString: strerror(errno)))")
            }
        }
        DirectorySync.flush(directory.path)
        // 5. What is left of the attempt (temporary files of dead writers, nothing else).
        try? fileManager.removeItem(at: attempt)
    }

    /// For readers (`recommend`, `evaluate`, `compare`): finishes the move of a committed
    /// attempt that a killed run left, when no live process holds the directory's lock.
    package static func recover(_ directory: URL) {
        guard committedAttempt(in: directory) != nil,
              let lock = try? RunDirectoryLock.acquire(directory: directory.path) else { return }
        defer { lock.release() }
        try? promote(in: directory)
    }

    /// Removes an attempt that was never committed (its result is gone or was replaced).
    package static func discardAttempt(in directory: URL) {
        let attempt = attemptURL(of: directory)
        if FileManager.default.fileExists(atPath: attempt.path), committedAttempt(in: directory) == nil {
            try? FileManager.default.removeItem(at: attempt)
        }
    }

    // MARK: Readers

    /// The finished report of `directory` for a reader that uses its files: report.json must
    /// exist and say ok.
    package static func finishedReportForReading(in directory: URL) throws -> RunReport {
        let url = directory.appendingPathComponent(ReportWriter.reportFileName)
        guard FileManager.default.fileExists(atPath: url.path) else { throw RunResultError.noReport(directory: directory.path) }
        let report = try ReportReader.read(url)
        guard report.status == .ok else { throw RunResultError.notFinished(report: url.path, status: report.status) }
        return report
    }

    /// Checks that `name` in `directory` is the file `report` records (by SHA-256); a file the
    /// report does not list is refused when `required`. Reports written before the `files`
    /// map existed record nothing, and any file passes. `sha256` is the hash of the bytes a
    /// caller already read and parsed (then those are checked, and the file is not read again).
    package static func verify(_ name: String, in directory: URL, report: RunReport, required: Bool = false,
                              sha256: String? = nil) throws(RunResultError) {
        guard let files = report.files else { return }
        let url = directory.appendingPathComponent(name)
        let reportPath = directory.appendingPathComponent(ReportWriter.reportFileName).path
        guard let recorded = files[name] else {
            if required { throw .notRecorded(file: url.path, report: reportPath) }
            return
        }
        guard let found = sha256 ?? (try? SHA256.hex(ofFileAt: url.path)) else { throw .missing(file: url.path, report: reportPath) }
        guard found == recorded else {
            throw .notOfThisReport(file: url.path, report: reportPath, found: found, recorded: recorded)
        }
    }

    /// SHA-256 of a file just written, for the report's `files` map.
    package static func hash(of url: URL) throws -> String {
        do {
            return try SHA256.hex(ofFileAt: url.path)
        } catch {
            throw ReportError.cannotRead(path: url.path, reason: AtomicFile.describe(error))
        }
    }
}
