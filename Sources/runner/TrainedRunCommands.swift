// `runner recommend` and `runner evaluate`: use a trained run's saved model (TrainedRun).
// Results on stdout (recommend) or in the run directory (evaluate); errors on stderr,
// exit 2 for a missing, corrupt or foreign checkpoint, unknown ids or bad flags; exit 1 when
// evaluate finds a run training in the directory.

import ArgumentParser
import Foundation
import SeqRec

extension RunnerCommand {
    struct Recommend: ParsableCommand {
        static let configuration = CommandConfiguration(
            abstract: "Top-k items from a trained run's saved model, for users or ad-hoc histories.",
            discussion: """
            Each user's input is their whole history in the dataset (its last split.max_length items); \
            items the user has seen (the whole history, also items older than the input) are left out unless --include-seen. Ids are the dataset's raw ids. \
            One line per query on stdout: JSON lines {"user", "items", "scores"} or CSV user,rank,item,score.
            """)

        @Argument(help: ArgumentHelp("A run directory (holding model.safetensors and ids.json).", valueName: "run-dir"),
                  completion: .directory)
        var runDirectory: String

        @Option(name: .long, help: ArgumentHelp("Raw user ids, comma-separated.", valueName: "id,id,..."))
        var users: String?

        @Flag(name: .long, help: "Every user of the dataset.")
        var allUsers = false

        @Option(name: .long, help: ArgumentHelp("An ad-hoc history of raw item ids, oldest first.", valueName: "id,id,..."))
        var history: String?

        // Unconditional: `-k -1` is the value -1 (refused below), not a missing value.
        @Option(name: .customShort("k"), parsing: .unconditional, help: "Items per query (at most the catalogue's items).")
        var k = 10

        @Option(help: "Output format.")
        var format: RecommendationFormat = .jsonl

        @Flag(name: .long, help: "Also rank items that are already in the input history.")
        var includeSeen = false

        func run() throws {
            let sources = [users != nil, allUsers, history != nil].filter { $0 }.count
            guard sources == 1 else { fail("give exactly one of --users, --all-users, --history") }
            guard k >= 1 else { fail("-k must be at least 1, got \(k)") }
            var listed: [String] = []
            do {
                if let users { listed = try Self.ids(users, flag: "--users") }
                if let history { listed = try Self.ids(history, flag: "--history") }
            } catch {
                fail(error.message)
            }
            do {
                let trained = try TrainedRun(directory: WorkingDirectory.url(runDirectory))
                guard k <= trained.itemCount else {
                    fail("-k must be at most \(trained.itemCount) (the items of the run's catalogue), got \(k)")
                }
                if let holder = RunDirectoryLock.holder(of: runDirectory) {
                    writeToStandardError("note: a run (\(holder.pid.map { "pid \($0)" } ?? "pid unknown")) is training again in "
                        + "\(runDirectory.escapedForTerminal): these come from its finished result"
                        + "\(trained.modelEpoch.map { " (epoch \($0))" } ?? ""), not from that attempt\n")
                }
                let queries: [TrainedRun.Query]
                if allUsers {
                    queries = trained.allUsers.map { .user($0) }
                } else if users != nil {
                    queries = listed.map { .user($0) }
                } else {
                    queries = [.history(listed)]
                }
                let results = try trained.recommend(queries, k: k, includeSeen: includeSeen)
                var out = format == .csv ? "user,rank,item,score\n" : ""
                out.reserveCapacity(results.count * k * 24)
                for result in results { out += format.render(result) }
                writeToStandardOutput(out)
            } catch {
                fail(error)
            }
        }

        struct IdListError: Error {
            var message: String
        }

        /// The ids of a comma-separated list; an empty list or an empty id in it is a usage
        /// error (it would otherwise drop a query without a word).
        static func ids(_ list: String, flag: String) throws(IdListError) -> [String] {
            let ids = list.split(separator: ",", omittingEmptySubsequences: false).map { $0.trimmingCharacters(in: .whitespaces) }
            if ids.allSatisfy(\.isEmpty) {
                throw IdListError(message: "\(flag): expected comma-separated ids, found '\(list)'")
            }
            if let empty = ids.firstIndex(where: \.isEmpty) {
                throw IdListError(message: "\(flag): expected an id at position \(empty + 1) of '\(list)', found an empty one")
            }
            return ids
        }
    }

    enum RecommendationFormat: String, ExpressibleByArgument, CaseIterable {
        case jsonl, csv

        func render(_ result: TrainedRun.Recommendation) -> String {
            switch self {
            case .jsonl:
                let user = result.user.map(Self.jsonString) ?? "null"
                let items = result.items.map(Self.jsonString).joined(separator: ",")
                let scores = result.scores.map { $0.isFinite ? "\($0)" : "null" }.joined(separator: ",")
                return "{\"user\":\(user),\"items\":[\(items)],\"scores\":[\(scores)]}\n"
            case .csv:
                let user = Self.csvField(result.user ?? "")
                return zip(result.items, result.scores).enumerated().map { rank, pair in
                    "\(user),\(rank + 1),\(Self.csvField(pair.0)),\(pair.1)\n"
                }.joined()
            }
        }

        static func jsonString(_ text: String) -> String {
            let data = (try? JSONEncoder().encode(text)) ?? Data("\"\"".utf8)
            return String(decoding: data, as: UTF8.self)
        }

        static func csvField(_ text: String) -> String {
            guard text.contains(where: { $0 == "," || $0 == "\"" || $0 == "\n" }) else { return text }
            return "\"" + text.replacingOccurrences(of: "\"", with: "\"\"") + "\""
        }
    }

    struct Evaluate: ParsableCommand {
        static let configuration = CommandConfiguration(
            abstract: "Score a trained run's saved model again under other evaluation settings; write evaluation-<hash>.json.",
            discussion: """
            Rebuilds the run's data and split, loads model.safetensors and scores the chosen split. \
            Only evaluation.* keys may be changed with --set, e.g. --set 'evaluation.candidates={sampled: 100}'. \
            The file (and its per-user sidecar) goes into the run directory and records the SHA-256 of the model \
            it scored; runner compare reads it while the run's model.safetensors is still that file. \
            A directory in which a run is still training (it holds the run's lock) is refused with exit 1.
            """)

        @Argument(help: ArgumentHelp("A run directory (holding model.safetensors and ids.json).", valueName: "run-dir"),
                  completion: .directory)
        var runDirectory: String

        @Option(name: .customLong("set"),
                help: ArgumentHelp("Override an evaluation key; repeatable.", valueName: "evaluation.key=value"))
        var overrides: [String] = []

        @Option(help: "The split to score.")
        var split: TrainedRun.SplitName = .test

        @Flag(name: .long, help: "Silence the summary on stderr.")
        var quiet = false

        func run() throws {
            do {
                // A run training in the directory holds its lock: say so before loading any data.
                if let holder = RunDirectoryLock.holder(of: runDirectory) {
                    throw TrainedRunError.directoryBusy(.held(lockPath: RunDirectoryLock.lockPath(in: runDirectory), pid: holder.pid))
                }
                let trained = try TrainedRun(directory: WorkingDirectory.url(runDirectory), overrides: overrides)
                let (url, evaluation) = try trained.evaluate(split: split)
                if !quiet {
                    let line = evaluation.metrics.metrics.sorted { $0.key < $1.key }
                        .map { String(format: "%@ %.4f", $0.key, $0.value) }.joined(separator: "  ")
                    writeToStandardError("\(split.rawValue) (\(evaluation.metrics.candidates)): \(line)\n")
                }
                writeToStandardOutput(url.path + "\n")
            } catch let error as TrainedRunError where error.isAboutTheDirectoryNow {
                failRun(error)
            } catch {
                fail(error)
            }
        }
    }
}

extension TrainedRun.SplitName: @retroactive ExpressibleByArgument {}

/// Prints `error` on stderr and exits 1: the run directory cannot be used now.
private func failRun(_ error: any Error) -> Never {
    writeToStandardError("error: \("\(error)".escapedForTerminal)\n")
    Foundation.exit(ExitStatus.runFailed)
}

/// Prints `message` on stderr and exits 2 (bad input: nothing was written).
private func fail(_ message: String) -> Never {
    writeToStandardError("error: \(message.escapedForTerminal)\n")
    Foundation.exit(ExitStatus.badConfig)
}

/// A config error (a bad `--set`) already reads `<origin>: error: <message>`, one line per
/// problem, as `runner validate` prints it; any other error gets the `error: ` prefix.
private func fail(_ error: any Error) -> Never {
    guard let configError = error as? ConfigError else { fail("\(error)") }
    writeToStandardError(configError.description.escapedForTerminalByLine + "\n")
    Foundation.exit(ExitStatus.badConfig)
}
