// Stand-in: replaced by the real implementation at merge.

/// Tree-structured Parzen estimator (stand-in: random search under the same interface).
public struct TPESampler: TrialSampler {
    public let startupTrials: Int
    public let candidates: Int

    public init(startupTrials: Int = 10, candidates: Int = 24) {
        self.startupTrials = startupTrials
        self.candidates = candidates
    }

    public func suggest(trialNumber: Int, space: SearchSpace, history: [TrialObservation],
                        direction: ObjectiveDirection, seed: UInt64) -> [SearchValue] {
        RandomSampler().suggest(trialNumber: trialNumber, space: space, history: history, direction: direction, seed: seed)
    }
}
