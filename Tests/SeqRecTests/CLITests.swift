import Foundation
import Testing
@testable import SeqRec
@testable import SeqRecCore
@testable import SeqRecNumerics

// The `runner` CLI: through the built binary (.build/debug/runner, built by
// `swift build --build-tests`) for exit codes and help text, and through the library
// (`ConfigCommandLine`) for what `validate` prints.

private struct RunnerResult {
    var status: Int32
    var stdout: String
    var stderr: String
}

private let runnerIsBuilt = FileManager.default.isExecutableFile(atPath: ConfigFixtures.runnerBinary.path)

private func runRunner(_ arguments: [String], in directory: URL = ConfigFixtures.repositoryRoot,
                       environment extra: [String: String] = [:]) throws -> RunnerResult {
    let scratch = FileManager.default.temporaryDirectory.appendingPathComponent("seqrec-cli-\(UUID().uuidString)")
    try FileManager.default.createDirectory(at: scratch, withIntermediateDirectories: true)
    defer { try? FileManager.default.removeItem(at: scratch) }
    let stdoutURL = scratch.appendingPathComponent("stdout"), stderrURL = scratch.appendingPathComponent("stderr")
    _ = FileManager.default.createFile(atPath: stdoutURL.path, contents: nil)
    _ = FileManager.default.createFile(atPath: stderrURL.path, contents: nil)
    let process = Process()
    process.executableURL = ConfigFixtures.runnerBinary
    process.arguments = arguments
    process.currentDirectoryURL = directory
    var environment = ProcessInfo.processInfo.environment
    environment["COLUMNS"] = "80"
    environment.merge(extra) { $1 }
    process.environment = environment
    let stdoutHandle = try FileHandle(forWritingTo: stdoutURL), stderrHandle = try FileHandle(forWritingTo: stderrURL)
    process.standardOutput = stdoutHandle
    process.standardError = stderrHandle
    try process.run()
    process.waitUntilExit()
    try stdoutHandle.close()
    try stderrHandle.close()
    return RunnerResult(status: process.terminationStatus,
                        stdout: ConfigFixtures.read(stdoutURL), stderr: ConfigFixtures.read(stderrURL))
}

@Test(.enabled(if: runnerIsBuilt)) func helpTextMatchesSnapshot() throws {
    let result = try runRunner(["--help"])
    #expect(result.status == 0)
    let snapshot = ConfigFixtures.fixtures.appendingPathComponent("cli/help.txt")
    if ConfigFixtures.updating {
        try result.stdout.write(to: snapshot, atomically: true, encoding: .utf8)
    }
    #expect(result.stdout == ConfigFixtures.read(snapshot))
    #expect(result.stdout.contains("EXAMPLES:") && result.stdout.contains("EXIT CODES:"))
}

@Test(.enabled(if: runnerIsBuilt)) func validateAcceptsEveryExperiment() throws {
    let files = ConfigFixtures.yamlFiles(in: ConfigFixtures.experiments).map { "experiments/\($0.lastPathComponent)" }
    let result = try runRunner(["validate"] + files)
    #expect(result.status == 0)
    #expect(result.stderr.isEmpty)
    #expect(result.stdout.contains("# experiments/lstm50.yaml\n# config hash: "))
    #expect(result.stdout.contains("# experiments/cells.yaml [cell=rnn,seed=3]"))
}

@Test(.enabled(if: runnerIsBuilt)) func validatePrintsJSON() throws {
    let result = try runRunner(["validate", "experiments/lstm50.yaml", "--format", "json", "--set", "model.hidden_size=128"])
    #expect(result.status == 0)
    let object = try #require(try JSONSerialization.jsonObject(with: Data(result.stdout.utf8)) as? [String: Any])
    let model = try #require(object["model"] as? [String: Any])
    #expect(model["hidden_size"] as? Int == 128)
}

@Test(.enabled(if: runnerIsBuilt)) func validateRejectsABadConfigWithExitCodeTwo() throws {
    let result = try runRunner(["validate", "bad-configs/multiple-errors.yaml"], in: ConfigFixtures.fixtures)
    #expect(result.status == 2)
    #expect(result.stdout.isEmpty)
    #expect(result.stderr == ConfigFixtures.read(ConfigFixtures.badConfigs.appendingPathComponent("multiple-errors.expected")))
}

@Test(.enabled(if: runnerIsBuilt)) func badSetFlagNamesTheFlag() throws {
    let result = try runRunner(["validate", "experiments/lstm50.yaml", "--set", "model.hidden_size=abc"])
    #expect(result.status == 2)
    #expect(result.stderr == "--set model.hidden_size=abc: error: model.hidden_size: expected a positive integer, found 'abc'\n")
}

@Test(.enabled(if: runnerIsBuilt)) func usageErrorsExitWithTwo() throws {
    let unknownOption = try runRunner(["validate", "experiments/lstm50.yaml", "--bogus"])
    #expect(unknownOption.status == 2)
    #expect(unknownOption.stderr.contains("Unknown option '--bogus'"))
    let noFiles = try runRunner([])
    #expect(noFiles.status == 2)
    let badFormat = try runRunner(["validate", "experiments/lstm50.yaml", "--format", "toml"])
    #expect(badFormat.status == 2)
}

@Test(.enabled(if: runnerIsBuilt)) func runWithABadConfigRunsNothingAndWritesNothing() throws {
    let directory = FileManager.default.temporaryDirectory.appendingPathComponent("seqrec-run-\(UUID().uuidString)")
    try FileManager.default.createDirectory(at: directory, withIntermediateDirectories: true)
    defer { try? FileManager.default.removeItem(at: directory) }
    let good = ConfigFixtures.experiments.appendingPathComponent("lstm50.yaml").path
    let bad = ConfigFixtures.badConfigs.appendingPathComponent("hidden-size-zero.yaml").path
    for arguments in [[good, bad], ["run", good, bad], [good, "--set", "training.epochs=0"]] {
        let result = try runRunner(arguments, in: directory)
        #expect(result.status == 2, "\(arguments)")
        #expect(result.stderr.contains("error:"))
        #expect(try FileManager.default.contentsOfDirectory(atPath: directory.path).isEmpty)
    }
}

// MARK: - Through the library

@Test func validateOutcomeForGoodAndBadFiles() throws {
    let good = ConfigFixtures.experiments.appendingPathComponent("gru50.yaml").path
    let outcome = ConfigCommandLine.validate(paths: [good], overrides: [], format: .yaml)
    #expect(outcome.exitCode == ExitStatus.ok && outcome.errors.isEmpty)
    #expect(outcome.output.hasPrefix("# \(good)\n# config hash: "))
    let reloaded = try ConfigLoader.load(path: ConfigFixtures.temporaryFile(outcome.output, name: "gru50.yaml"))
    #expect(reloaded == (try ConfigLoader.load(path: good)))

    let bad = ConfigFixtures.badConfigs.appendingPathComponent("unknown-cell.yaml").path
    let mixed = ConfigCommandLine.validate(paths: [good, bad], overrides: [], format: .yaml)
    #expect(mixed.exitCode == ExitStatus.badConfig)
    #expect(mixed.errors.hasPrefix("\(bad):2:9: error: model.cell: unknown cell 'lstn'"))
}

@Test func validateJSONListsEveryGridPoint() throws {
    let cells = ConfigFixtures.experiments.appendingPathComponent("cells.yaml").path
    let outcome = ConfigCommandLine.validate(paths: [cells], overrides: [], format: .json)
    #expect(outcome.exitCode == ExitStatus.ok)
    let list = try #require(try JSONSerialization.jsonObject(with: Data(outcome.output.utf8)) as? [[String: Any]])
    #expect(list.count == 9)
    #expect(list.compactMap { $0["seed"] as? Int } == [1, 2, 3, 1, 2, 3, 1, 2, 3])
}

@Test func prepareRunsReportsEveryBadFile() {
    let first = ConfigFixtures.badConfigs.appendingPathComponent("hidden-size-zero.yaml").path
    let second = ConfigFixtures.badConfigs.appendingPathComponent("dropout-one.yaml").path
    guard case .failure(let error) = ConfigCommandLine.prepareRuns(paths: [first, second], overrides: []) else {
        Issue.record("bad files were accepted")
        return
    }
    #expect(error.diagnostics.count == 2)
    #expect(error.diagnostics.map(\.origin) == [first, second])
}

@Test(.enabled(if: runnerIsBuilt)) func versionNamesTheReleaseAndTheSourceCommit() throws {
    let result = try runRunner(["--version"])
    #expect(result.status == 0 && result.stderr.isEmpty)
    // The commit the runner was built from: HEAD, or an ancestor when commits came after the build.
    let prefix = "seqrec \(SeqRecVersion.number) (commit "
    #expect(result.stdout.hasPrefix(prefix), "\(result.stdout)")
    let built = String(result.stdout.dropFirst(prefix.count).prefix(12))
    #expect(CommandOutput.run("git", ["-C", ConfigFixtures.repositoryRoot.path, "merge-base", "--is-ancestor", built, "HEAD"]) != nil,
            "\(built) is not HEAD or an ancestor of it")
    let lines = result.stdout.split(separator: "\n", omittingEmptySubsequences: false)
    #expect(lines.count == 4 && lines[0].hasSuffix("; source \(ConfigFixtures.repositoryRoot.standardizedFileURL.path))"), "\(result.stdout)")
    // Then the BLAS and its kernels (BLASKernelChoiceTests checks which), then seqrec's own kernels.
    #expect(lines.count == 4 && lines[1].hasPrefix("BLAS: ") && lines[3].isEmpty, "\(result.stdout)")
    #expect(lines.count == 4 && lines[2] == Substring(KernelDispatch.current.summary), "\(result.stdout)")
    // Every report records the release too.
    #expect(Provenance.capture(threads: 1).seqrecVersion == SeqRecVersion.number)
}

/// SEQREC_KERNELS picks seqrec's kernels; a path this CPU cannot run, or no path at all, is a
/// usage error (exit 2) that names the variable, before any command runs.
@Test(.enabled(if: runnerIsBuilt)) func theKernelOverrideIsHonouredOrRefused() throws {
    let portable = try runRunner(["--version"], environment: ["SEQREC_KERNELS": "portable"])
    #expect(portable.status == 0 && portable.stdout.contains("\nKernels: portable, "), "\(portable.stdout)")
    #expect(portable.stdout.contains("(chosen by user SEQREC_KERNELS)"), "\(portable.stdout)")
    let unknown = try runRunner(["--version"], environment: ["SEQREC_KERNELS": "avx9"])
    #expect(unknown.status == 2 && unknown.stdout.isEmpty)
    #expect(unknown.stderr.hasPrefix("runner: SEQREC_KERNELS=avx9: unknown kernel path; expected one of "), "\(unknown.stderr)")
    // A path this CPU lacks the features for (on an AVX-512 machine every path runs).
    if let missing = KernelDispatch.builtPaths.first(where: { !KernelDispatch.missingFeatures(for: $0, on: .thisMachine).isEmpty }) {
        let refused = try runRunner(["validate", "experiments/lstm50.yaml"], environment: ["SEQREC_KERNELS": missing.rawValue])
        #expect(refused.status == 2 && refused.stderr.contains("this CPU lacks "), "\(refused.stderr)")
    }
}

/// The commit is the build's: `--version` asks no git when it runs (without git on the PATH,
/// or from a copy of the binary far from its source, it says the same).
@Test(.enabled(if: runnerIsBuilt)) func versionIsRecordedAtBuildTime() throws {
    let scratch = try SweepFixtures.makeScratch()
    defer { try? FileManager.default.removeItem(at: scratch) }
    let copy = scratch.appendingPathComponent("runner")
    try FileManager.default.copyItem(at: ConfigFixtures.runnerBinary, to: copy)
    let normal = try runRunner(["--version"])
    let withoutGit = try SweepFixtures.launch(copy.path, ["--version"], scratch: scratch, in: scratch,
                                              environment: ["PATH": scratch.path]).wait()
    #expect(withoutGit.status == 0)
    #expect(withoutGit.stdout == normal.stdout)
    #expect(normal.stdout.contains("(commit "))
}

@Test(.enabled(if: runnerIsBuilt)) func recommendAndEvaluateRefuseBadUsageWithExitTwo() throws {
    let missing = FileManager.default.temporaryDirectory.appendingPathComponent("seqrec-no-run-\(UUID().uuidString)").path
    let noSource = try runRunner(["recommend", missing])
    #expect(noSource.status == 2 && noSource.stderr == "error: give exactly one of --users, --all-users, --history\n")
    let badK = try runRunner(["recommend", missing, "--all-users", "-k", "0"])
    #expect(badK.status == 2 && badK.stderr == "error: -k must be at least 1, got 0\n")
    let noModel = try runRunner(["recommend", missing, "--all-users"])
    #expect(noModel.status == 2 && noModel.stderr == "error: \(missing)/model.safetensors: no model checkpoint (the file does not exist)\n")
    let notEvaluation = try runRunner(["evaluate", missing, "--set", "training.epochs=3"])
    #expect(notEvaluation.status == 2)
    #expect(notEvaluation.stderr.hasPrefix("error: \(missing)/model.safetensors: no model checkpoint") && notEvaluation.stdout.isEmpty)
}

/// A first argument one typo away from a command, and no file, is named as a misspelled
/// command; a word far from every command is still read as a file.
@Test(.enabled(if: runnerIsBuilt)) func aMisspelledCommandIsSuggested() throws {
    let typo = try runRunner(["runn", "experiments/lstm50.yaml"])
    #expect(typo.status == 2)
    #expect(typo.stderr == "error: 'runn' is neither a command nor a file (did you mean 'runner run'?); `runner --help` lists the commands\n")
    let evaluate = try runRunner(["evalute", "results/x"])
    #expect(evaluate.stderr.hasPrefix("error: 'evalute' is neither a command nor a file (did you mean 'runner evaluate'?)"))
    let file = try runRunner(["lstm50"])
    #expect(file.status == 2 && file.stderr == "lstm50: error: cannot read the file: it does not exist\n", "\(file.stderr)")
}

/// TAB in bash, as a user presses it: the generated script is sourced and `_runner` asked for
/// the words at the cursor in a directory with experiment files, another file and a run
/// directory. Experiment files complete where `runner FILE...` takes them, run directories
/// where `recommend` takes one.
@Test(.enabled(if: runnerIsBuilt && FileManager.default.isExecutableFile(atPath: "/bin/bash")))
func bashCompletesExperimentFilesAndRunDirectories() throws {
    let scratch = try SweepFixtures.makeScratch()
    defer { try? FileManager.default.removeItem(at: scratch) }
    let script = try runRunner(["--generate-completion-script", "bash"])
    #expect(script.status == 0)
    try script.stdout.write(to: scratch.appendingPathComponent("runner.bash"), atomically: true, encoding: .utf8)
    for file in ["a.yaml", "b.yml", "notes.txt"] {
        try "".write(to: scratch.appendingPathComponent(file), atomically: true, encoding: .utf8)
    }
    try FileManager.default.createDirectory(at: scratch.appendingPathComponent("results/run1"), withIntermediateDirectories: true)
    let driver = """
        cd "$1" && source ./runner.bash
        complete_words() {
            COMP_WORDS=("$@"); COMP_CWORD=$(( $# - 1 )); COMP_LINE="$*"; COMP_POINT=${#COMP_LINE}; COMPREPLY=()
            _runner runner "${COMP_WORDS[COMP_CWORD]}" "${COMP_WORDS[COMP_CWORD - 1]}"
            printf '%s\\n' "${COMPREPLY[@]}" | sort | tr '\\n' ' '; echo
        }
        complete_words runner ''
        complete_words runner a.yaml ''
        complete_words runner recommend ''
        complete_words runner validate ''
        """
    let result = try SweepFixtures.launch("/bin/bash", ["-c", driver, "bash", scratch.path], scratch: scratch).wait()
    #expect(result.status == 0, "\(result.stderr)")
    let lines = result.stdout.split(separator: "\n").map { Set($0.split(separator: " ").map(String.init)) }
    try #require(lines.count == 4, "\(result.stdout)")
    #expect(lines[0].isSuperset(of: ["a.yaml", "b.yml", "results", "run", "validate", "recommend"]) && !lines[0].contains("notes.txt"))
    #expect(lines[1].isSuperset(of: ["a.yaml", "b.yml", "results"]) && !lines[1].contains("run"))
    #expect(lines[2] == ["results"])
    #expect(lines[3].isSuperset(of: ["a.yaml", "b.yml", "results"]) && !lines[3].contains("notes.txt"))
}
