// `tune:` — a hyperparameter search over an experiment: which keys vary and how, what is
// optimized, the budget, the sampler and the pruner. This is the validated section as the
// config layer sees it; Tune/ turns it into the search types (Search/) and runs it.

/// Whether a larger or a smaller objective is better.
package enum TuneDirection: String, Sendable, Codable, CaseIterable {
    case maximize, minimize
}

/// One searched key's range, as the tune file writes it.
package enum TuneDomain: Sendable, Equatable {
    /// One of the listed YAML values (their flow text, as a trial's config writes them).
    case choice([String])
    case uniform(low: Double, high: Double)
    case logUniform(low: Double, high: Double)
    case integer(low: Int, high: Int, log: Bool)
}

public struct TuneParameter: Sendable, Equatable {
    /// The dotted key path (`training.optimizer.learning_rate`).
    package var key: String
    package var domain: TuneDomain
}

package enum TuneSampler: Sendable, Equatable {
    case random
    case tpe(startupTrials: Int, candidates: Int)
}

package enum TunePruner: Sendable, Equatable {
    case none
    case asha(minEpochs: Int, reductionFactor: Int)
}

public struct TuneSpec: Sendable, Equatable {
    /// A validation metric of the base experiment.
    public var objective: MetricSpec
    package var direction: TuneDirection
    public var space: [TuneParameter]
    /// At most this many trials (nil: no limit but `totalEpochs`).
    public var trials: Int?
    /// At most this many training epochs over all trials (nil: no limit but `trials`).
    public var totalEpochs: Int?
    package var sampler: TuneSampler
    package var pruner: TunePruner
    package var seed: UInt64

    package static let defaultStartupTrials = 10
    package static let defaultCandidates = 24
    package static let defaultReductionFactor = 3
    /// The most trials a search may hold (each is a directory).
    public static let maxTrials = 100_000

    /// The section in a canonical text (keys in a fixed order, numbers round-tripping):
    /// what a search directory records, so that a changed section is recognised.
    package var canonicalText: String {
        func number(_ value: Double) -> String { "\(value)" }
        var lines = ["objective: \(objective)", "direction: \(direction.rawValue)"]
        for parameter in space {
            let domain: String
            switch parameter.domain {
            case .choice(let values): domain = "choice [" + values.joined(separator: ", ") + "]"
            case .uniform(let low, let high): domain = "uniform [\(number(low)), \(number(high))]"
            case .logUniform(let low, let high): domain = "log_uniform [\(number(low)), \(number(high))]"
            case .integer(let low, let high, let log): domain = "integer [\(low), \(high)]" + (log ? " log" : "")
            }
            lines.append("space \(parameter.key): \(domain)")
        }
        lines.append("trials: " + (trials.map { "\($0)" } ?? "none"))
        lines.append("total_epochs: " + (totalEpochs.map { "\($0)" } ?? "none"))
        switch sampler {
        case .random: lines.append("sampler: random")
        case .tpe(let startup, let candidates): lines.append("sampler: tpe startup_trials \(startup) candidates \(candidates)")
        }
        switch pruner {
        case .none: lines.append("pruner: none")
        case .asha(let minEpochs, let factor): lines.append("pruner: asha min_epochs \(minEpochs) reduction_factor \(factor)")
        }
        lines.append("seed: \(seed)")
        return lines.joined(separator: "\n") + "\n"
    }
}

/// A tune file loaded: the experiment every trial starts from and its search.
public struct TuneFile: Sendable {
    /// The file as given on the command line.
    package var path: String
    /// The experiment without `tune:`; its `output.dir` is the search directory.
    public var base: ExperimentSpec
    public var tune: TuneSpec
    /// The `--set` flags (`key.path=value`) the search was loaded with; every trial's config
    /// repeats them, so that it reruns alone.
    package var overrides: [String] = []
}
