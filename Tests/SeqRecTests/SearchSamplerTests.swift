import Foundation
import Testing
@testable import SeqRec
@testable import SeqRecCore
@testable import SeqRecNumerics

// MARK: - Synthetic objective with a known optimum

/// A learning rate (log-uniform), a dropout (uniform), a cell type (one right choice of four)
/// and a layer count (integer): the loss is 0 at lr = 3e-3, dropout = 0.3, choice 2, 3 layers,
/// and each term is scaled to about 1 over its range.
private let syntheticSpace = SearchSpace(parameters: [
    SearchParameter(key: "optimizer.learning_rate", domain: .logUniform(low: 1e-5, high: 1)),
    SearchParameter(key: "model.dropout", domain: .uniform(low: 0, high: 0.9)),
    SearchParameter(key: "model.cell", domain: .choice(count: 4)),
    SearchParameter(key: "model.layers", domain: .integer(low: 1, high: 8, log: false)),
])

private func syntheticLoss(_ values: [SearchValue]) -> Double {
    guard case .real(let lr) = values[0], case .real(let dropout) = values[1],
          case .choice(let cell) = values[2], case .integer(let layers) = values[3] else { return .infinity }
    let lrTerm = (log10(lr) - log10(3e-3)) / 5
    let dropoutTerm = (dropout - 0.3) / 0.9
    let layersTerm = Double(layers - 3) / 7
    return lrTerm * lrTerm + dropoutTerm * dropoutTerm + layersTerm * layersTerm + (cell == 2 ? 0 : 0.25)
}

/// The objective after each of `trials` sequential trials of `sampler` (every trial completes).
private func runSearch(_ sampler: some TrialSampler, trials: Int, seed: UInt64,
                       direction: ObjectiveDirection = .minimize) -> [Double] {
    var history: [TrialObservation] = []
    var objectives: [Double] = []
    for number in 0..<trials {
        let values = sampler.suggest(trialNumber: number, space: syntheticSpace, history: history,
                                     direction: direction, seed: seed)
        let loss = syntheticLoss(values)
        let objective = direction == .minimize ? loss : -loss
        history.append(TrialObservation(number: number, values: values, state: .complete, objective: objective))
        objectives.append(loss)
    }
    return objectives
}

/// 1-based number of the first trial whose loss is below `threshold`, or `cap + 1`.
private func trialsToReach(_ losses: [Double], threshold: Double) -> Int {
    (losses.firstIndex { $0 < threshold }).map { $0 + 1 } ?? losses.count + 1
}

private func mean(_ values: [Double]) -> Double { values.reduce(0, +) / Double(values.count) }

// MARK: - The Optuna fixture

private struct TPEFixture: Decodable {
    struct Parameter: Decodable {
        let key: String, kind: String
        let low: Double?, high: Double?, count: Int?, log: Bool?
        var domain: SearchDomain {
            switch kind {
            case "uniform": return .uniform(low: low ?? 0, high: high ?? 0)
            case "logUniform": return .logUniform(low: low ?? 0, high: high ?? 0)
            case "integer": return .integer(low: Int(low ?? 0), high: Int(high ?? 0), log: log ?? false)
            default: return .choice(count: count ?? 0)
            }
        }
    }
    struct Trial: Decodable {
        let number: Int, state: String
        let values: [String: Double]
        let objective: Double?
        let intermediate: [String: Double?]
    }
    struct Estimator: Decodable {
        let weights: [Double]
        let mus: [Double]?, sigmas: [Double]?, probabilities: [[Double]]?
        let points: [Double], logDensity: [Double]
    }
    struct Case: Decodable {
        let name: String, direction: String
        let trials: [Trial]
        let below: [Int], above: [Int]
        let estimators: [String: [String: Estimator]]
    }
    let optuna: String
    let space: [Parameter]
    let cases: [Case]

    func observations(_ c: Case) -> [TrialObservation] {
        c.trials.map { trial in
            let values: [SearchValue] = space.map { parameter in
                let v = trial.values[parameter.key] ?? .nan
                switch parameter.domain {
                case .uniform, .logUniform: return .real(v)
                case .integer: return .integer(Int(v))
                case .choice: return .choice(Int(v))
                }
            }
            var intermediate: [Int: Double] = [:]
            for (epoch, value) in trial.intermediate { intermediate[Int(epoch) ?? 0] = value ?? .nan }
            return TrialObservation(number: trial.number, values: values,
                                    state: TrialObservation.State(rawValue: trial.state) ?? .running,
                                    intermediate: intermediate, objective: trial.objective)
        }
    }
}

private func expectClose(_ actual: [Double], _ expected: [Double], _ what: String) {
    #expect(actual.count == expected.count, "\(what): \(actual.count) values, Optuna has \(expected.count)")
    for (a, e) in zip(actual, expected) {
        let close = a == e || abs(a - e) <= 1e-12 + 1e-9 * abs(e)
        #expect(close, "\(what): \(a), Optuna \(e)")
    }
}

@Suite struct SearchSamplerTests {
    // MARK: Optuna's estimator, exactly

    /// For fixed histories (maximize and minimize, pruned and failed trials, more than 25
    /// trials so that the ramp weights apply, tied integers), the good/other split and every
    /// parameter's two Parzen estimators (weights, means, sigmas or choice probabilities, and
    /// log-densities) equal Optuna's within 1e-9 relative.
    @Test func parzenEstimatorsMatchOptuna() throws {
        let url = ConfigFixtures.fixtures.appendingPathComponent("golden-search/tpe.json")
        let fixture = try JSONDecoder().decode(TPEFixture.self, from: Data(contentsOf: url))
        #expect(fixture.cases.count == 3)
        for c in fixture.cases {
            let direction = ObjectiveDirection(rawValue: c.direction) ?? .maximize
            let finished = fixture.observations(c).filter(TPESampler.isUsable).sorted { $0.number < $1.number }
            let (below, above) = TPESampler.split(finished, direction: direction)
            #expect(below.map(\.number) == c.below, "\(c.name): good trials")
            #expect(above.map(\.number) == c.above, "\(c.name): other trials")
            for (p, parameter) in fixture.space.enumerated() {
                for (side, trials) in [("below", below), ("above", above)] {
                    let what = "\(c.name) \(parameter.key) \(side)"
                    guard let expected = c.estimators[parameter.key]?[side] else {
                        Issue.record("\(what): missing in the fixture")
                        continue
                    }
                    let domain = parameter.domain
                    let estimator = ParzenEstimator(
                        observations: TPESampler.observations(trials, parameter: p, domain: domain), domain: domain)
                    expectClose(estimator.weights, expected.weights, "\(what) weights")
                    switch estimator.kernels {
                    case .numeric(let mus, let sigmas, _, _, _, _):
                        expectClose(mus, expected.mus ?? [], "\(what) means")
                        expectClose(sigmas, expected.sigmas ?? [], "\(what) sigmas")
                    case .categorical(let probabilities):
                        let rows = expected.probabilities ?? []
                        #expect(probabilities.count == rows.count, "\(what): kernels")
                        for (row, expectedRow) in zip(probabilities, rows) { expectClose(row, expectedRow, "\(what) probabilities") }
                    }
                    expectClose(expected.points.map(estimator.logDensity), expected.logDensity, "\(what) log-density")
                }
            }
        }
    }

    /// Optuna's gamma and weights at the boundaries: γ(n) = min(⌈n/10⌉, 25); weights 1 below 25
    /// observations, then a ramp from 1/n for the oldest n - 25.
    @Test func gammaAndWeightsFollowOptunasDefaults() {
        #expect([0, 1, 10, 11, 99, 240, 250, 251, 1000].map { TPESampler.goodCount(finished: $0) }
                == [0, 1, 1, 2, 10, 24, 25, 25, 25])
        #expect(ParzenEstimator.defaultWeights(24) == [Double](repeating: 1, count: 24))
        #expect(ParzenEstimator.defaultWeights(26) == [1.0 / 26] + [Double](repeating: 1, count: 25))
        let w = ParzenEstimator.defaultWeights(30)
        #expect(w.count == 30 && w[0] == 1.0 / 30 && w[4] == 1 && w[5] == 1)
        #expect(abs(w[2] - (1.0 / 30 + 0.5 * (1 - 1.0 / 30))) < 1e-15)
    }

    /// The truncated normal's quantile inverts its CDF, in the middle and far in both tails.
    @Test func truncatedNormalQuantileInvertsTheMass() {
        for (a, b) in [(-1.0, 2.0), (-30.0, -25.0), (4.0, 9.0), (-0.5, 0.5), (-40.0, 40.0)] {
            let total = TruncatedNormal.logMass(a, b)
            for q in [1e-6, 0.1, 0.5, 0.77, 1 - 1e-6] {
                let x = TruncatedNormal.quantile(q, a, b)
                #expect(x >= a && x <= b)
                let massBelow = exp(TruncatedNormal.logMass(a, x) - total)
                #expect(abs(massBelow - q) <= 1e-6 * max(q, 1e-3), "q \(q) on [\(a), \(b)]: \(massBelow)")
            }
        }
    }

    // MARK: Determinism

    /// The same arguments give the same values; shuffling the history changes nothing; before
    /// `startupTrials` finished trials TPE's trials are random search's.
    @Test func suggestIsAPureFunctionOfItsArguments() {
        let sampler = TPESampler()
        let losses = runSearch(RandomSampler(), trials: 30, seed: 9)
        var history: [TrialObservation] = []
        var generatorValues: [[SearchValue]] = []
        for n in 0..<30 {
            let values = RandomSampler().suggest(trialNumber: n, space: syntheticSpace, history: [],
                                                 direction: .minimize, seed: 9)
            generatorValues.append(values)
            history.append(TrialObservation(number: n, values: values, state: n % 5 == 4 ? .pruned : .complete,
                                            intermediate: [1: losses[n] + 0.1, 2: losses[n]],
                                            objective: n % 5 == 4 ? nil : losses[n]))
        }
        history.append(TrialObservation(number: 30, values: generatorValues[0], state: .failed))
        let first = sampler.suggest(trialNumber: 31, space: syntheticSpace, history: history, direction: .minimize, seed: 4)
        let again = sampler.suggest(trialNumber: 31, space: syntheticSpace, history: history, direction: .minimize, seed: 4)
        #expect(first == again)
        var shuffler = SeededGenerator(seed: 1)
        for _ in 0..<5 {
            let shuffled = history.shuffled(using: &shuffler)
            #expect(sampler.suggest(trialNumber: 31, space: syntheticSpace, history: shuffled,
                                    direction: .minimize, seed: 4) == first)
        }
        // Another trial number, seed or direction draws differently.
        #expect(sampler.suggest(trialNumber: 32, space: syntheticSpace, history: history, direction: .minimize, seed: 4) != first)
        #expect(sampler.suggest(trialNumber: 31, space: syntheticSpace, history: history, direction: .minimize, seed: 5) != first)
        #expect(sampler.suggest(trialNumber: 31, space: syntheticSpace, history: history, direction: .maximize, seed: 4) != first)
        // Nine finished trials (failed and running ones do not count): still random search.
        let early = Array(history.prefix(9)) + [TrialObservation(number: 40, values: generatorValues[1], state: .running)]
        #expect(sampler.suggest(trialNumber: 41, space: syntheticSpace, history: early, direction: .minimize, seed: 4)
                == RandomSampler().suggest(trialNumber: 41, space: syntheticSpace, history: [], direction: .minimize, seed: 4))
        // Every value lies in its domain.
        for n in 0..<20 {
            let values = sampler.suggest(trialNumber: 100 + n, space: syntheticSpace, history: history,
                                         direction: .minimize, seed: 4)
            #expect(values.count == 4)
            if case .real(let lr) = values[0] { #expect(lr >= 1e-5 && lr <= 1) } else { Issue.record("lr \(values[0])") }
            if case .real(let d) = values[1] { #expect(d >= 0 && d <= 0.9) } else { Issue.record("dropout \(values[1])") }
            if case .choice(let c) = values[2] { #expect((0..<4).contains(c)) } else { Issue.record("cell \(values[2])") }
            if case .integer(let l) = values[3] { #expect((1...8).contains(l)) } else { Issue.record("layers \(values[3])") }
        }
    }

    /// Domains with one value give it; a log-scaled integer domain stays in range.
    @Test func degenerateAndLogIntegerDomains() {
        let space = SearchSpace(parameters: [
            SearchParameter(key: "a", domain: .uniform(low: 2, high: 2)),
            SearchParameter(key: "b", domain: .choice(count: 1)),
            SearchParameter(key: "c", domain: .integer(low: 16, high: 512, log: true)),
        ])
        let history = (0..<12).map { n in
            TrialObservation(number: n, values: [.real(2), .choice(0), .integer(16 << (n % 6))], state: .complete,
                             objective: Double(n % 6))
        }
        for n in 0..<30 {
            let values = TPESampler().suggest(trialNumber: 12 + n, space: space, history: history, direction: .maximize, seed: 3)
            #expect(values[0] == .real(2) && values[1] == .choice(0))
            if case .integer(let c) = values[2] { #expect((16...512).contains(c)) } else { Issue.record("c \(values[2])") }
        }
    }

    // MARK: Better than random search

    /// Over 30 seeds, TPE reaches a near-optimal loss (< 0.05; a wrong cell alone costs 0.25)
    /// in fewer trials than random search on average, and its best loss after 60 trials is
    /// lower on average. Over eight blocks of 30 seeds the ratios were 0.42-0.49 (trials, with
    /// random search often censored at 61) and 0.07-0.19 (best loss); the bounds leave room.
    @Test func tpeBeatsRandomSearchOnASyntheticObjective() {
        let seeds = 30, trials = 60, threshold = 0.05
        var tpeTrials: [Double] = [], randomTrials: [Double] = []
        var tpeBest: [Double] = [], randomBest: [Double] = []
        for seed in 0..<seeds {
            let tpe = runSearch(TPESampler(), trials: trials, seed: UInt64(seed))
            let random = runSearch(RandomSampler(), trials: trials, seed: UInt64(seed))
            tpeTrials.append(Double(trialsToReach(tpe, threshold: threshold)))
            randomTrials.append(Double(trialsToReach(random, threshold: threshold)))
            tpeBest.append(tpe.min() ?? .infinity)
            randomBest.append(random.min() ?? .infinity)
        }
        print("TPE vs random over \(seeds) seeds: trials to loss < \(threshold) \(mean(tpeTrials)) vs \(mean(randomTrials)) (capped at \(trials + 1)); best after \(trials): \(mean(tpeBest)) vs \(mean(randomBest))")
        #expect(mean(tpeTrials) < 0.7 * mean(randomTrials))
        #expect(mean(tpeBest) < 0.4 * mean(randomBest))
    }

    /// The same in the other direction: maximizing the negated loss is as good (best loss after
    /// 40 trials over 20 seeds; ratios 0.14-0.35 over eight blocks of seeds).
    @Test func tpeMaximizesAsWellAsItMinimizes() {
        var tpeBest: [Double] = [], randomBest: [Double] = []
        for seed in 0..<20 {
            tpeBest.append(runSearch(TPESampler(), trials: 40, seed: UInt64(100 + seed), direction: .maximize).min() ?? .infinity)
            randomBest.append(runSearch(RandomSampler(), trials: 40, seed: UInt64(100 + seed), direction: .maximize).min() ?? .infinity)
        }
        #expect(mean(tpeBest) < 0.6 * mean(randomBest))
    }
}
