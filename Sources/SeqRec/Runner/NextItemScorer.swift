// What the evaluation pass needs from a model: next-item scores for a batch of histories.
// The recurrent recommender and both baselines provide it, so one pass serves all cells.

public protocol NextItemScorer {
    /// [B, V] row-major scores after each row's last input (V = numItems + 1; column 0 = padding).
    func scoreNext(_ batch: SequenceBatch) -> [Float]
}

extension SequenceRecommender: NextItemScorer {}
extension PopularityModel: NextItemScorer {}
extension MarkovModel: NextItemScorer {}
