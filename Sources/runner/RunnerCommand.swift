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

            Each FILE is an experiment (keys: README.md, "Configuration reference"). A file
            with a `grid:` key runs once per combination of its values.

            EXAMPLES:
              runner experiments/lstm50.yaml
              runner experiments/gru50.yaml experiments/rnn50.yaml --quiet
              runner experiments/lstm50.yaml --set training.epochs=5
              runner validate experiments/*.yaml
              runner validate experiments/lstm50.yaml --format json
              runner compare results --output results
              runner data movielens-100k

            EXIT CODES:
              0  every run finished with status ok (validate: all files valid)
              1  a run failed, diverged or was interrupted
              2  a bad config or bad usage (nothing is run or written)
            """,
        subcommands: [Run.self, Validate.self, Plan.self, Sweep.self, Compare.self, DataCommand.self],
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
                    writeToStandardError("\(run.point.spec.name): \(outcome.status.rawValue): \(outcome.message)\n")
                    // Ctrl-C stops the whole batch, not just the current run.
                    if outcome.status == .interrupted { break }
                } else if !quiet, runs.count > 1 {
                    // ExperimentRunner reports each run; a one-line summary helps in a grid.
                    print("\(run.point.spec.name): \(outcome.status.rawValue) -> \(outcome.reportPath)")
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
        static let configuration = CommandConfiguration(
            abstract: "Compare reports: comparison.md/.csv tables with significance, and an HTML report.",
            discussion: """
                Reads every report.json under the given paths (directories are searched
                recursively), groups seeds of the same configuration, and runs paired tests
                (t-test, Wilcoxon signed-rank) between configurations that differ in one key.

                EXAMPLE:
                  runner compare results/cells --output results
                """)

        @Argument(help: ArgumentHelp("Report files or directories.", valueName: "path"))
        var paths: [String]

        @Option(help: ArgumentHelp("Directory for comparison.md, comparison.csv and report.html.", valueName: "dir"))
        var output = "results"

        @Flag(help: "Do not write the HTML report.")
        var noHTML = false

        func run() throws {
            let comparison: Comparison
            do {
                comparison = ComparisonBuilder.compare(try ComparisonBuilder.loadRuns(paths: paths))
            } catch {
                writeToStandardError("runner compare: \(error)\n")
                throw ExitCode(ExitStatus.badConfig)
            }
            let directory = URL(fileURLWithPath: output)
            let markdown = directory.appendingPathComponent("comparison.md")
            let html = noHTML ? nil : directory.appendingPathComponent("report.html")
            try ComparisonWriter.write(comparison, markdownTo: markdown,
                                       csvTo: directory.appendingPathComponent("comparison.csv"), htmlTo: html)
            print(comparison.markdown(), terminator: "")
            writeToStandardError("wrote \(markdown.path), comparison.csv\(html == nil ? "" : ", report.html")\n")
        }
    }

    struct DataCommand: ParsableCommand {
        static let configuration = CommandConfiguration(
            commandName: "data",
            abstract: "Download and verify a built-in dataset into the data cache (what `make data` runs).")

        @Argument(help: "Built-in dataset name.")
        var name = "movielens-100k"

        @Option(help: ArgumentHelp("Cache directory (default: $SEQREC_DATA_DIR, else data/).", valueName: "dir"))
        var cacheDir: String?

        func run() throws {
            do {
                let url = try DatasetLoader.acquire(
                    builtin: name, cacheDirectory: DatasetLoader.cacheDirectory(configured: cacheDir),
                    log: { writeToStandardError($0 + "\n") })
                print(url.path)
            } catch {
                writeToStandardError("runner data: \(error)\n")
                throw ExitCode(ExitStatus.runFailed)
            }
        }
    }
}

extension ResolvedFormat: ExpressibleByArgument {}

func notYet(_ command: String) throws -> Never {
    writeToStandardError("runner \(command): not yet implemented\n")
    throw ExitCode(ExitStatus.badConfig)
}
