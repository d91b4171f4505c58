// Early stopping on a validation metric (higher is better for ranking metrics, lower for
// rating errors), with patience counted in validation passes.

public struct EarlyStopping: Sendable {
    public let metric: MetricSpec
    public let patience: Int
    package private(set) var bestValue: Double?
    package private(set) var bestEpoch: Int?
    package private(set) var passesWithoutImprovement = 0

    public init(metric: MetricSpec, patience: Int) {
        self.metric = metric
        self.patience = patience
    }

    /// Continues a saved stopper (resume).
    public init(metric: MetricSpec, patience: Int, bestValue: Double?, bestEpoch: Int?, passesWithoutImprovement: Int) {
        self.init(metric: metric, patience: patience)
        self.bestValue = bestValue
        self.bestEpoch = bestEpoch
        self.passesWithoutImprovement = passesWithoutImprovement
    }

    package var higherIsBetter: Bool { metric.kind.isRanking }

    /// Records a validation value; returns true when it is a new best (strictly better).
    public mutating func record(_ value: Double, epoch: Int) -> Bool {
        let improved: Bool
        if let best = bestValue {
            improved = higherIsBetter ? value > best : value < best
        } else {
            improved = value.isFinite
        }
        if improved {
            bestValue = value
            bestEpoch = epoch
            passesWithoutImprovement = 0
        } else {
            passesWithoutImprovement += 1
        }
        return improved
    }

    /// True once `patience` validation passes in a row brought no improvement.
    package var shouldStop: Bool { passesWithoutImprovement >= patience }
}
