// `--set` flags are taken out of the command line before ArgumentParser parses it. Its
// parser removes each argument it consumes from an array, so parsing grows with the square
// of the argument count: 4,000 `--set` flags took 4 s, 20,000 over a minute. Here one pass
// collects them, in order, for the commands that take them; the config layer merges each
// once. What is left (files and other flags) goes to ArgumentParser as before.

import ArgumentParser

/// A command whose `--set` values come from `SetFlags` too.
protocol TakesSetFlags: ParsableCommand {
    var overrides: [String] { get set }
}

enum SetFlags {
    /// Subcommands with a `--set` option; a first argument that names no subcommand runs `run`.
    static let commandsWithSet: Set<String> = ["run", "validate", "plan", "sweep", "evaluate"]

    /// `arguments` (without the executable) split into what ArgumentParser parses and the
    /// `--set` values in order. `--set VALUE` and `--set=VALUE` are taken; a `--set` without
    /// a value, and everything after `--`, are left for ArgumentParser (and its messages).
    static func extract(_ arguments: [String], subcommands: [String]) -> (remaining: [String], values: [String]) {
        if let first = arguments.first, subcommands.contains(first), !commandsWithSet.contains(first) {
            return (arguments, [])
        }
        var remaining: [String] = []
        var values: [String] = []
        remaining.reserveCapacity(arguments.count)
        var index = 0
        while index < arguments.count {
            let argument = arguments[index]
            if argument == "--" {
                remaining += arguments[index...]
                break
            }
            if argument == "--set", index + 1 < arguments.count {
                values.append(arguments[index + 1])
                index += 2
                continue
            }
            if argument.hasPrefix("--set=") {
                values.append(String(argument.dropFirst("--set=".count)))
            } else {
                remaining.append(argument)
            }
            index += 1
        }
        return (remaining, values)
    }

    /// The parsed command with the extracted values in front of any it parsed itself.
    static func apply(_ values: [String], to command: any ParsableCommand) -> any ParsableCommand {
        guard !values.isEmpty, var taking = command as? any TakesSetFlags else { return command }
        taking.overrides = values + taking.overrides
        return taking
    }
}

/// A command whose `--set` flags live in its `ConfigOptions`.
protocol LoadsExperiments: TakesSetFlags {
    var config: ConfigOptions { get set }
}

extension LoadsExperiments {
    var overrides: [String] {
        get { config.overrides }
        set { config.overrides = newValue }
    }
}

extension RunnerCommand.Run: LoadsExperiments {}
extension RunnerCommand.Validate: LoadsExperiments {}
extension RunnerCommand.Plan: LoadsExperiments {}
extension RunnerCommand.Sweep: LoadsExperiments {}
extension RunnerCommand.Evaluate: TakesSetFlags {}
