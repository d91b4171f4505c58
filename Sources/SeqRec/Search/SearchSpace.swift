// What a hyperparameter search may vary, and what it knows of the trials so far. These types
// are pure (no files, no training): the samplers and the pruner are functions of them, so they
// are tested on synthetic objectives, and a search directory's trials (Tune/) rebuild them
// after an interruption. Nothing here holds state between calls: a sampler's "state" is the
// history of trials, which is why a resumed search continues with the same trials.

/// One key's range: which values a trial may give it.
package enum SearchDomain: Sendable, Equatable {
    /// One of `count` listed values (any YAML values; a trial records the index).
    case choice(count: Int)
    /// A real number in [low, high], uniformly.
    case uniform(low: Double, high: Double)
    /// A positive real number in [low, high], uniform in its logarithm (learning rates).
    case logUniform(low: Double, high: Double)
    /// An integer in low...high, uniformly, or uniform in its logarithm when `log`.
    case integer(low: Int, high: Int, log: Bool)
}

/// One searched setting: a dotted config key and its domain.
package struct SearchParameter: Sendable, Equatable {
    package var key: String
    package var domain: SearchDomain

    package init(key: String, domain: SearchDomain) {
        self.key = key
        self.domain = domain
    }
}

/// The searched settings, in the order the tune file lists them.
package struct SearchSpace: Sendable, Equatable {
    package var parameters: [SearchParameter]

    package init(parameters: [SearchParameter]) {
        self.parameters = parameters
    }
}

/// A trial's value of one parameter: `.real` for uniform and log-uniform, `.integer` for
/// integer domains, `.choice(index)` for choices.
package enum SearchValue: Sendable, Equatable, Hashable, Codable {
    case real(Double)
    case integer(Int)
    case choice(Int)
}

/// Whether a larger or a smaller objective is better (ndcg@10: maximize; a loss: minimize).
package enum ObjectiveDirection: String, Sendable, Codable {
    case maximize, minimize

    /// Whether `a` is strictly better than `b`.
    package func isBetter(_ a: Double, than b: Double) -> Bool {
        self == .maximize ? a > b : a < b
    }
}

/// What the sampler and the pruner know of one trial.
package struct TrialObservation: Sendable, Equatable, Codable {
    package enum State: String, Sendable, Codable {
        /// Started and not finished (it may have intermediate values).
        case running
        /// Trained to its end (all epochs, or early stopping): `objective` is set.
        case complete
        /// Stopped by the pruner after its last intermediate value.
        case pruned
        /// Failed or diverged: no usable objective.
        case failed
    }

    /// 0-based, in the order trials are sampled.
    package var number: Int
    /// One value per parameter, in the space's order.
    package var values: [SearchValue]
    package var state: State
    /// Epoch (1-based) -> the validation objective measured after it.
    package var intermediate: [Int: Double]
    /// A complete trial's result: the best validation objective over its epochs.
    package var objective: Double?

    package init(number: Int, values: [SearchValue], state: State, intermediate: [Int: Double] = [:],
                objective: Double? = nil) {
        self.number = number
        self.values = values
        self.state = state
        self.intermediate = intermediate
        self.objective = objective
    }
}

/// Chooses the next trial's settings.
///
/// Deterministic: the same trial number, space, history, direction and seed give the same
/// values. `history` is what the caller lets the trial see: the trials numbered below it that
/// have ended (complete, pruned or failed); with several trials in parallel the caller keeps
/// which ones those are independent of timing (see Tune/).
package protocol TrialSampler: Sendable {
    func suggest(trialNumber: Int, space: SearchSpace, history: [TrialObservation],
                 direction: ObjectiveDirection, seed: UInt64) -> [SearchValue]
}

/// Decides, at some epochs, whether a trial stops early.
///
/// Deterministic and pure. The caller passes as `competitors` the values that other trials
/// recorded at the same epoch; which trials those are is the caller's rule (Tune/ uses the
/// trials numbered below this one, so that decisions do not depend on timing).
package protocol TrialPruner: Sendable {
    /// The epochs (1-based, ascending) after which a decision is taken, for a run of at most
    /// `maxEpochs` epochs. Empty: never prunes.
    func decisionEpochs(maxEpochs: Int) -> [Int]

    /// Whether a trial whose validation objective after `epoch` is `value` stops there.
    func shouldStop(epoch: Int, value: Double, competitors: [Double], direction: ObjectiveDirection) -> Bool
}

/// A pruner that lets every trial run to its end.
package struct NoPruner: TrialPruner {
    package init() {}
    package func decisionEpochs(maxEpochs: Int) -> [Int] { [] }
    package func shouldStop(epoch: Int, value: Double, competitors: [Double], direction: ObjectiveDirection) -> Bool {
        false
    }
}
