// `runner plan FILE --format slurm` on a tune file: the search's trials as one job array,
// task i running `runner tune FILE --trial N --jobs J` for the i-th trial that has not ended.
// The tasks coordinate through the search directory (Tune/: records, waits, the lock), so J
// is both the array's throttle (`%J`) and the search's --jobs: at most J trials run at once,
// and trial n is sampled from the trials n - J and below.

import Foundation

extension SlurmArray {
    /// The search's --jobs when the plan does not give --max-parallel.
    public static let defaultTuneJobs = 4

    /// `trials`: the trial numbers to run (those not ended); nil when there are none.
    public static func makeTune(_ file: TuneFile, trials: [Int], jobs: Int, runner: String, workingDirectory: String,
                                options: SlurmOptions) throws(SlurmArrayError) -> SlurmArray? {
        guard !trials.isEmpty else { return nil }
        var options = options
        options.maxParallel = jobs
        try validate(options)
        var notes: [String] = []
        let runnerPath = absolute(runner, in: workingDirectory)
        let cpus: Int
        if let requested = options.cpusPerTask {
            cpus = requested
            if file.base.training.threads == nil {
                notes.append("training.threads is unset: each trial trains with its task's SLURM_CPUS_PER_TASK (\(requested)) threads")
            }
        } else if let threads = file.base.training.threads {
            cpus = threads
        } else {
            throw SlurmArrayError(message: "expected training.threads in the tune file (it sets --cpus-per-task), found it unset; pass --set training.threads=N, or --cpus-per-task N")
        }
        let configPath = absolute(file.path, in: workingDirectory)
        let commands = trials.map { number in
            ShellQuoting.command([runnerPath, "tune", configPath, "--trial", "\(number)", "--jobs", "\(jobs)"]
                + file.overrides.flatMap { ["--set", $0] })
        }
        let directory = (absolute(file.base.output.dir, in: workingDirectory) as NSString).appendingPathComponent("slurm")
        let allowed = Set("abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789._-")
        return try make(commands: commands,
                        summary: "search \(file.base.name): \(trials.count) trial\(trials.count == 1 ? "" : "s") to run, \(jobs) at a time",
                        jobName: "seqrec-" + String(file.base.name.map { allowed.contains($0) ? $0 : "_" }), directory: directory,
                        cpus: cpus, runnerPath: runnerPath, workingDirectory: workingDirectory, options: options, notes: notes)
    }
}
