import ArgumentParser
import CPUCheck
import Foundation
import SeqRec

// First, before any SeqRec code: refuse a CPU the haswell-compiled numeric code would
// crash on (this file and CPUCheck are compiled without those flags).
seqrec_require_supported_cpu("runner")
// Then the best BLAS kernels this CPU supports; may run this program again (BLASKernels.swift).
BLASKernels.useBestKernels(program: "runner")
// A point started by `runner sweep` goes when the sweep goes (SweepParent.swift).
dieWithSweepParent()

// Parses the command line and maps every outcome to the documented exit codes:
// 0 ok, 1 a run failed, 2 a bad config or bad usage (ArgumentParser's own usage errors
// would otherwise exit 64).
// `runner --version`: the release and the commit of the source tree it was built from, then
// the BLAS and its kernels.
if CommandLine.arguments.dropFirst() == ["--version"] {
    let git = Provenance.gitState(in: SeqRecVersion.sourceDirectory)
    print(SeqRecVersion.describe(commit: git.map { ($0.commit, $0.dirty) }))
    print(BLASKernels.current.summary)
    exit(0)
}

do {
    var command = try RunnerCommand.parseAsRoot()
    try command.run()
} catch let exitCode as ExitCode {
    exit(exitCode.rawValue)
} catch {
    if RunnerCommand.exitCode(for: error) == .success {
        RunnerCommand.exit(withError: error)  // --help, --version: print and exit 0
    }
    // The message may quote arguments: escaped line by line (the usage text spans lines).
    let message = RunnerCommand.fullMessage(for: error).split(separator: "\n", omittingEmptySubsequences: false)
        .map { String($0).escapedForTerminal }.joined(separator: "\n")
    FileHandle.standardError.write(Data((message + "\n").utf8))
    exit(ExitStatus.badConfig)
}
