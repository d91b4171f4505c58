// seqrec-bench evaluation: one full-ranking evaluation pass, split into its parts, for each
// cell and hidden size, with a freshly initialised model (the times do not depend on the
// weights' values).
//
//   OPENBLAS_NUM_THREADS=1 seqrec-bench evaluation [CONFIG [--set key=value ...]]
//       [--cells lstm,gru,rnn,sasrec] [--hidden 50,128] [--iterations 5]
//       [--users 943] [--items 1682] [--batch 256]
//
// With CONFIG, the validation cases, catalogue, max_length and evaluation settings are the
// experiment's (data built as the runner builds it; the model's other settings too). Without
// it, a synthetic set shaped like MovieLens-100K's validation cases: --users users and --items
// items, max_length 50, 41% of the users with 18-49 items and the rest 50 or more (the
// histories' items are random, each case excludes its seen items).
//
// Prints per cell and size the best of the iterations in CPU milliseconds of the calling
// thread (what a part costs, however loaded the machine): the encoder's evaluation forward over
// all cases (lastHidden), the scores [B, V] (encoder included), the ranking metrics fed those
// scores (RankingEvaluator.accumulate), and the whole pass as the runner's RankingPass runs it
// (the weights fixed for the pass, scores into the model's reused buffer, then the metrics). --json prints JSON lines instead
// (bench/eval_compare.py reads them).

import Foundation
import SeqRec

enum EvaluationBench {
    struct BenchError: Error, CustomStringConvertible {
        var description: String
    }

    static func run(arguments: [String]) throws {
        var cells: [CellKind] = [.lstm, .gru, .rnn, .sasrec]
        var hidden = [50, 128]
        var users = 943, items = 1682, iterations = 5, batchSize = 256
        var configPath: String?
        var json = false
        var overrides: [String] = []
        var index = 0
        while index < arguments.count {
            let argument = arguments[index]
            guard argument.hasPrefix("--") else {
                configPath = argument
                index += 1
                continue
            }
            if argument == "--json" {
                json = true
                index += 1
                continue
            }
            guard index + 1 < arguments.count else { throw BenchError(description: "\(argument) needs a value") }
            let value = arguments[index + 1]
            switch argument {
            case "--cells": cells = value.split(separator: ",").compactMap { CellKind(rawValue: String($0)) }
            case "--hidden": hidden = value.split(separator: ",").compactMap { Int($0) }
            case "--users": users = Int(value) ?? users
            case "--items": items = Int(value) ?? items
            case "--iterations": iterations = Int(value) ?? iterations
            case "--batch": batchSize = Int(value) ?? batchSize
            case "--set": overrides.append(value)
            default: throw BenchError(description: "unknown option \(argument)")
            }
            index += 2
        }

        var cases: [EvaluationCase]
        var modelSpec = ModelSpec()
        modelSpec.dropout = 0
        var evaluationSpec = EvaluationSpec()
        var maxLength = 50
        var source = "synthetic"
        if let configPath {
            let spec = try ConfigLoader.load(path: configPath, overrides: overrides)
            guard spec.task == .nextItem, !spec.evaluation.candidates.isSampled else {
                throw BenchError(description: "\(configPath): the benchmark times next-item full ranking")
            }
            let baseDirectory = URL(fileURLWithPath: configPath).deletingLastPathComponent().path
            let data = try DatasetLoader.load(spec.dataset, seed: spec.seed, baseDirectory: baseDirectory,
                                              log: { FileHandle.standardError.write(Data(($0 + "\n").utf8)) })
            cases = try Splitter.split(data, spec: spec.split).validation
            items = data.numItems
            maxLength = spec.split.maxLength
            modelSpec = spec.model
            evaluationSpec = spec.evaluation
            source = configPath
        } else {
            var rng = SeededGenerator(seed: 7)
            cases = (0..<users).map { user in
                let length = user % 100 < 41 ? 18 + (user * 7) % 32 : 50 + user % 30
                let history = (0..<length).map { _ in Int32(1 + Int(rng.next() % UInt64(items))) }
                return EvaluationCase(user: Int32(user), history: history, targets: [Int32(1 + user % items)], targetRatings: [0])
            }
        }
        let batches = EvaluationBatcher.batches(cases, maxLength: maxLength, batchSize: batchSize)
        let rankingCases = cases.map { RankingCase(user: $0.user, history: $0.history, targets: $0.targets) }
        if json {
            print(#"{"blas": "\#(BLASKernels.current.config ?? BLASKernels.current.summary)", "cases": \#(cases.count), "items": \#(items)}"#)
        } else {
            print(BLASKernels.current.summary)
            print("\(source): \(cases.count) cases, \(items) items, max_length \(maxLength), batch \(batchSize), best of \(iterations)")
            print("cell     H  encoder ms  scores ms  metrics ms  pass ms   (CPU time)")
        }
        for cell in cells {
            for h in hidden {
                var spec = modelSpec
                spec.cell = cell
                spec.hiddenSize = h
                var modelRng = SeededGenerator(seed: 1)
                let model = SequenceRecommender(spec: spec, task: .nextItem, loss: .crossEntropy, numItems: items, negatives: 0,
                                                sampling: .uniform, itemCounts: [], maxLength: maxLength, rng: &modelRng)
                let evaluator = RankingEvaluator(cases: rankingCases, numItems: items, spec: evaluationSpec, itemCounts: [], seed: 1)
                var best = (encoder: Double.infinity, scores: Double.infinity, metrics: Double.infinity, pass: Double.infinity)
                for _ in 0..<iterations {
                    var start = threadCPUNanoseconds()
                    for batch in batches { _ = model.lastHidden(batch) }
                    best.encoder = min(best.encoder, milliseconds(since: start))
                    // Scores batch by batch (fresh arrays, as scoreNext returns them), each fed to the metrics.
                    var scoring = 0.0, ranking = 0.0
                    evaluator.reset()
                    var offset = 0
                    for batch in batches {
                        start = threadCPUNanoseconds()
                        let rows = model.scoreNext(batch)
                        scoring += milliseconds(since: start)
                        start = threadCPUNanoseconds()
                        evaluator.accumulate(scores: rows, rows: batch.batchSize, offset: offset)
                        ranking += milliseconds(since: start)
                        offset += batch.batchSize
                    }
                    best.scores = min(best.scores, scoring)
                    best.metrics = min(best.metrics, ranking)
                    start = threadCPUNanoseconds()
                    evaluator.reset()
                    offset = 0
                    model.withFixedWeights {
                        for batch in batches {
                            model.withScores(batch) { evaluator.accumulate(scores: $0, rows: batch.batchSize, offset: offset) }
                            offset += batch.batchSize
                        }
                    }
                    _ = evaluator.result()
                    best.pass = min(best.pass, milliseconds(since: start))
                }
                if json {
                    print(#"{"cell": "\#(cell.rawValue)", "hidden": \#(h), "cases": \#(cases.count), "encoder_ms": \#(best.encoder), "#
                          + #""scores_ms": \#(best.scores), "metrics_ms": \#(best.metrics), "pass_ms": \#(best.pass)}"#)
                } else {
                    let name = cell.rawValue.padding(toLength: 7, withPad: " ", startingAt: 0)
                    print("\(name) \(String(format: "%3d  %10.2f  %9.2f  %10.2f  %7.2f", h, best.encoder, best.scores, best.metrics, best.pass))")
                }
            }
        }
    }

    /// CPU time of the calling thread, in nanoseconds.
    private static func threadCPUNanoseconds() -> UInt64 {
        var time = timespec()
        clock_gettime(CLOCK_THREAD_CPUTIME_ID, &time)
        return UInt64(time.tv_sec) * 1_000_000_000 + UInt64(time.tv_nsec)
    }

    private static func milliseconds(since start: UInt64) -> Double {
        Double(threadCPUNanoseconds() - start) / 1e6
    }
}
