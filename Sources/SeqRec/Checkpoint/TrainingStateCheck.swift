// The one check of a decoded training state against the config it was saved under (and, in
// a run, the model and the data): what a resuming run and `runner plan` both apply, so that
// "resumable at epoch k" means the run continues after epoch k. A state is what the trainer
// saves after a complete epoch, so every field is determined by the others and the config:
//
//   epoch              1...training.epochs
//   history            one record per epoch, epochs 1...epoch in order
//   finished           epoch == training.epochs, or early stopping's patience is spent
//   early_stopping     present exactly when training.early_stopping is set; best epoch in
//                      1...epoch, a validation epoch whose value is the best value; the passes
//                      without improvement are the validation passes after it; best weights
//                      saved exactly when there is a best epoch
//   optimizer          the optimizer's buffers, all of them once a step was taken; step count
//                      epoch x batches per epoch (0 for an optimizer without state)
//   random_dropout     one stream per worker thread: training.threads of them when it is
//                      set, at least one
//   layout             parameters inside the weights, none overlapping
//   tensors            finite values only (a run never saves NaN or infinite weights)

struct TrainingStateCheck {
    let path: String
    let spec: ExperimentSpec
    let layout: [TrainingStateFile.LayoutRecord]
    /// Known in a run (the data is loaded), nil for `runner plan`.
    let batchesPerEpoch: Int?

    func check(_ state: TrainingState, recordsEarlyStopping: Bool) throws(CheckpointError) {
        try checkOptimizerBuffers(state)
        try checkEpochs(state)
        try checkEarlyStopping(state, recorded: recordsEarlyStopping)
        try checkFinished(state)
        guard !state.dropoutRandom.isEmpty else {
            throw fail("metadata 'random_dropout'", "an empty list", "one random stream per worker thread")
        }
        // Unset, the thread count follows the machine (the run notes a different count).
        if let threads = spec.training.threads, state.dropoutRandom.count != threads {
            throw fail("metadata 'random_dropout'", "\(state.dropoutRandom.count) streams",
                       "\(threads), one per worker thread (training.threads)")
        }
        try checkStepCount(state)
        try checkLayout(weightCount: state.weights.count)
        for (field, value) in [("training_seconds", state.trainingSeconds), ("validation_seconds", state.validationSeconds)]
        where !(value.isFinite && value >= 0) {
            throw fail("metadata '\(field)'", "\(value)", "a finite number of seconds >= 0")
        }
        try checkFinite("weights", state.weights)
        if let best = state.bestWeights { try checkFinite("best_weights", best) }
        for (name, values) in state.optimizer.buffers.sorted(by: { $0.key < $1.key }) {
            try checkFinite("optimizer.\(name)", values)
        }
    }

    // MARK: Rules

    private func checkOptimizerBuffers(_ state: TrainingState) throws(CheckpointError) {
        let optimizer = spec.training.optimizer.name.rawValue
        let names = Optimizers.make(spec.training.optimizer).stateBufferNames
        if let extra = state.optimizer.buffers.keys.sorted().first(where: { !names.contains($0) }) {
            let expected = names.isEmpty ? "none (\(optimizer) keeps no state here)"
                : "only \(names.map { "'optimizer.\($0)'" }.joined(separator: ", ")) for \(optimizer)"
            throw fail("tensor 'optimizer.\(extra)'", "present", expected)
        }
        guard state.optimizer.step > 0 else { return }
        if let missing = names.first(where: { state.optimizer.buffers[$0] == nil }) {
            throw .optimizerState(path: path, .missingBuffer(missing))
        }
    }

    private func checkEpochs(_ state: TrainingState) throws(CheckpointError) {
        let epochs = spec.training.epochs
        guard (1...epochs).contains(state.epoch) else {
            throw fail("metadata 'epoch'", "\(state.epoch)", "1...\(epochs) (training.epochs)")
        }
        guard state.history.count == state.epoch else {
            throw fail("metadata 'history'", "\(state.history.count) epoch record\(state.history.count == 1 ? "" : "s")",
                       "\(state.epoch), one per epoch up to 'epoch'")
        }
        if let wrong = state.history.enumerated().first(where: { $0.element.epoch != $0.offset + 1 }) {
            throw fail("metadata 'history'", "epoch \(wrong.element.epoch) at position \(wrong.offset + 1)",
                       "epochs 1...\(state.epoch) in order")
        }
    }

    private func checkEarlyStopping(_ state: TrainingState, recorded: Bool) throws(CheckpointError) {
        guard let stopper = state.earlyStopping, recorded else {
            if recorded != (spec.training.earlyStopping != nil) {
                throw fail("metadata 'early_stopping'", recorded ? "a record" : "null",
                           recorded ? "null (training.early_stopping is not set)" : "a record (training.early_stopping is set)")
            }
            if state.bestWeights != nil {
                throw fail("tensor 'best_weights'", "present", "none (training.early_stopping is not set)")
            }
            return
        }
        let metric = stopper.metric.description
        let bestEpoch = stopper.bestEpoch
        guard (bestEpoch == nil) == (stopper.bestValue == nil) else {
            throw fail("metadata 'early_stopping'", "a best epoch without a best value or the reverse", "both or neither")
        }
        if let bestEpoch, let bestValue = stopper.bestValue {
            guard (1...state.epoch).contains(bestEpoch) else {
                throw fail("metadata 'early_stopping' best epoch", "\(bestEpoch)", "1...\(state.epoch) (the epochs run)")
            }
            guard let recorded = state.history[bestEpoch - 1].validation?[metric] else {
                throw fail("metadata 'early_stopping' best epoch", "\(bestEpoch)", "an epoch with a validation \(metric)")
            }
            guard recorded == bestValue else {
                throw fail("metadata 'early_stopping' best value", "\(bestValue)",
                           "\(recorded) (the validation \(metric) of epoch \(bestEpoch))")
            }
        }
        let passes = state.history.filter { $0.epoch > (bestEpoch ?? 0) && $0.validation?[metric] != nil }.count
        guard stopper.passesWithoutImprovement == passes else {
            throw fail("metadata 'early_stopping' passes without improvement", "\(stopper.passesWithoutImprovement)",
                       "\(passes) (the validation passes after the best epoch)")
        }
        guard (state.bestWeights != nil) == (bestEpoch != nil) else {
            throw fail("tensor 'best_weights'", state.bestWeights == nil ? "missing" : "present",
                       bestEpoch == nil ? "none (no best epoch yet)" : "the weights of best epoch \(bestEpoch ?? 0)")
        }
    }

    private func checkFinished(_ state: TrainingState) throws(CheckpointError) {
        let epochs = spec.training.epochs
        let patienceSpent = state.earlyStopping?.shouldStop ?? false
        guard state.finished != (state.epoch == epochs || patienceSpent) else { return }
        let expected = state.epoch == epochs ? "true (epoch \(epochs) is the last of training.epochs)"
            : patienceSpent ? "true (early stopping's patience is spent)"
            : "false (epoch \(state.epoch) of \(epochs), early stopping not triggered)"
        throw fail("metadata 'finished'", "\(state.finished)", expected)
    }

    private func checkStepCount(_ state: TrainingState) throws(CheckpointError) {
        let step = state.optimizer.step
        if Optimizers.make(spec.training.optimizer).stateBufferNames.isEmpty {
            guard step == 0 else { throw fail("metadata 'optimizer_step'", "\(step)", "0 (the optimizer keeps no state)") }
        } else if let batchesPerEpoch = batchesPerEpoch {
            let expected = state.epoch * batchesPerEpoch
            guard step == expected else {
                throw fail("metadata 'optimizer_step'", "\(step)",
                           "\(expected) (\(state.epoch) epoch\(state.epoch == 1 ? "" : "s") of \(batchesPerEpoch) batches)")
            }
        } else {
            guard step >= 0, step % state.epoch == 0 else {
                throw fail("metadata 'optimizer_step'", "\(step)", "a multiple of the epoch \(state.epoch) (the same batches every epoch)")
            }
        }
    }

    private func checkLayout(weightCount: Int) throws(CheckpointError) {
        var end = 0
        for record in layout.sorted(by: { $0.offset < $1.offset }) {
            let size = SafeTensor.elementCount(of: record.shape) ?? Int.max
            guard record.offset >= end, size <= weightCount - record.offset else {
                throw fail("metadata 'layout' entry '\(record.name)'", "offset \(record.offset), shape \(record.shape)",
                           "a place inside the \(weightCount) weights, after the previous parameter's end \(end)")
            }
            end = record.offset + size
        }
    }

    private func checkFinite(_ name: String, _ values: [Float]) throws(CheckpointError) {
        guard let problem = NonFiniteValues(values) else { return }
        let parameter = layout.first {
            problem.index >= $0.offset && problem.index - $0.offset < (SafeTensor.elementCount(of: $0.shape) ?? 0)
        }.map { "\($0.name) element \(problem.index - $0.offset)" }
        throw .nonFinite(path: path, name: name, count: problem.count, index: problem.index, value: problem.value,
                         parameter: parameter)
    }

    private func fail(_ field: String, _ found: String, _ expected: String) -> CheckpointError {
        .inconsistentState(path: path, field: field, found: found, expected: expected)
    }
}

/// The non-finite values of a tensor: how many, and the first (its index and value as text).
struct NonFiniteValues {
    var count: Int
    var index: Int
    var value: String

    init?(_ values: [Float]) {
        guard let first = values.firstIndex(where: { !$0.isFinite }) else { return nil }
        count = values[first...].count { !$0.isFinite }
        index = first
        value = "\(values[first])"
    }
}
