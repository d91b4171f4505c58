// The training loop: shuffled mini-batch epochs, gradient clipping, validation every
// `eval_every` epochs, early stopping with best-weight restore, divergence and
// interruption handling. It knows the model only through `SequenceRecommender`.
import Foundation

package struct TrainingResult: Sendable {
    package var status: RunStatus
    package var message: String
    package var history: [EpochRecord]
    package var bestEpoch: Int?
    package var trainingSeconds: Double
    package var validationSeconds: Double
}

/// Where a training run saves what outlives it (see ExperimentRunner): both may throw, which
/// fails the run with the error's message.
package struct TrainingCheckpoints {
    /// Validation improved in `epoch`; the model holds the new best weights.
    package var bestImproved: (_ epoch: Int) throws -> Void
    /// `state.epoch` is complete; `state` continues the run exactly.
    package var epochCompleted: (_ state: TrainingState) throws -> Void

    package init(bestImproved: @escaping (Int) throws -> Void, epochCompleted: @escaping (TrainingState) throws -> Void) {
        self.bestImproved = bestImproved
        self.epochCompleted = epochCompleted
    }
}

package final class Trainer {
    private let spec: ExperimentSpec
    private let model: SequenceRecommender
    private let batcher: TrainingBatcher
    private let schedule: LearningRateSchedule
    private let progress: ProgressReporter
    /// Worker threads for the data-parallel forward/backward (1 = single-threaded).
    private let threads: Int
    /// Scores the validation set with the model's current weights.
    private let validate: () -> [String: Double]
    /// Hears of each epoch's record as the epoch ends (the TensorBoard log).
    package var epochEnded: (EpochRecord) -> Void = { _ in }
    /// Asked after each epoch (a search's pruner): why training stops after this epoch, or
    /// nil to go on. A stop ends the run like early stopping, with this as its message.
    package var stopAfterEpoch: (EpochRecord) -> String? = { _ in nil }

    package init(
        spec: ExperimentSpec, model: SequenceRecommender, batcher: TrainingBatcher,
        progress: ProgressReporter, threads: Int = 1, validate: @escaping () -> [String: Double]
    ) {
        self.threads = max(threads, 1)
        self.spec = spec
        self.model = model
        self.batcher = batcher
        self.schedule = LearningRateSchedule(
            base: spec.training.optimizer.learningRate, spec: spec.training.schedule,
            totalEpochs: spec.training.epochs)
        self.progress = progress
        self.validate = validate
    }

    /// Trains from scratch, or continues from `resume` (a state saved after an epoch of a
    /// run with the same config and thread count). `checkpoints` hears of every new best
    /// and every complete epoch; an error thrown there fails the run.
    package func run(resumingFrom resume: TrainingState? = nil, checkpoints: TrainingCheckpoints? = nil) -> TrainingResult {
        let training = spec.training
        let arena = model.arena
        let optimizer = Optimizers.make(spec.training.optimizer)
        var shuffleRandom = SeededGenerator(seed: spec.seed, stream: "shuffle")
        var stopper = training.earlyStopping.map { EarlyStopping(metric: $0.metric, patience: $0.patience) }
        let monitored = spec.primaryMetric?.description
        var bestWeights: [Float]?
        var history: [EpochRecord] = []
        var status = RunStatus.ok
        var message = "completed \(training.epochs) epochs"
        var trainingSeconds = 0.0, validationSeconds = 0.0
        var firstEpoch = 1
        var finished = false
        if let resume {
            // The weights first: the data-parallel replicas copy them when they are made.
            arena.restoreValues(resume.weights)
            do {
                try optimizer.restore(resume.optimizer, arena: arena)
            } catch {
                return TrainingResult(status: .failed, message: "cannot resume: \(error)", history: resume.history,
                                      bestEpoch: nil, trainingSeconds: 0, validationSeconds: 0)
            }
            (shuffleRandom, stopper, bestWeights, history) = (resume.shuffleRandom, resume.earlyStopping, resume.bestWeights, resume.history)
            (trainingSeconds, validationSeconds) = (resume.trainingSeconds, resume.validationSeconds)
            (firstEpoch, finished) = (resume.epoch + 1, resume.finished)
            if finished { message = resume.message }
        }
        let step = DataParallelStep(model: model, threads: threads, seed: spec.seed)
        if let failure = step.startFailure {
            return TrainingResult(status: .failed, message: failure, history: history, bestEpoch: nil,
                                  trainingSeconds: trainingSeconds, validationSeconds: validationSeconds)
        }
        if let resume, resume.dropoutRandom.count == step.threads { step.dropoutStreams = resume.dropoutRandom }

        epochs: for epoch in firstEpoch..<max(training.epochs + 1, firstEpoch) where !finished {
            let learningRate = schedule.rate(epoch: epoch)
            let batches = batcher.epoch(rng: &shuffleRandom)
            let start = Date()
            var lossSum = 0.0
            var targetCount = 0
            for (index, batch) in batches.enumerated() {
                if let signal = Interruption.requested {
                    status = .interrupted
                    message = "interrupted by signal \(signal) during epoch \(epoch)"
                    break epochs
                }
                let (loss, targets) = step.run(batch)
                // The clip norm doubles as the divergence check: a NaN/Inf anywhere in a
                // gradient makes the global norm non-finite.
                let norm = clipGradientNorm(arena, maxNorm: Float(training.clipNorm ?? .infinity))
                guard loss.isFinite, norm.isFinite else {
                    status = .diverged
                    message = Divergence.message(step: (epoch - 1) * batches.count + index + 1, epoch: epoch, batch: index + 1,
                                                 loss: loss, norm: norm, culprit: GradientCulprit.find(in: arena))
                    break epochs
                }
                step.update(with: optimizer, learningRate: Float(learningRate))
                lossSum += loss * Double(targets)
                targetCount += targets
                let elapsed = Date().timeIntervalSince(start)
                progress.batch(epoch: epoch, done: index + 1, total: batches.count,
                               loss: lossSum / Double(max(targetCount, 1)),
                               targetsPerSecond: Double(targetCount) / max(elapsed, 1e-9), elapsed: elapsed)
            }
            // A step's norm was finite but its update overflowed: the next step would see it;
            // after the epoch's last one nothing would, and the weights would be saved.
            if let weights = NonFiniteWeights.find(in: arena) {
                status = .diverged
                message = Divergence.message(epoch: epoch, weights: weights)
                break epochs
            }
            let seconds = Date().timeIntervalSince(start)
            trainingSeconds += seconds
            var record = EpochRecord(
                epoch: epoch, trainLoss: lossSum / Double(max(targetCount, 1)), validation: nil,
                seconds: seconds, targetsPerSecond: Double(targetCount) / max(seconds, 1e-9),
                learningRate: learningRate)

            var improved = false
            if epoch % max(training.evalEvery, 1) == 0 || epoch == training.epochs {
                let validationStart = Date()
                let metrics = validate()
                validationSeconds += Date().timeIntervalSince(validationStart)
                record.validation = metrics
                if var early = stopper, let name = monitored, let value = metrics[name] {
                    improved = early.record(value, epoch: epoch)
                    if improved { bestWeights = arena.copyValues() }
                    stopper = early
                }
            }
            history.append(record)
            progress.epoch(Self.summary(record, monitored: monitored, best: stopper?.bestValue))
            epochEnded(record)
            if let early = stopper, early.shouldStop {
                message = "early stop after epoch \(epoch): no \(early.metric) improvement for \(early.patience) validation passes"
                finished = true
            }
            finished = finished || epoch == training.epochs
            if let reason = stopAfterEpoch(record), !finished {
                message = reason
                finished = true
            }
            guard let checkpoints else { continue }
            do {
                if improved { try checkpoints.bestImproved(epoch) }
                try checkpoints.epochCompleted(TrainingState(
                    epoch: epoch, finished: finished, message: message, weights: arena.copyValues(), bestWeights: bestWeights,
                    optimizer: optimizer.state, shuffleRandom: shuffleRandom, dropoutRandom: step.dropoutStreams,
                    earlyStopping: stopper, history: history, trainingSeconds: trainingSeconds,
                    validationSeconds: validationSeconds))
            } catch {
                status = .failed
                message = "could not save the training state after epoch \(epoch): \(error)"
                break
            }
        }

        // Restore the best epoch's weights (only for a run whose numbers we report as-is).
        if status == .ok, let best = bestWeights { arena.restoreValues(best) }
        return TrainingResult(
            status: status, message: message, history: history, bestEpoch: stopper?.bestEpoch,
            trainingSeconds: trainingSeconds, validationSeconds: validationSeconds)
    }

    static func summary(_ record: EpochRecord, monitored: String?, best: Double?) -> String {
        var text = String(format: "epoch %3d  loss %.4f  %.1fs  %.0f targets/s  lr %.2g",
                          record.epoch, record.trainLoss, record.seconds, record.targetsPerSecond, record.learningRate)
        if let name = monitored, let value = record.validation?[name] {
            text += String(format: "  val %@ %.4f", name, value)
            if let best { text += String(format: " (best %.4f)", best) }
        }
        return text
    }
}
