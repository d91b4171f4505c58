import Foundation
import Testing
@testable import SeqRec
@testable import SeqRecCore
@testable import SeqRecNumerics

// Sampled evaluation scores only each case's targets and negatives. Its metrics must be those
// of scoring every item and reading the same columns, for every model family and the baselines.

private func cases(users: Int, items: Int, seed: UInt64) -> [EvaluationCase] {
    var rng = SeededGenerator(seed: seed)
    return (0..<users).map { user in
        let length = 2 + Int(rng.next() % 30)
        let history = (0..<length).map { _ in Int32(1 + rng.next() % UInt64(items)) }
        return EvaluationCase(user: Int32(user), history: history, targets: [Int32(1 + rng.next() % UInt64(items))],
                              targetRatings: [1])
    }
}

private func spec(cell: String, loss: String, candidates: String) throws -> ExperimentSpec {
    try ConfigLoader.load(bytes: Array("""
        model: {cell: \(cell), embedding_size: 12, hidden_size: 10, blocks: 1}
        split: {max_length: 20}
        training: {loss: \(loss), negatives: 5}
        evaluation: {candidates: \(candidates), metrics: [hr@10, ndcg@10, mrr@10, coverage@10]}
        """.utf8), displayName: "sampled.yaml")
}

/// The pass as it ran before candidate scoring: whole rows into the evaluator.
private func fullRowMetrics(_ pass: RankingPass, _ model: any NextItemScorer) -> [String: Double] {
    pass.evaluator.reset()
    var offset = 0
    for batch in pass.batches {
        pass.evaluator.accumulate(scores: model.scoreNext(batch), rows: batch.batchSize, offset: offset)
        offset += batch.batchSize
    }
    return pass.evaluator.result().metrics
}

@Test("sampled evaluation from candidate scores equals scoring every item",
      arguments: [("lstm", "cross-entropy"), ("gru", "sampled-softmax"), ("sasrec", "cross-entropy"), ("sasrec", "bce"), ("gru", "bce"), ("pop", "cross-entropy")])
func candidateScoringMatchesFullRows(cell: String, loss: String) throws {
    let items = 300
    let spec = try spec(cell: cell, loss: loss, candidates: "{sampled: 50, strategy: uniform}")
    let evaluationCases = cases(users: 600, items: items, seed: 3)  // 3 batches of 256, the last partial
    let counts = [0] + [Int](repeating: 1, count: items)
    let pass = RankingPass(cases: evaluationCases, numItems: items, spec: spec, itemCounts: counts)
    #expect(pass.candidates?.map(\.rows) == [256, 256, 88])
    #expect(pass.candidates?.first?.offsets.prefix(3) == [0, 51, 102])  // target + 50 negatives each
    let model: any NextItemScorer
    if cell == "pop" {
        model = PopularityModel(trainSequences: evaluationCases.map(\.history), numItems: items)
    } else {
        var rng = SeededGenerator(seed: 9)
        model = SequenceRecommender(spec: spec.model, task: .nextItem, loss: spec.training.loss, numItems: items,
                                    negatives: 5, sampling: .uniform, itemCounts: counts, maxLength: spec.split.maxLength,
                                    rng: &rng)
    }
    let sampled = pass.run(model).metrics
    #expect(sampled == fullRowMetrics(pass, model))
    #expect((sampled["hr@10"] ?? 0) > 0)
}

@Test func fullRankingScoresWholeRows() throws {
    let spec = try spec(cell: "lstm", loss: "cross-entropy", candidates: "all")
    let pass = RankingPass(cases: cases(users: 10, items: 50, seed: 1), numItems: 50, spec: spec, itemCounts: [])
    #expect(pass.candidates == nil)
}
