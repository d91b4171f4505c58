// The skip rule shared by `runner plan`, `runner sweep` and `make sweep`: a point is running
// when a live process holds its run directory's lock (RunDirectoryLock); otherwise it is done
// when its report.json reads back with status `ok` and the config hash of the point's
// resolved config. Anything else (no report, a failed/diverged/interrupted run, a report
// that does not parse, a different config) leaves the point pending. Running points are
// neither run nor counted as done.

import Foundation

/// Why a point still has to run.
public enum PendingReason: Sendable, Equatable {
    /// No report.json yet.
    case missing
    /// The last run ended with this status (failed, diverged, interrupted).
    case notOK(RunStatus)
    /// The report exists but cannot be read (the reader's message).
    case unreadable(String)
    /// The report is from another configuration (its recorded hash).
    case configChanged(recordedHash: String)
    /// `--force` was given.
    case forced
}

public enum PointState: Sendable, Equatable {
    case done
    case pending(PendingReason)
    /// Another process (this pid, if its lock file says) holds the point's run-directory lock.
    case running(pid: Int32?)

    package var isDone: Bool { self == .done }

    package var isPending: Bool {
        if case .pending = self { return true }
        return false
    }

    /// For listings: `done`, `running (pid N)`, or one word for a pending point: `missing`,
    /// `failed`, `diverged`, `interrupted`, `unreadable`, `changed` or `forced`.
    public var label: String {
        switch self {
        case .done: return "done"
        case .running(let pid): return "running (\(pid.map { "pid \($0)" } ?? "pid unknown"))"
        case .pending(.missing): return "missing"
        case .pending(.notOK(let status)): return status.rawValue
        case .pending(.unreadable): return "unreadable"
        case .pending(.configChanged): return "changed"
        case .pending(.forced): return "forced"
        }
    }
}

package enum SkipRule {
    /// `<output.dir>/report.json`.
    package static func reportURL(for spec: ExperimentSpec) -> URL {
        WorkingDirectory.url(spec.output.dir).appendingPathComponent(ReportWriter.reportFileName)
    }

    /// Running, done or pending, from the lock and the report on disk; `force` makes every
    /// point that is not running pending.
    package static func state(of spec: ExperimentSpec, force: Bool = false) -> PointState {
        if let holder = RunDirectoryLock.holder(of: spec.output.dir) { return .running(pid: holder.pid) }
        if force { return .pending(.forced) }
        let url = reportURL(for: spec)
        let report: RunReport
        if let committed = RunResult.committedAttempt(in: url.deletingLastPathComponent()) {
            // A finished attempt not yet moved into place (its run was killed while moving
            // it) is the directory's result; the next reader or run finishes the move.
            report = committed
        } else {
            guard FileManager.default.fileExists(atPath: url.path) else { return .pending(.missing) }
            do {
                report = try ReportReader.read(url)
            } catch {
                return .pending(.unreadable("\(error)"))
            }
        }
        guard report.status == .ok else { return .pending(.notOK(report.status)) }
        guard report.configHash == spec.configHash else {
            return .pending(.configChanged(recordedHash: report.configHash))
        }
        return .done
    }
}

extension PlannedPoint {
    /// The state as listings show it; a pending point whose output directory holds a saved
    /// training state of its config adds what the run will do with it, by the run's own check
    /// (TrainingStateFile): `interrupted, resumable at epoch 4`, or `interrupted, saved state
    /// unusable` for one the run would refuse (it then needs `--restart`). The state of an
    /// attempt staged over a finished run of another config counts too.
    package var listingLabel: String {
        guard !state.isDone, case .pending(let reason) = state, reason != .forced else { return state.label }
        let directory = WorkingDirectory.url(spec.output.dir)
        for candidate in [directory, RunResult.attemptURL(of: directory)] {
            switch TrainingStateFile.inspect(in: candidate, spec: spec) {
            case .none: continue
            case .resumable(let epoch): return "\(state.label), resumable at epoch \(epoch)"
            case .unusable: return "\(state.label), saved state unusable"
            }
        }
        return state.label
    }
}
