// `runner tune FILE --jobs N`: starts trials in order, N child processes at a time, each
// `runner tune FILE --trial K` (TuneTrial), the same command a SLURM array task runs. Trials
// that have ended are kept; one with a record but no end (interrupted) runs again and
// resumes from its checkpoint. The pool stops starting trials when the budget is spent (a
// child finds it so and records nothing); a child that ends without ending its trial
// (killed, or unable to run) stops the search, since the trials above it would wait for it.

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
        }
        outcome.seconds = Date().timeIntervalSince(clock)
        return outcome
    }
}

extension TuneRunner {
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
