// Rules that several layers apply, each stated once: the config decoder reports them with
// positions, the model and the runner check or use them.

extension LossKind {
    /// Whether this loss can train `task`: `mse` trains `rating`, and `rating` trains only
    /// with `mse`; `next-item` trains with `cross-entropy`, `sampled-softmax` or `bce`.
    public func canTrain(_ task: TaskKind) -> Bool {
        (self == .mse) == (task == .rating)
    }

    /// The losses that can train `task`, in declaration order.
    public static func training(_ task: TaskKind) -> [LossKind] {
        allCases.filter { $0.canTrain(task) }
    }
}

extension ExperimentSpec {
    /// The metric a run is judged by: early stopping's if set, else the first of
    /// `evaluation.metrics`. Validation reports it after each epoch and the test writes its
    /// per-user values (nil only for an empty metric list).
    public var primaryMetric: MetricSpec? {
        training.earlyStopping?.metric ?? evaluation.metrics.first
    }
}
