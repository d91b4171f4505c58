// The README's five-minute tour runs as written: every `swift run -c release runner ...`
// line of its shell blocks is executed, in order, with the built runner, in a scratch
// directory whose experiments/lstm50.yaml, pop.yaml and markov.yaml extend the shipped ones
// with small MovieLens-format data (users 1-240, so the tour's user ids exist) and one epoch.
// A changed flag, file or subcommand in the tour fails here.

import Foundation
import Testing
@testable import SeqRec
@testable import SeqRecCore
@testable import SeqRecNumerics

/// The tour's runner command lines, in order, as argument lists (shell words).
func readmeTourCommands() throws -> [[String]] {
    let readme = try String(contentsOf: ConfigFixtures.repositoryRoot.appendingPathComponent("README.md"), encoding: .utf8)
    let start = try #require(readme.range(of: "## A five-minute tour"))
    let rest = readme[start.upperBound...]
    let tour = rest[..<(rest.range(of: "\n## ")?.lowerBound ?? rest.endIndex)]
    let prefix = "swift run -c release runner "
    return tour.split(separator: "\n").map { $0.trimmingCharacters(in: .whitespaces) }
        .filter { $0.hasPrefix(prefix) }
        .map { SweepFixtures.shellWords(String($0.dropFirst(prefix.count).split(separator: "#", maxSplits: 1)[0])) }
}

@Test(.enabled(if: SweepFixtures.runnerIsBuilt)) func readmeTourRunsAsWritten() throws {
    let commands = try readmeTourCommands()
    #expect(commands.count >= 8, "the tour lost its commands: \(commands)")
    let scratch = FileManager.default.temporaryDirectory.appendingPathComponent("seqrec-tour-\(UUID().uuidString)")
    let experiments = scratch.appendingPathComponent("experiments")
    try FileManager.default.createDirectory(at: experiments, withIntermediateDirectories: true)
    defer { try? FileManager.default.removeItem(at: scratch) }
    // 240 users x 14 interactions over 120 items, MovieLens u.data format (user, item, rating,
    // time): more items than the tour's 100 sampled negatives.
    var random = SeededGenerator(seed: 3)
    var lines: [String] = []
    for user in 1...240 {
        var item = 1 + random.nextInt(below: 120)
        for step in 0..<14 {
            item = (item + 1 + random.nextInt(below: 3)) % 120 + 1
            lines.append("\(user)\t\(item)\t\(1 + random.nextInt(below: 5))\t\(1_000_000 + user * 100 + step)")
        }
    }
    try (lines.joined(separator: "\n") + "\n").write(to: scratch.appendingPathComponent("u.data"), atomically: true, encoding: .utf8)
    let shipped = ConfigFixtures.experiments.path
    let small = """
    dataset: {path: ../u.data, format: movielens, min_user_interactions: 5}
    model: {embedding_size: 8, hidden_size: 8}
    training: {epochs: 1, batch_size: 128}

    """
    for name in ["lstm50", "pop", "markov"] {
        try "extends: \(shipped)/\(name).yaml\n\(name == "lstm50" ? small : "dataset: {path: ../u.data, format: movielens}\n")"
            .write(to: experiments.appendingPathComponent("\(name).yaml"), atomically: true, encoding: .utf8)
    }
    try String(contentsOf: ConfigFixtures.experiments.appendingPathComponent("cells.yaml"), encoding: .utf8)
        .write(to: experiments.appendingPathComponent("cells.yaml"), atomically: true, encoding: .utf8)

    for arguments in commands {
        let result = try SweepFixtures.runner(arguments, scratch: scratch, in: scratch)
        #expect(result.status == 0, "runner \(arguments.joined(separator: " ")) exited \(result.status):\n\(result.stderr)")
        if arguments.first == "recommend" {
            let text = result.stdout
            #expect(text.contains("{\"user\":\"196\",\"items\":[") && text.contains("{\"user\":\"186\",\"items\":["), "\(text)")
        }
    }
    // What the tour says it writes.
    for path in ["results/lstm50/report.json", "results/lstm50/model.safetensors", "results/lstm128/report.json",
                 "results/cells/cell=gru,seed=2/report.json", "results/comparison.md", "results/report.html"] {
        #expect(FileManager.default.fileExists(atPath: scratch.appendingPathComponent(path).path), "\(path) is missing")
    }
    let evaluations = try FileManager.default.contentsOfDirectory(atPath: scratch.appendingPathComponent("results/lstm50").path)
    #expect(evaluations.contains { $0.hasPrefix("evaluation-") && $0.hasSuffix(".json") })
    // The baselines are named by their cell alone: they read no other model or training setting.
    let comparison = try String(contentsOf: scratch.appendingPathComponent("results/comparison.md"), encoding: .utf8)
    for cell in ["pop", "markov"] {
        #expect(comparison.contains("\n| cell=\(cell) |"), "\(comparison)")
    }
    #expect(!comparison.contains("cell=pop, "), "\(comparison)")
    // SEQREC_TOUR_REPORT=DIR keeps the tour's comparison files for scripts/check_html.sh.
    if let keep = ProcessInfo.processInfo.environment["SEQREC_TOUR_REPORT"] {
        let target = URL(fileURLWithPath: keep)
        try FileManager.default.createDirectory(at: target, withIntermediateDirectories: true)
        for file in ["report.html", "comparison.md", "comparison.csv"] {
            try? FileManager.default.removeItem(at: target.appendingPathComponent(file))
            try FileManager.default.copyItem(at: scratch.appendingPathComponent("results/\(file)"),
                                             to: target.appendingPathComponent(file))
        }
    }
}
