import Foundation
import Testing
@testable import SeqRec
@testable import SeqRecCore
@testable import SeqRecNumerics

// Hand-computed values of every ranking metric on tiny full-ranking cases.
// Notation: scores are listed for items 1...N; column 0 is padding.

private func evaluate(_ scores: [Float], targets: [Int32], history: [Int32] = [], metrics: [String],
                      excludeSeen: Bool = true) -> [String: Double] {
    var spec = EvaluationSpec()
    spec.excludeSeen = excludeSeen
    spec.metrics = metrics.map { MetricSpec(parsing: $0)! }
    let evaluator = RankingEvaluator(cases: [RankingCase(user: 7, history: history, targets: targets)],
                                     numItems: scores.count, spec: spec, itemCounts: [], seed: 1)
    evaluator.accumulate(scores: [0] + scores, rows: 1, offset: 0)
    return evaluator.result().metrics
}

private func expectClose(_ actual: Double?, _ expected: Double, _ name: String,
                         sourceLocation: Testing.SourceLocation = #_sourceLocation) {
    guard let actual else {
        Issue.record("\(name) missing", sourceLocation: sourceLocation)
        return
    }
    #expect(abs(actual - expected) < 1e-9, "\(name): \(actual) != \(expected)", sourceLocation: sourceLocation)
}

@Test func singleTargetMetricsMatchHandComputation() {
    // Items 1...5 score 0.1 0.5 0.9 0.3 0.7; the target is item 4 (0.3).
    // Competitors scoring >= 0.3: items 2, 3, 5 -> rank 4.
    let m = evaluate([0.1, 0.5, 0.9, 0.3, 0.7], targets: [4],
                     metrics: ["hr@3", "hr@5", "recall@5", "precision@5", "ndcg@3", "ndcg@5", "mrr@3", "mrr@5", "map@5"])
    expectClose(m["hr@3"], 0, "hr@3")                   // rank 4 > 3
    expectClose(m["hr@5"], 1, "hr@5")
    expectClose(m["recall@5"], 1, "recall@5")           // 1 hit / 1 target
    expectClose(m["precision@5"], 0.2, "precision@5")   // 1 hit / k = 5
    expectClose(m["ndcg@3"], 0, "ndcg@3")
    expectClose(m["ndcg@5"], 1 / log2(5.0), "ndcg@5")   // DCG 1/log2(4+1), IDCG 1/log2(2) = 1 -> 0.4307
    expectClose(m["mrr@3"], 0, "mrr@3")
    expectClose(m["mrr@5"], 0.25, "mrr@5")              // 1/4
    expectClose(m["map@5"], 0.25, "map@5")              // (1 hit / position 4) / min(1, 5)
}

@Test func multiTargetMetricsUseMergedListPositions() {
    // Items 1...6 score 0.9 0.8 0.7 0.6 0.5 0.4 (the list is 1 2 3 4 5 6); targets {2, 5}.
    // Target 2: non-targets >= 0.8: {1} -> rank 2; target 5: non-targets >= 0.5: {1, 3, 4} -> rank 4.
    // Positions: 2 + 0 = 2 and 4 + 1 = 5 (target 2 is ahead of target 5), as in the real list.
    let m = evaluate([0.9, 0.8, 0.7, 0.6, 0.5, 0.4], targets: [5, 2],
                     metrics: ["hr@1", "ndcg@1", "map@1", "hr@3", "recall@3", "precision@3", "mrr@3", "ndcg@3",
                               "map@3", "recall@5", "precision@5", "ndcg@5", "map@5"])
    expectClose(m["hr@1"], 0, "hr@1")
    expectClose(m["ndcg@1"], 0, "ndcg@1")
    expectClose(m["map@1"], 0, "map@1")
    // k = 3: one hit, at position 2.
    expectClose(m["hr@3"], 1, "hr@3")
    expectClose(m["recall@3"], 0.5, "recall@3")         // 1 of 2 targets
    expectClose(m["precision@3"], 1.0 / 3, "precision@3")
    expectClose(m["mrr@3"], 0.5, "mrr@3")               // first hit at position 2
    // DCG = 1/log2(3); IDCG over min(2, 3) = 2 positions = 1 + 1/log2(3) -> 0.3869
    expectClose(m["ndcg@3"], (1 / log2(3.0)) / (1 + 1 / log2(3.0)), "ndcg@3")
    expectClose(m["map@3"], (1.0 / 2) / 2, "map@3")     // precision 1/2 at the hit, / min(2, 3)
    // k = 5: both hit, at positions 2 and 5.
    expectClose(m["recall@5"], 1, "recall@5")
    expectClose(m["precision@5"], 0.4, "precision@5")   // 2 / 5
    expectClose(m["ndcg@5"], (1 / log2(3.0) + 1 / log2(6.0)) / (1 + 1 / log2(3.0)), "ndcg@5")  // 0.6240
    expectClose(m["map@5"], (1.0 / 2 + 2.0 / 5) / 2, "map@5")  // 0.45
}

@Test func moreTargetsThanCutoffNormaliseByK() {
    // Items 1...4 score 0.9 0.8 0.7 0.1; targets {1, 2, 3} sit at positions 1, 2, 3.
    let m = evaluate([0.9, 0.8, 0.7, 0.1], targets: [1, 2, 3],
                     metrics: ["precision@2", "recall@2", "map@2", "ndcg@2", "mrr@2"])
    expectClose(m["precision@2"], 1, "precision@2")     // 2 hits / 2
    expectClose(m["recall@2"], 2.0 / 3, "recall@2")     // 2 of 3 targets
    expectClose(m["map@2"], 1, "map@2")                 // (1/1 + 2/2) / min(3, 2)
    expectClose(m["ndcg@2"], 1, "ndcg@2")               // DCG equals IDCG over 2 positions
    expectClose(m["mrr@2"], 1, "mrr@2")
}

@Test func duplicateTargetsCountOnce() {
    // Same as the single-target case; the repeated target 4 must not double the hits.
    let m = evaluate([0.1, 0.5, 0.9, 0.3, 0.7], targets: [4, 4], metrics: ["recall@5", "precision@5"])
    expectClose(m["recall@5"], 1, "recall@5")
    expectClose(m["precision@5"], 0.2, "precision@5")
}

@Test func excludeSeenRemovesHistoryAboveTheTarget() {
    // Items 1...5 score 0.1 0.5 0.9 0.3 0.7; target 4 (0.3); seen items 3 and 5 score above it.
    // With exclude_seen only item 2 competes above -> rank 2; without it items 2, 3, 5 -> rank 4.
    let scores: [Float] = [0.1, 0.5, 0.9, 0.3, 0.7]
    let excluded = evaluate(scores, targets: [4], history: [3, 5, 3], metrics: ["mrr@10", "hr@2", "ndcg@2"])
    expectClose(excluded["mrr@10"], 0.5, "mrr@10 excluded")
    expectClose(excluded["hr@2"], 1, "hr@2 excluded")
    expectClose(excluded["ndcg@2"], 1 / log2(3.0), "ndcg@2 excluded")  // position 2 -> 0.6309
    let kept = evaluate(scores, targets: [4], history: [3, 5], metrics: ["mrr@10", "hr@2"], excludeSeen: false)
    expectClose(kept["mrr@10"], 0.25, "mrr@10 kept")
    expectClose(kept["hr@2"], 0, "hr@2 kept")
}

@Test func targetInHistoryIsNeverExcluded() {
    // Target 4 was also seen earlier (a re-watch). Seen item 3 is removed, target 4 stays:
    // competitors >= 0.3 are items 2 and 5 -> rank 3.
    let m = evaluate([0.1, 0.5, 0.9, 0.3, 0.7], targets: [4], history: [4, 3], metrics: ["mrr@10", "hr@3", "hr@2"])
    expectClose(m["mrr@10"], 1.0 / 3, "mrr@10")
    expectClose(m["hr@3"], 1, "hr@3")
    expectClose(m["hr@2"], 0, "hr@2")
}

@Test func tiesArePessimistic() {
    // All five items score 0: the target ranks below all 4 competitors -> rank 5 = #candidates.
    let allEqual = evaluate([0, 0, 0, 0, 0], targets: [2], metrics: ["mrr@10", "hr@4", "hr@5"])
    expectClose(allEqual["mrr@10"], 1.0 / 5, "mrr@10 all equal")
    expectClose(allEqual["hr@4"], 0, "hr@4 all equal")
    expectClose(allEqual["hr@5"], 1, "hr@5 all equal")
    // One seen item removed: 4 candidates -> rank 4.
    let seen = evaluate([0, 0, 0, 0, 0], targets: [2], history: [5], metrics: ["mrr@10"])
    expectClose(seen["mrr@10"], 1.0 / 4, "mrr@10 one seen")
    // Partial tie: items 1...5 score 0.5 0.5 0.2 0.5 0.1, target 1: items 2 and 4 tie -> rank 3.
    let partial = evaluate([0.5, 0.5, 0.2, 0.5, 0.1], targets: [1], metrics: ["mrr@10"])
    expectClose(partial["mrr@10"], 1.0 / 3, "mrr@10 partial tie")
}

@Test func nanScoresCountAsMinusInfinity() {
    // Items 1...4 score NaN 0.5 NaN 0.2; target 4: only item 2 is above (NaN < 0.2) -> rank 2.
    let nan = Float.nan
    let finiteTarget = evaluate([nan, 0.5, nan, 0.2], targets: [4], metrics: ["mrr@10"])
    expectClose(finiteTarget["mrr@10"], 0.5, "finite target")
    // Target 1 scores NaN = -infinity: every competitor ties or beats it -> rank 4 (last).
    let nanTarget = evaluate([nan, 0.5, nan, 0.2], targets: [1], metrics: ["mrr@10", "hr@3"])
    expectClose(nanTarget["mrr@10"], 0.25, "NaN target")
    expectClose(nanTarget["hr@3"], 0, "NaN target hr@3")
}

@Test func ratingMetricsMatchHandComputation() {
    // Errors -1, 0, 3: MSE = (1 + 0 + 9) / 3 = 10/3, RMSE = sqrt(10/3) = 1.8257; MAE = 4/3.
    let (rmse, mae) = RatingMetrics.compute(predictions: [1, 2, 4], targets: [2, 2, 1])
    expectClose(rmse, (10.0 / 3).squareRoot(), "rmse")
    expectClose(mae, 4.0 / 3, "mae")
    let empty = RatingMetrics.compute(predictions: [], targets: [])
    #expect(empty.rmse.isNaN && empty.mae.isNaN)
}

@Test func ratingBaselinesMatchHandComputation() {
    // Training: user 0 rated 4 and 2 (mean 3), user 1 rated 5 -> global mean 11/3.
    // Test: user 0 rates 5, user 1 rates 4, user 2 (no training ratings) rates 1.
    // Global mean errors: 5 - 11/3 = 4/3, 4 - 11/3 = 1/3, 1 - 11/3 = -8/3
    //   RMSE = sqrt((16 + 1 + 64) / 9 / 3) = sqrt(3) = 1.7321; MAE = (4 + 1 + 8) / 9 = 13/9.
    // User mean predicts 3, 5, 11/3: errors 2, -1, -8/3
    //   RMSE = sqrt((4 + 1 + 64/9) / 3) = sqrt(109/27) = 2.0092; MAE = (2 + 1 + 8/3) / 3 = 17/9.
    let baselines = RatingMetrics.baselines(trainUsers: [0, 0, 1], trainRatings: [4, 2, 5],
                                            testUsers: [0, 1, 2], testRatings: [5, 4, 1])
    // Float predictions: compare to 1e-6.
    #expect(abs(baselines.globalMean!.rmse - 3.0.squareRoot()) < 1e-6)
    #expect(abs(baselines.globalMean!.mae - 13.0 / 9) < 1e-6)
    #expect(abs(baselines.userMean!.rmse - (109.0 / 27).squareRoot()) < 1e-6)
    #expect(abs(baselines.userMean!.mae - 17.0 / 9) < 1e-6)
    #expect(RatingMetrics.baselines(trainUsers: [], trainRatings: [], testUsers: [0], testRatings: [1]) == RatingBaselines())
}

@Test func evaluationResultEncodesSnakeCase() throws {
    let result = EvaluationResult(metrics: ["hr@10": 0.5], sampled: true, candidates: "sampled-100-uniform",
                                  perUser: ["hr@10": [1, 0]], users: [3, 4], evaluatedCases: 2)
    let encoder = JSONEncoder()
    encoder.outputFormatting = [.sortedKeys]
    let text = String(decoding: try encoder.encode(result), as: UTF8.self)
    #expect(text == #"{"candidates":"sampled-100-uniform","evaluated_cases":2,"metrics":{"hr@10":0.5},"per_user":{"hr@10":[1,0]},"sampled":true,"users":[3,4]}"#)
    #expect(try JSONDecoder().decode(EvaluationResult.self, from: Data(text.utf8)) == result)
}
