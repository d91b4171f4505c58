// What the evaluation pass needs from a model: next-item scores for a batch of histories,
// of the whole catalogue or of chosen candidates. The recurrent recommender, SASRec and both
// baselines provide it, so one pass serves all cells.

package protocol NextItemScorer {
    /// [B, V] row-major scores after each row's last input (V = numItems + 1; column 0 = padding).
    func scoreNext(_ batch: SequenceBatch) -> [Float]
    /// The scores of row b's `candidates` only, flat in the lists' order (sampled evaluation).
    func scoreNext(_ batch: SequenceBatch, candidates: CandidateLists) -> [Float]
    /// `body` reads `scoreNext(batch)`'s scores, from a buffer the scorer may reuse.
    func withScores<Result>(_ batch: SequenceBatch, _ body: (UnsafeBufferPointer<Float>) -> Result) -> Result
    /// Runs `body` (one pass over the batches) promising that the weights stay fixed, so the
    /// scorer may keep what it derives from them from one batch to the next.
    func withFixedWeights<Result>(_ body: () -> Result) -> Result
}

extension NextItemScorer {
    package func withFixedWeights<Result>(_ body: () -> Result) -> Result { body() }

    package func withScores<Result>(_ batch: SequenceBatch, _ body: (UnsafeBufferPointer<Float>) -> Result) -> Result {
        scoreNext(batch).withUnsafeBufferPointer(body)
    }

    /// From the full rows: right for any scorer, and cheap for the count-based baselines.
    package func scoreNext(_ batch: SequenceBatch, candidates: CandidateLists) -> [Float] {
        let scores = scoreNext(batch)
        let width = scores.count / max(batch.batchSize, 1)
        var out = [Float](repeating: 0, count: candidates.items.count)
        for row in 0..<candidates.rows {
            for index in candidates.offsets[row] ..< candidates.offsets[row + 1] {
                out[index] = scores[row * width + Int(candidates.items[index])]
            }
        }
        return out
    }
}

extension SequenceRecommender: NextItemScorer {}
extension PopularityModel: NextItemScorer {}
extension MarkovModel: NextItemScorer {}
