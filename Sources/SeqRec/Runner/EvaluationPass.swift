// One evaluation pass over validation or test cases: batch the histories, score them, and
// feed the rows to the metric code. Batches are built once per case set and reused.

final class RankingPass {
    let evaluator: RankingEvaluator
    let batches: [SequenceBatch]
    /// Sampled candidates: per batch, the items to score (targets and negatives); nil under
    /// full ranking. Built once with the batches, for every pass.
    let candidates: [CandidateLists]?

    init(cases: [EvaluationCase], numItems: Int, spec: ExperimentSpec, itemCounts: [Int]) {
        evaluator = RankingEvaluator(
            cases: cases.map { RankingCase(user: $0.user, history: $0.history, targets: $0.targets) },
            numItems: numItems, spec: spec.evaluation, itemCounts: itemCounts, seed: spec.seed)
        batches = EvaluationBatcher.batches(cases, maxLength: spec.split.maxLength, batchSize: Self.batchSize)
        var offset = 0
        var lists: [CandidateLists] = []
        for batch in batches {
            guard let batchLists = evaluator.candidateLists(offset ..< offset + batch.batchSize) else { break }
            lists.append(batchLists)
            offset += batch.batchSize
        }
        candidates = spec.evaluation.candidates.isSampled ? lists : nil
    }

    /// Users scored per matrix product: large enough to make the [B, H] x [H, V] product
    /// efficient, small enough to keep the [B, V] score block in cache-friendly size.
    static let batchSize = 256

    func run(_ model: any NextItemScorer) -> EvaluationResult {
        evaluator.reset()
        model.withFixedWeights {
            var offset = 0
            for (index, batch) in batches.enumerated() {
                if let lists = candidates?[index] {
                    evaluator.accumulate(candidateScores: model.scoreNext(batch, candidates: lists), lists: lists, offset: offset)
                } else {
                    model.withScores(batch) { evaluator.accumulate(scores: $0, rows: batch.batchSize, offset: offset) }
                }
                offset += batch.batchSize
            }
        }
        return evaluator.result()
    }
}

/// Rating task: predicted vs true rating of each case's (first) target.
final class RatingPass {
    let batches: [SequenceBatch]
    let truth: [Float]
    let users: [Int32]

    init(cases: [EvaluationCase], spec: ExperimentSpec) {
        users = cases.map(\.user)
        batches = EvaluationBatcher.batches(cases, maxLength: spec.split.maxLength, batchSize: RankingPass.batchSize)
        truth = cases.map { $0.targetRatings.first ?? 0 }
    }

    func run(_ model: SequenceRecommender) -> EvaluationResult {
        var predictions: [Float] = []
        predictions.reserveCapacity(truth.count)
        for batch in batches { predictions += model.predictRatings(batch) }
        let errors = RatingMetrics.compute(predictions: predictions, targets: truth)
        let perUser = zip(predictions, truth).map { ($0 - $1) * ($0 - $1) }
        return EvaluationResult(
            metrics: ["rmse": errors.rmse, "mae": errors.mae], sampled: false, candidates: "rating",
            perUser: ["squared_error": perUser], users: users, evaluatedCases: truth.count)
    }
}
