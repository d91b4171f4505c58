// One line of the training history.

public struct EpochRecord: Sendable, Equatable, Codable {
    /// 1-based.
    public var epoch: Int
    /// Mean training loss over the epoch's targets (may be NaN/Infinity for a diverged epoch).
    public var trainLoss: Double
    /// Validation metrics, absent in epochs without a validation pass (`eval_every`).
    public var validation: [String: Double]?
    /// Wall time of the epoch (training plus validation).
    public var seconds: Double
    /// Training targets processed per second.
    public var targetsPerSecond: Double
    public var learningRate: Double

    public init(epoch: Int, trainLoss: Double, validation: [String: Double]? = nil, seconds: Double,
                targetsPerSecond: Double, learningRate: Double) {
        self.epoch = epoch
        self.trainLoss = trainLoss
        self.validation = validation
        self.seconds = seconds
        self.targetsPerSecond = targetsPerSecond
        self.learningRate = learningRate
    }

    enum CodingKeys: String, CodingKey {
        case epoch, validation, seconds
        case trainLoss = "train_loss"
        case targetsPerSecond = "targets_per_second"
        case learningRate = "learning_rate"
    }
}
