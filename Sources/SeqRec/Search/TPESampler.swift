import Foundation

/// The Tree-structured Parzen Estimator (Bergstra et al., NeurIPS 2011) as Optuna's
/// `TPESampler` runs it by default (univariate, single objective): each parameter is chosen on
/// its own from the finished trials.
///
/// - While fewer than `startupTrials` trials have finished (complete or pruned), a trial is
///   random search's trial of the same number and seed (`RandomSampler`).
/// - Then the n finished trials split into the γ(n) = min(⌈0.1 n⌉, 25) best ("below") and the
///   rest ("above"): complete trials ranked by objective first, then pruned trials ranked by
///   the epoch they reached (later is better) and their last intermediate value. Failed and
///   running trials, and complete trials without an objective, take no part.
/// - For each parameter, a Parzen estimator l(x) of the below trials' values and g(x) of the
///   above ones (`ParzenEstimator`); `candidates` values drawn from l, and the one with the
///   largest l(x)/g(x) is the trial's.
///
/// `suggest` is a pure function of its arguments: the draws come from a generator seeded by
/// `seed` and the trial number, and `history` is sorted by trial number first.
package struct TPESampler: TrialSampler {
    package let startupTrials: Int
    package let candidates: Int

    package init(startupTrials: Int = 10, candidates: Int = 24) {
        self.startupTrials = startupTrials
        self.candidates = max(candidates, 1)
    }

    package func suggest(trialNumber: Int, space: SearchSpace, history: [TrialObservation],
                        direction: ObjectiveDirection, seed: UInt64) -> [SearchValue] {
        let finished = history.filter { Self.isUsable($0) }.sorted { $0.number < $1.number }
        guard finished.count >= startupTrials else {
            return RandomSampler().suggest(trialNumber: trialNumber, space: space, history: history,
                                           direction: direction, seed: seed)
        }
        let (below, above) = Self.split(finished, direction: direction)
        var generator = SeededGenerator(seed: seed, stream: "tpe-sampler-trial-\(trialNumber)")
        return space.parameters.indices.map { p in
            let domain = space.parameters[p].domain
            if let only = Self.singleValue(domain) { return only }
            let l = ParzenEstimator(observations: Self.observations(below, parameter: p, domain: domain), domain: domain)
            let g = ParzenEstimator(observations: Self.observations(above, parameter: p, domain: domain), domain: domain)
            var best = l.sample(using: &generator)
            var bestScore = l.logDensity(best) - g.logDensity(best)
            for _ in 1..<candidates {
                let x = l.sample(using: &generator)
                let score = l.logDensity(x) - g.logDensity(x)
                if score > bestScore || (bestScore.isNaN && !score.isNaN) { (best, bestScore) = (x, score) }
            }
            return Self.value(best, domain: domain)
        }
    }

    /// Optuna's `default_gamma`: how many of n finished trials are "good".
    package static func goodCount(finished n: Int) -> Int {
        min(Int((0.1 * Double(n)).rounded(.up)), 25)
    }

    /// Whether a trial informs the sampler: complete with an objective, or pruned.
    static func isUsable(_ trial: TrialObservation) -> Bool {
        switch trial.state {
        case .complete: return trial.objective.map { !$0.isNaN } ?? false
        case .pruned: return true
        case .running, .failed: return false
        }
    }

    /// The good and the other trials (each in trial-number order), as Optuna's `_split_trials`:
    /// the best complete trials first; if fewer than γ(n) are complete, the best pruned ones.
    static func split(_ finished: [TrialObservation], direction: ObjectiveDirection)
        -> (below: [TrialObservation], above: [TrialObservation]) {
        var wanted = goodCount(finished: finished.count)
        let sign = direction == .minimize ? 1.0 : -1.0
        // Stable sorts (ties keep trial-number order), smaller key first.
        func ranked(_ trials: [TrialObservation], by key: (TrialObservation) -> (Double, Double)) -> [TrialObservation] {
            trials.enumerated().sorted { a, b in
                let (ka, kb) = (key(a.element), key(b.element))
                if ka.0 != kb.0 { return ka.0 < kb.0 }
                if ka.1 != kb.1 { return ka.1 < kb.1 }
                return a.offset < b.offset
            }.map(\.element)
        }
        let complete = ranked(finished.filter { $0.state == .complete }) { (0, sign * ($0.objective ?? .nan)) }
        let pruned = ranked(finished.filter { $0.state == .pruned }) { trial in
            // Optuna's `_get_pruned_trial_score`: (-last step, value), NaN last within its step;
            // no intermediate value at all ranks after every pruned trial that has one.
            guard let (epoch, value) = trial.intermediate.max(by: { $0.key < $1.key }) else { return (1, 0) }
            return (-Double(epoch), value.isNaN ? .infinity : sign * value)
        }
        let goodComplete = min(wanted, complete.count)
        var below = Array(complete.prefix(goodComplete)), above = Array(complete.dropFirst(goodComplete))
        wanted -= goodComplete
        let goodPruned = min(wanted, pruned.count)
        below += pruned.prefix(goodPruned)
        above += pruned.dropFirst(goodPruned)
        below.sort { $0.number < $1.number }
        above.sort { $0.number < $1.number }
        return (below, above)
    }

    /// Parameter `p`'s values in `trials`, as numbers, skipping values that do not fit `domain`
    /// (a trial recorded under another search space).
    static func observations(_ trials: [TrialObservation], parameter p: Int, domain: SearchDomain) -> [Double] {
        trials.compactMap { trial in
            guard p < trial.values.count else { return nil }
            switch (domain, trial.values[p]) {
            case (.uniform(let low, let high), .real(let x)), (.logUniform(let low, let high), .real(let x)):
                return x >= low && x <= high ? x : nil
            case (.integer(let low, let high, _), .integer(let x)):
                return x >= low && x <= high ? Double(x) : nil
            case (.choice(let count), .choice(let c)):
                return c >= 0 && c < count ? Double(c) : nil
            default:
                return nil
            }
        }
    }

    /// The value of a domain that holds only one, if it does.
    static func singleValue(_ domain: SearchDomain) -> SearchValue? {
        switch domain {
        case .choice(let count): return count <= 1 ? .choice(0) : nil
        case .uniform(let low, let high), .logUniform(let low, let high): return low >= high ? .real(low) : nil
        case .integer(let low, let high, _): return low >= high ? .integer(low) : nil
        }
    }

    static func value(_ x: Double, domain: SearchDomain) -> SearchValue {
        switch domain {
        case .choice: return .choice(Int(x))
        case .uniform, .logUniform: return .real(x)
        case .integer: return .integer(Int(x))
        }
    }
}
