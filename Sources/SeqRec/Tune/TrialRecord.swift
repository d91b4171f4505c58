// What a search directory keeps of one trial, in `trials/<number>/trial.json`: written by the
// trial's own process (atomically, under the search's lock) as it starts, after every epoch
// and when it ends, and read by the other trials (their samplers and pruning decisions), by
// `runner tune` and by `compare`.

import Foundation

public struct TrialRecord: Sendable, Equatable, Codable {
    public enum State: String, Sendable, Codable {
        /// Sampled and not ended (running, or interrupted: a rerun resumes it).
        case running
        /// Trained to its end (all epochs, or early stopping).
        case complete
        /// Stopped by the pruner after `prunedAfterEpoch`.
        case pruned
        /// The run failed or diverged, its config was invalid, or its process ended before
        /// it did (killed by a signal): no objective, and a rerun of the search keeps it.
        case failed

        public var hasEnded: Bool { self != .running }
    }

    package struct EpochValue: Sendable, Equatable, Codable {
        package var epoch: Int
        package var value: Double
    }

    public var number: Int
    /// One value per parameter, in the space's order (what the sampler chose).
    package var values: [SearchValue]
    /// The same values as the trial's config writes them.
    package var settings: [TrialSetting]
    public var state: State
    /// The last epoch the trial completed (0 before its first).
    package var lastEpoch: Int
    /// The validation objective after each epoch that had a validation pass.
    package var intermediate: [EpochValue]
    /// The best validation objective over its epochs (complete and pruned trials).
    package var objective: Double?
    /// Training epochs the trial used (the budget's unit).
    public var epochsUsed: Int
    package var prunedAfterEpoch: Int?
    /// How the run ended (its report's message), once it has.
    package var message: String?
    /// How the trial's process ended when it ended before the trial did (`exit 1`,
    /// `signal 9`): `runner tune` then recorded the trial as failed.
    package var processEnd: String?
    /// Seconds the trial's processes spent on the search's own work rather than the run:
    /// waiting for lower trials, sampling, deciding, writing records and results.
    public var searchSeconds: Double?
    /// The part of `searchSeconds` spent waiting for lower trials (to be sampled from them,
    /// or for their values at a pruning decision): idle time that --jobs 1 does not have.
    public var waitSeconds: Double?

    package init(number: Int, values: [SearchValue], settings: [TrialSetting]) {
        self.number = number
        self.values = values
        self.settings = settings
        state = .running
        lastEpoch = 0
        intermediate = []
        epochsUsed = 0
    }

    enum CodingKeys: String, CodingKey {
        case number, values, settings, state, intermediate, objective, message
        case lastEpoch = "last_epoch", epochsUsed = "epochs_used", prunedAfterEpoch = "pruned_after_epoch"
        case searchSeconds = "search_seconds", waitSeconds = "wait_seconds", processEnd = "process_end"
    }

    /// The value recorded after `epoch`, if any.
    package func value(atEpoch epoch: Int) -> Double? {
        intermediate.first { $0.epoch == epoch }?.value
    }

    /// What the sampler and the pruner see of this trial.
    package var observation: TrialObservation {
        let state: TrialObservation.State
        switch self.state {
        case .running: state = .running
        case .complete: state = .complete
        case .pruned: state = .pruned
        case .failed: state = .failed
        }
        return TrialObservation(number: number, values: values, state: state,
                                intermediate: Dictionary(intermediate.map { ($0.epoch, $0.value) }, uniquingKeysWith: { $1 }),
                                objective: self.state == .complete ? objective : nil)
    }
}
