import Foundation

/// Independent uniform draws for every parameter (random search, Bergstra & Bengio 2012):
/// the baseline every model-based sampler must beat. Trial n's values depend only on the seed
/// and n, so they are the same whatever the history and the number of parallel trials.
package struct RandomSampler: TrialSampler {
    package init() {}

    package func suggest(trialNumber: Int, space: SearchSpace, history: [TrialObservation],
                        direction: ObjectiveDirection, seed: UInt64) -> [SearchValue] {
        var generator = SeededGenerator(seed: seed, stream: "random-sampler-trial-\(trialNumber)")
        return space.parameters.map { Self.draw($0.domain, using: &generator) }
    }

    /// One uniform draw from `domain`.
    package static func draw(_ domain: SearchDomain, using generator: inout SeededGenerator) -> SearchValue {
        switch domain {
        case .choice(let count):
            return .choice(generator.nextInt(below: max(count, 1)))
        case .uniform(let low, let high):
            return .real(low + (high - low) * unitDouble(&generator))
        case .logUniform(let low, let high):
            return .real(exp(log(low) + (log(high) - log(low)) * unitDouble(&generator)))
        case .integer(let low, let high, let isLog):
            guard isLog, low > 0 else { return .integer(low + generator.nextInt(below: high - low + 1)) }
            // Uniform in log over [low - 0.5, high + 0.5], rounded, as Optuna does, so that the
            // end points get their share.
            let a = log(Double(low) - 0.5), b = log(Double(high) + 0.5)
            let drawn = Int(exp(a + (b - a) * unitDouble(&generator)).rounded())
            return .integer(min(max(drawn, low), high))
        }
    }

    /// Uniform in [0, 1) with 53 random bits.
    package static func unitDouble(_ generator: inout SeededGenerator) -> Double {
        Double(generator.next() >> 11) * (1.0 / 9_007_199_254_740_992.0)
    }
}
