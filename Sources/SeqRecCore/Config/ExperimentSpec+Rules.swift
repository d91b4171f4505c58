// Rules that several layers apply, each stated once: the config decoder reports them with
// positions, the model and the runner check or use them.

// Which (task, loss, family) combinations train, stated here once:
//
//   task       losses                                        families
//   next-item  cross-entropy, sampled-softmax, bce, gbce     lstm, gru, rnn, sasrec, bert4rec
//   rating     mse                                           lstm, gru, rnn
//
// Every next-item loss scores with the family's output layer (sasrec's tied to its item
// table), so any next-item loss goes with any family; the rating head reads the recurrent
// state and an item embedding of its own, which sasrec does not have. Which tasks a family
// trains is its descriptor's (ModelFamilyDescriptor.tasks).

extension LossKind {
    /// Whether this loss can train `task`: `mse` trains `rating`, and `rating` trains only
    /// with `mse`; `next-item` trains with `cross-entropy`, `sampled-softmax`, `bce` or `gbce`.
    package func canTrain(_ task: TaskKind) -> Bool {
        (self == .mse) == (task == .rating)
    }

    /// Whether this loss can train `task` with the trainable family `cell` (the table above).
    package func canTrain(_ task: TaskKind, cell: CellKind) -> Bool {
        canTrain(task) && cell.canTrain(task)
    }

    /// Whether the loss draws negatives (so `training.negative_sampling` applies).
    package var drawsNegatives: Bool {
        self == .sampledSoftmax || self == .binaryCrossEntropy || self == .generalizedBinaryCrossEntropy
    }

    /// Whether `training.gbce_t` applies.
    package var isCalibrated: Bool { self == .generalizedBinaryCrossEntropy }

    /// The losses that can train `task`, in declaration order.
    package static func training(_ task: TaskKind) -> [LossKind] {
        allCases.filter { $0.canTrain(task) }
    }
}

extension CellKind {
    /// Whether this cell's family trains `task` by gradient (the table above; each family's
    /// descriptor lists its tasks).
    package func canTrain(_ task: TaskKind) -> Bool {
        isTrainable && family.tasks.contains(task)
    }
}

extension ExperimentSpec {
    /// The metric a run is judged by: early stopping's if set, else the first of
    /// `evaluation.metrics`. Validation reports it after each epoch and the test writes its
    /// per-user values (nil only for an empty metric list).
    package var primaryMetric: MetricSpec? {
        training.earlyStopping?.metric ?? evaluation.metrics.first
    }
}
