// `runner sweep`: runs the pending points of a plan, `jobs` runner processes at a time.
// Each child is the runner itself (`run FILE --point NAME ... --quiet`), so a point runs
// exactly as `runner plan` prints it. Points that share a dataset each load it in their own
// process; the download cache is shared safely because the data layer writes it to a
// temporary file and renames it into place (see DatasetVerifier).

import Foundation

/// One finished point.
public struct PointResult: Sendable {
    package var point: PlannedPoint
    /// The status its report records (`ok`, `failed`, `diverged`, `interrupted`), or
    /// `failed` when the child wrote no report.
    package var status: String
    package var termination: ChildTermination
    package var seconds: Double
    /// The first test metric of its report (`test ndcg@10 0.1017`), when it has one.
    package var headline: String? = nil

    package var succeeded: Bool { status == RunStatus.ok.rawValue && termination == .exited(0) }

    /// `ok            3.2s  results/cells/cell=gru,seed=2  test ndcg@10 0.1017`, plus how the
    /// child ended if it failed.
    public var line: String {
        let padded = status.padding(toLength: max(status.count, 12), withPad: " ", startingAt: 0)
        let time = String(format: "%7.1fs", seconds)
        return "\(padded)\(time)  \(point.outputDirectory)" + (headline.map { "  \($0)" } ?? "")
            + (succeeded ? "" : "  (\(termination))")
    }
}

public struct SweepOutcome: Sendable {
    public var results: [PointResult]
    /// Points left alone because they were done or another process was running them.
    public var skipped: Int
    /// Pending points never started because the sweep was interrupted.
    public var notStarted: Int
    /// The signal that stopped the sweep, if any.
    public var interruptedBy: Int32?

    public var failedCount: Int { results.filter { !$0.succeeded }.count }
    public var succeeded: Bool { failedCount == 0 && interruptedBy == nil }
}

public enum SweepRunner {
    /// How often the pool checks its children and the signal counter.
    static let pollInterval: useconds_t = 50_000

    /// Runs `plan.pending`; `finished` is called (on this thread) as each point ends. Each point
    /// prints its epoch lines (`run --epoch-lines`) when `epochLines`, nothing otherwise. Signals
    /// counted by `SweepSignals` (installed by the caller) are forwarded to the running
    /// points and stop the sweep from starting more. A point whose run directory another
    /// process has locked since the plan was made is not started (`skippedRunning`).
    public static func run(_ plan: SweepPlan, executable: String, jobs: Int, epochLines: Bool = false,
                           skippedRunning: (PlannedPoint, Int32?) -> Void = { _, _ in },
                           finished: (PointResult) -> Void) -> SweepOutcome {
        var queue = plan.pending[...]
        var running: [(child: ChildProcess, point: PlannedPoint, start: Date)] = []
        var results: [PointResult] = []
        var lateSkips = 0
        var forwarded = 0
        let alreadyReceived = SweepSignals.received

        while !queue.isEmpty || !running.isEmpty {
            let interrupted = SweepSignals.received > alreadyReceived
            if SweepSignals.received - alreadyReceived > forwarded {
                for entry in running { entry.child.send(SweepSignals.lastSignal) }
                forwarded = SweepSignals.received - alreadyReceived
            }
            while !interrupted, running.count < max(1, jobs), let point = queue.popFirst() {
                if let holder = RunDirectoryLock.holder(of: point.outputDirectory) {
                    lateSkips += 1
                    skippedRunning(point, holder.pid)
                    continue
                }
                let start = Date()
                do {
                    let child = try ChildProcess.spawn(executable: executable,
                                                       arguments: point.arguments + [epochLines ? "--epoch-lines" : "--quiet"])
                    running.append((child, point, start))
                } catch {
                    FileHandle.standardError.write(Data("\(point.spec.name): \(error)\n".utf8))
                    let result = PointResult(point: point, status: RunStatus.failed.rawValue,
                                             termination: .exited(-1), seconds: 0)
                    results.append(result)
                    finished(result)
                }
            }
            if interrupted && running.isEmpty { break }
            var stillRunning: [(child: ChildProcess, point: PlannedPoint, start: Date)] = []
            for entry in running {
                guard let termination = entry.child.poll() else {
                    stillRunning.append(entry)
                    continue
                }
                let recorded = recordedOutcome(of: entry.point, since: entry.start, termination: termination)
                let result = PointResult(point: entry.point, status: recorded.status, termination: termination,
                                         seconds: Date().timeIntervalSince(entry.start), headline: recorded.headline)
                results.append(result)
                finished(result)
            }
            running = stillRunning
            if !running.isEmpty { usleep(pollInterval) }
        }
        let received = SweepSignals.received > alreadyReceived
        return SweepOutcome(results: results, skipped: plan.points.count - plan.pending.count + lateSkips, notStarted: queue.count,
                            interruptedBy: received ? SweepSignals.lastSignal : nil)
    }

    /// The status in the report this child wrote (`failed` if it wrote none) and its first
    /// test metric.
    static func recordedOutcome(of point: PlannedPoint, since start: Date,
                                termination: ChildTermination) -> (status: String, headline: String?) {
        let url = WorkingDirectory.url(point.reportPath)
        let written = (try? FileManager.default.attributesOfItem(atPath: url.path)[.modificationDate]) as? Date
        // Reports from earlier runs say nothing about this one (mtime has whole-second or
        // finer resolution; allow for a coarse file system).
        guard let written, written.timeIntervalSince(start) > -1,
              let report = try? ReportReader.read(url), report.configHash == point.spec.configHash else {
            return (termination == .exited(0) ? RunStatus.ok.rawValue : RunStatus.failed.rawValue, nil)
        }
        let metric = point.spec.evaluation.metrics.first?.description
        let headline = metric.flatMap { name in report.test?.metrics[name].map { String(format: "test %@ %.4f", name, $0) } }
        return (report.status.rawValue, headline)
    }
}
