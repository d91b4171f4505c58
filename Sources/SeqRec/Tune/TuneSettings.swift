// A tune file's section as the search sees it: the search space, the sampler, the pruner and
// the objective's direction (Search/), and a trial's values as the YAML its config writes.

import Foundation

package struct TuneSettings: Sendable {
    package let spec: TuneSpec
    package let space: SearchSpace
    package let sampler: any TrialSampler
    package let pruner: any TrialPruner
    package let direction: ObjectiveDirection

    package init(_ spec: TuneSpec) {
        self.spec = spec
        space = SearchSpace(parameters: spec.space.map { parameter in
            switch parameter.domain {
            case .choice(let values): return SearchParameter(key: parameter.key, domain: .choice(count: values.count))
            case .uniform(let low, let high): return SearchParameter(key: parameter.key, domain: .uniform(low: low, high: high))
            case .logUniform(let low, let high): return SearchParameter(key: parameter.key, domain: .logUniform(low: low, high: high))
            case .integer(let low, let high, let log): return SearchParameter(key: parameter.key, domain: .integer(low: low, high: high, log: log))
            }
        })
        switch spec.sampler {
        case .random: sampler = RandomSampler()
        case .tpe(let startup, let candidates): sampler = TPESampler(startupTrials: startup, candidates: candidates)
        }
        switch spec.pruner {
        case .none: pruner = NoPruner()
        case .asha(let minEpochs, let factor): pruner = ASHAPruner(minEpochs: minEpochs, reductionFactor: factor)
        }
        direction = spec.direction == .maximize ? .maximize : .minimize
    }

    /// The objective's name in validation metrics (`ndcg@10`).
    package var objectiveName: String { spec.objective.description }

    /// Each parameter's value as YAML text, in the space's order: a real as the shortest
    /// text that reads back to the same double, a choice as the tune file wrote it.
    package func settings(_ values: [SearchValue]) -> [TrialSetting] {
        zip(spec.space, values).map { parameter, value in
            let text: String
            switch (parameter.domain, value) {
            case (.choice(let options), .choice(let index)) where options.indices.contains(index): text = options[index]
            case (_, .real(let number)): text = "\(number)"
            case (_, .integer(let number)): text = "\(number)"
            case (_, .choice(let index)): text = "\(index)"
            }
            return TrialSetting(key: parameter.key, value: text)
        }
    }

    /// The best of `values` in the objective's direction.
    package func best(_ values: [Double]) -> Double? {
        values.filter(\.isFinite).reduce(nil) { best, value in
            guard let best else { return value }
            return direction.isBetter(value, than: best) ? value : best
        }
    }
}

/// One searched key and its value in a trial, as YAML text.
package struct TrialSetting: Sendable, Equatable, Codable {
    package var key: String
    package var value: String
}
