// Everything a training run needs to continue after its last complete epoch exactly as if
// it had not stopped: the weights, the optimizer's state, every random stream's position,
// early stopping, the best weights so far and the history. The learning-rate schedule is a
// function of the epoch, so the epoch fixes its position. Same seed, same thread count:
// a run resumed from this state ends with bitwise the same weights and metrics.

public struct TrainingState: Sendable {
    /// The last complete epoch (1-based).
    public var epoch: Int
    /// Whether training is over (early stop or the last epoch): a resumed run only evaluates.
    public var finished: Bool
    /// The message the run ends with (set when finished).
    public var message: String
    /// The model's arena values after `epoch`.
    public var weights: [Float]
    /// The arena values of the best validation epoch so far (early stopping), or nil.
    public var bestWeights: [Float]?
    public var optimizer: OptimizerState
    public var shuffleRandom: SeededGenerator
    /// One stream per data-parallel worker: its dropout masks and its sampled negatives
    /// (sampled-softmax, bce), so a resumed run draws the same ones.
    public var dropoutRandom: [SeededGenerator]
    public var earlyStopping: EarlyStopping?
    public var history: [EpochRecord]
    public var trainingSeconds: Double
    public var validationSeconds: Double

    public init(epoch: Int, finished: Bool, message: String, weights: [Float], bestWeights: [Float]?,
                optimizer: OptimizerState, shuffleRandom: SeededGenerator, dropoutRandom: [SeededGenerator],
                earlyStopping: EarlyStopping?, history: [EpochRecord], trainingSeconds: Double, validationSeconds: Double) {
        self.epoch = epoch
        self.finished = finished
        self.message = message
        self.weights = weights
        self.bestWeights = bestWeights
        self.optimizer = optimizer
        self.shuffleRandom = shuffleRandom
        self.dropoutRandom = dropoutRandom
        self.earlyStopping = earlyStopping
        self.history = history
        self.trainingSeconds = trainingSeconds
        self.validationSeconds = validationSeconds
    }
}
