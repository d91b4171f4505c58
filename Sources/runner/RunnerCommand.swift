import ArgumentParser
import Foundation
import SeqRec

struct RunnerCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "runner",
        abstract: "Run sequence-recommendation experiments described in YAML.",
        discussion: """
            runner [run] FILE... [--set key.path=value]... [--quiet]
            runner validate FILE... [--set key.path=value]... [--format yaml|json]

            Each FILE is an experiment (keys: docs/config-reference.md). A file
            with a `grid:` key runs once per combination of its values.

            EXAMPLES:
              runner experiments/lstm50.yaml
              runner experiments/gru50.yaml experiments/rnn50.yaml --quiet
              runner experiments/lstm50.yaml --set training.epochs=5
              runner validate experiments/*.yaml
              runner validate experiments/lstm50.yaml --format json

            EXIT CODES:
              0  every run finished with status ok (validate: all files valid)
              1  a run failed, diverged or was interrupted
              2  a bad config or bad usage (nothing is run or written)
            """,
        subcommands: [Run.self, Validate.self, Plan.self, Sweep.self, Compare.self],
        defaultSubcommand: Run.self
    )
}

/// Flags shared by commands that load experiments.
struct ConfigOptions: ParsableArguments {
    @Argument(help: ArgumentHelp("Experiment YAML files.", valueName: "file"))
    var files: [String]

    @Option(name: .customLong("set"),
            help: ArgumentHelp("Override a key after `extends:`; repeatable (e.g. --set model.hidden_size=128).",
                               valueName: "key.path=value"))
    var overrides: [String] = []
}

func writeToStandardError(_ text: String) {
    FileHandle.standardError.write(Data(text.utf8))
}

extension RunnerCommand {
    struct Run: ParsableCommand {
        static let configuration = CommandConfiguration(
            abstract: "Run experiments; write <output.dir>/report.json (default).")

        @OptionGroup var config: ConfigOptions

        @Flag(name: .long, help: "Silence progress output.")
        var quiet = false

        func run() throws {
            // Every file is validated before anything runs, so a bad file writes nothing.
            let runs: [PreparedRun]
            switch ConfigCommandLine.prepareRuns(paths: config.files, overrides: config.overrides) {
            case .success(let prepared): runs = prepared
            case .failure(let error):
                writeToStandardError(error.description + "\n")
                throw ExitCode(ExitStatus.badConfig)
            }
            var failed = false
            for run in runs {
                let outcome = ExperimentRunner.run(run.point.spec,
                                                   options: RunOptions(quiet: quiet, configPath: run.configPath))
                if outcome.exitCode != ExitStatus.ok {
                    failed = true
                    writeToStandardError("\(run.point.spec.name): \(outcome.status): \(outcome.message)\n")
                } else if !quiet {
                    print("\(run.point.spec.name): \(outcome.status) -> \(outcome.reportPath)")
                }
            }
            if failed { throw ExitCode(ExitStatus.runFailed) }
        }
    }

    struct Validate: ParsableCommand {
        static let configuration = CommandConfiguration(
            abstract: "Check files and print their resolved configuration.")

        @OptionGroup var config: ConfigOptions

        @Option(help: "Output format of the resolved configuration.")
        var format: ResolvedFormat = .yaml

        func run() throws {
            let outcome = ConfigCommandLine.validate(
                paths: config.files, overrides: config.overrides,
                format: format)
            print(outcome.output, terminator: "")
            writeToStandardError(outcome.errors)
            if outcome.exitCode != ExitStatus.ok { throw ExitCode(outcome.exitCode) }
        }
    }

    /// Reserved for later issues: parse anything, say so, exit 2.
    struct Plan: ParsableCommand {
        static let configuration = CommandConfiguration(abstract: "Show what a run or sweep would do (not yet).")
        @Argument(parsing: .allUnrecognized) var arguments: [String] = []
        func run() throws { try notYet("plan") }
    }

    struct Sweep: ParsableCommand {
        static let configuration = CommandConfiguration(abstract: "Run every point of a grid file (not yet).")
        @Argument(parsing: .allUnrecognized) var arguments: [String] = []
        func run() throws { try notYet("sweep") }
    }

    struct Compare: ParsableCommand {
        static let configuration = CommandConfiguration(abstract: "Compare reports of several runs (not yet).")
        @Argument(parsing: .allUnrecognized) var arguments: [String] = []
        func run() throws { try notYet("compare") }
    }
}

extension ResolvedFormat: ExpressibleByArgument {}

func notYet(_ command: String) throws -> Never {
    writeToStandardError("runner \(command): not yet implemented\n")
    throw ExitCode(ExitStatus.badConfig)
}
