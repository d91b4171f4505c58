import Foundation
import Testing
@testable import SeqRec
@testable import SeqRecCore
@testable import SeqRecNumerics

// The memory guard: the estimate's parameter count is the built model's, and a run that
// cannot fit is refused before anything is allocated, with the estimate and the memory
// available, exit 2.

private func spec(_ yaml: String) throws -> ExperimentSpec {
    try ConfigLoader.load(bytes: Array(yaml.utf8), displayName: "memory.yaml")
}

@Suite("Memory budget")
struct MemoryBudgetTests {
    @Test("the parameter count before building equals the built model's, for every family and head",
          arguments: ["lstm", "gru", "rnn", "sasrec"], [1, 2])
    func parameterCountMatchesBuiltModel(cell: String, depth: Int) throws {
        let losses: [(String, String)] = [("next-item", "cross-entropy"), ("next-item", "sampled-softmax"), ("next-item", "bce")]
            + (cell == "sasrec" ? [] : [("rating", "mse")])
        for (task, loss) in losses {
            let spec = try spec("""
                task: \(task)
                model: {cell: \(cell), embedding_size: 12, hidden_size: 8, layers: \(depth), blocks: \(depth), heads: 2}
                split: {max_length: 7}
                training: {loss: \(loss)}
                """)
            var rng = SeededGenerator(seed: 1)
            let model = SequenceRecommender(spec: spec.model, task: spec.task, loss: spec.training.loss, numItems: 23,
                                            negatives: 4, sampling: .uniform, itemCounts: [], maxLength: spec.split.maxLength,
                                            rng: &rng)
            let counted = ModelSize.parameterCount(spec.model, task: spec.task, loss: spec.training.loss, numItems: 23,
                                                   maxLength: spec.split.maxLength)
            #expect(counted == Double(model.parameterCount), "\(cell) \(depth) \(loss)")
        }
    }

    @Test("a run beyond the available memory is refused with the estimate and what is available")
    func refusalMessage() throws {
        let huge = try spec("model: {hidden_size: 100000}\ntraining: {threads: 2}")
        #expect(throws: MemoryBudgetError.self) { try MemoryBudget.check(huge, numItems: 1682, catalogue: "1,682 items", available: 16e9) }
        do {
            try MemoryBudget.check(huge, numItems: 1682, catalogue: "1,682 items", available: 16e9)
        } catch {
            #expect(error.description == """
                the run needs about 2.7 TB of memory but 16.0 GB is available (estimate for 1,682 items: 2.4 TB for \
                40.2 billion parameters with their gradients, optimizer state and snapshots, 321.6 GB for activations and \
                evaluation scores, 15.3 kB for the evaluation's per-user buffers); reduce model.hidden_size, model.embedding_size, model.layers or model.blocks, \
                training.batch_size or training.threads
                """)
        }
        // The shipped main experiment fits in far less than this machine class has.
        let main = try ConfigLoader.load(path: ConfigFixtures.repositoryRoot.appendingPathComponent("experiments/lstm50.yaml").path)
        try MemoryBudget.check(main, numItems: 1682, catalogue: "1,682 items", available: 1e9)
    }

    @Test("the estimate grows with what drives memory: catalogue, width, threads, optimizer slots")
    func estimateGrows() throws {
        let base = try spec("training: {threads: 1}")
        func total(_ spec: ExperimentSpec, items: Int = 1682) -> Double {
            MemoryEstimate(spec, numItems: items, threads: spec.training.threads ?? 1)?.totalBytes ?? 0
        }
        #expect(total(base, items: 100_000) > total(base))
        #expect(try total(spec("model: {hidden_size: 200}\ntraining: {threads: 1}")) > total(base))
        #expect(try total(spec("training: {threads: 2}")) > total(base))
        #expect(try total(spec("training: {threads: 1, optimizer: {name: sgd}}")) < total(base))
        #expect(try MemoryEstimate(spec("model: {cell: pop}"), numItems: 1682, threads: 1) == nil)
    }

    @Test("runner validate and run refuse an impossible model with exit 2 and write nothing")
    func commandLineRefuses() throws {
        guard SweepFixtures.runnerIsBuilt else { return }
        let scratch = try SweepFixtures.makeScratch()
        defer { try? FileManager.default.removeAll(at: scratch) }
        let output = scratch.appendingPathComponent("results/huge").path
        let config = scratch.appendingPathComponent("huge.yaml")
        try "name: huge\nmodel: {embedding_size: 10000000}\noutput: {dir: \(output)}\n".write(to: config, atomically: true, encoding: .utf8)
        for command in [["validate", config.path], [config.path]] {
            let finished = try SweepFixtures.runner(command, scratch: scratch)
            #expect(finished.status == 2)
            #expect(finished.stderr.hasPrefix("\(config.path): error: the run needs about 1.2 TB of memory but "))
            #expect(finished.stderr.contains("(estimate for 1,682 items: 1.1 TB for 18.8 billion parameters"))
        }
        #expect(!FileManager.default.fileExists(atPath: output))
    }

    @Test("a data file whose catalogue makes the run too large fails after loading, naming the item count")
    func fileCatalogueIsCheckedAfterLoading() throws {
        // 2,000 users x 5 distinct items: 10,000 items the config check cannot know. The item
        // table is made wide enough that 10,000 rows do not fit in this machine's memory; with
        // 2-item windows the activations stay small, so a one-item catalogue still fits.
        let scratch = FileManager.default.temporaryDirectory.appendingPathComponent("seqrec-memory-\(UUID().uuidString)")
        try FileManager.default.createDirectory(at: scratch, withIntermediateDirectories: true)
        defer { try? FileManager.default.removeAll(at: scratch) }
        let items = 10_000
        var csv = "user_id,item_id\n"
        for item in 0..<items { csv += "u\(item / 5),i\(item)\n" }
        try csv.write(to: scratch.appendingPathComponent("wide.csv"), atomically: true, encoding: .utf8)
        let available = try #require(MemoryBudget.availableBytes())
        func config(width: Int) throws -> ExperimentSpec {
            var config = try spec("""
                name: wide
                dataset: {path: \(scratch.appendingPathComponent("wide.csv").path)}
                split: {max_length: 2}
                model: {embedding_size: \(width), hidden_size: 8}
                training: {threads: 1, batch_size: 1}
                output: {dir: \(scratch.appendingPathComponent("out").path)}
                """)
            config.output.checkpoint = false
            return config
        }
        var width = 1
        while try (MemoryEstimate(config(width: width), numItems: items, threads: 1)?.totalBytes ?? 0) < 4 * available {
            width *= 2
        }
        let config = try config(width: width)
        let one = try #require(MemoryEstimate(config, numItems: 1, threads: 1))
        // Leave-one-out gives each of the 2,000 users a validation and a test case.
        let all = try #require(MemoryEstimate(config, numItems: items, threads: 1, evaluationCases: 4_000))
        try #require(one.totalBytes < available / 2,
                     "estimates \(one.totalBytes) and \(all.totalBytes) do not bracket \(available) bytes")
        #expect(throws: Never.self) { try MemoryBudget.checkConfig(config) }

        let outcome = ExperimentRunner.run(config, options: RunOptions(quiet: true), datasets: DatasetCache())
        #expect(outcome.status == .failed)
        // Exact text, except the memory the machine had free at that moment.
        let expected = MemoryBudgetError(estimate: all, availableBytes: 0, catalogue: "10,000 items").description
        let head = "the run needs about \(MemoryBudget.format(all.totalBytes)) of memory but "
        let tail = try #require(expected.range(of: " is available ")).upperBound
        #expect(outcome.message.hasPrefix(head), "\(outcome.message)")
        #expect(outcome.message.hasSuffix(String(expected[tail...])), "\(outcome.message)")
        let report = try ReportReader.read(URL(fileURLWithPath: outcome.reportPath))
        #expect(report.status == .failed && report.history.isEmpty)
    }
}

private extension FileManager {
    func removeAll(at url: URL) throws { try removeItem(at: url) }
}
