// `runner tune FILE --jobs N`: starts trials in order, N child processes at a time, each
// `runner tune FILE --trial K` (TuneTrial), the same command a SLURM array task runs. Trials
// that have ended are kept; one with a record but no end (interrupted) runs again and
// resumes from its checkpoint. The pool stops starting trials when the budget is spent (a
// child finds it so and records nothing). A child that ends without ending its trial
// (killed by a signal, or exiting non-zero) fails that trial, as Optuna does, and the search
// goes on: the trials above it would otherwise wait for it, and a rerun would retry a trial
// that kills its process every time. Only a child that could not start its trial (nothing
// recorded, or another process holds it) stops the search.

import Foundation

public struct TuneOutcome: Sendable {
    /// Trials that ended in this run, in the order they ended.
    package var ended: [TrialRecord]
    /// Trials that had ended before this run.
    package var kept: [TrialRecord]
    public var summary: SearchSummary?
    /// Why the search stopped before its budget was spent, if it did.
    public var problem: String?
    public var interruptedBy: Int32?
    public var seconds: Double

    public var succeeded: Bool { problem == nil && interruptedBy == nil }
}

public enum TuneRunner {
    static let pollInterval: useconds_t = 50_000

    /// `childArguments(k)`: the arguments of trial k's process (after the executable).
    public static func run(_ file: TuneFile, jobs: Int, executable: String, childArguments: (Int) -> [String],
                           trialEnded: (TrialRecord, _ kept: Bool) -> Void) -> TuneOutcome {
        let clock = Date()
        let settings = TuneSettings(file.tune)
        let directory = SearchDirectory(path: file.base.output.dir)
        var outcome = TuneOutcome(ended: [], kept: [], summary: nil, problem: nil, interruptedBy: nil, seconds: 0)
        do {
            try directory.claim(SearchIdentity(tune: file.tune.canonicalText, baseConfigHash: file.base.configHash, jobs: jobs))
        } catch {
            outcome.problem = error.description
            return outcome
        }
        let lock: RunDirectoryLock
        do {
            lock = try RunDirectoryLock.acquire(directory: directory.path)
        } catch {
            outcome.problem = "cannot run the search in '\(directory.path)': \(error)"
            return outcome
        }
        defer { lock.release() }

        let limit = min(file.tune.trials ?? TuneSpec.maxTrials, TuneSpec.maxTrials)
        var next = 0
        var startMore = true
        var running: [(child: ChildProcess, number: Int)] = []
        var forwarded = 0
        let alreadyReceived = SweepSignals.received
        func stopAll(_ reason: String) {
            if outcome.problem == nil { outcome.problem = reason }
            startMore = false
            for entry in running { entry.child.send(SIGTERM) }
        }
        while startMore || !running.isEmpty {
            let received = SweepSignals.received - alreadyReceived
            if received > forwarded {
                for entry in running { entry.child.send(SweepSignals.lastSignal) }
                forwarded = received
                startMore = false
                outcome.interruptedBy = SweepSignals.lastSignal
            }
            while startMore, running.count < max(jobs, 1) {
                guard next < limit else { startMore = false; break }
                if let record = directory.record(next), record.state.hasEnded {
                    outcome.kept.append(record)
                    trialEnded(record, true)
                    next += 1
                    continue
                }
                do {
                    running.append((try ChildProcess.spawn(executable: executable, arguments: childArguments(next)), next))
                } catch {
                    stopAll("\(error)")
                    break
                }
                next += 1
            }
            var stillRunning: [(child: ChildProcess, number: Int)] = []
            for entry in running {
                guard let termination = entry.child.poll() else {
                    stillRunning.append(entry)
                    continue
                }
                let record = directory.record(entry.number)
                if let record, record.state.hasEnded {
                    outcome.ended.append(record)
                    trialEnded(record, false)
                } else if record == nil, termination == .exited(0) {
                    startMore = false  // the budget is spent
                } else if outcome.interruptedBy == nil, outcome.problem == nil, let record,
                          RunDirectoryLock.holder(of: directory.trialPath(entry.number)) == nil {
                    // Killed (out of memory, a crash) or stopped by a signal not from us: as
                    // Optuna fails such a trial, it is failed, not retried, and the trials
                    // above it (which may wait for it) go on.
                    do {
                        let failed = try recordFailure(record, termination: termination, file: file,
                                                       settings: settings, directory: directory)
                        outcome.ended.append(failed)
                        trialEnded(failed, false)
                    } catch {
                        stopAll("cannot record trial \(entry.number) as failed: \(error)")
                    }
                } else if outcome.interruptedBy == nil {
                    stopAll("trial \(entry.number) ended without a result (\(termination)); run `runner tune \(file.path)` again to continue the search")
                }
            }
            running = stillRunning
            if !running.isEmpty || startMore { usleep(pollInterval) }
        }
        let records = directory.records()
        if !records.isEmpty {
            outcome.summary = SearchResults.summary(file, settings: settings, records: records)
            do {
                try directory.withLock { try SearchResults.write(file, settings: settings, directory: directory) }
            } catch {
                if outcome.problem == nil { outcome.problem = "cannot write the results: \(error)" }
            }
            if outcome.problem == nil, outcome.interruptedBy == nil, records.allSatisfy({ $0.state == .failed }) {
                outcome.problem = "every trial failed (\(records.count) of \(records.count)), so there are no best settings "
                    + "and no \(SearchDirectory.bestFile); each trial's message is above and in "
                    + "\(directory.path)/\(SearchDirectory.resultsFile)"
            }
        }
        outcome.seconds = Date().timeIntervalSince(clock)
        return outcome
    }
}

extension TuneRunner {
    /// Records trial `record`, whose process ended (`termination`) before the trial did, as
    /// failed, with the epochs it completed, and refreshes the results.
    static func recordFailure(_ record: TrialRecord, termination: ChildTermination, file: TuneFile,
                              settings: TuneSettings, directory: SearchDirectory) throws -> TrialRecord {
        var failed = record
        failed.state = .failed
        failed.processEnd = termination.description
        failed.epochsUsed = record.lastEpoch
        failed.message = "its process ended (\(termination)) before the trial did, after \(record.lastEpoch) "
            + "epoch\(record.lastEpoch == 1 ? "" : "s"); its run is in \(directory.trialPath(record.number))"
        try directory.withLock {
            try directory.write(failed)
            try SearchResults.write(file, settings: settings, directory: directory)
        }
        return failed
    }

    /// Records the search's identity in a new search directory, or refuses one holding a
    /// search of another tune file, experiment or --jobs: the message, or nil.
    public static func identityProblem(_ file: TuneFile, jobs: Int) -> String? {
        do {
            try SearchDirectory(path: file.base.output.dir)
                .claim(SearchIdentity(tune: file.tune.canonicalText, baseConfigHash: file.base.configHash, jobs: jobs))
            return nil
        } catch {
            return error.description
        }
    }
}
