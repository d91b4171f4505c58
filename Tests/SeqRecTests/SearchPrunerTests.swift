import Foundation
import Testing
@testable import SeqRec
@testable import SeqRecCore
@testable import SeqRecNumerics

/// Seeded learning curves: trial i has a quality q ~ U(0, 1); its value after epoch e is
/// q (1 - 0.6 e^(-e/4)) plus uniform noise of ±`noise`, so the final value follows the quality.
private func syntheticCurves(trials: Int, epochs: Int, noise: Double, seed: UInt64) -> [[Double]] {
    var generator = SeededGenerator(seed: seed, stream: "asha-curves")
    return (0..<trials).map { _ in
        let quality = RandomSampler.unitDouble(&generator)
        return (1...epochs).map { e in
            quality * (1 - 0.6 * exp(-Double(e) / 4)) + noise * (2 * RandomSampler.unitDouble(&generator) - 1)
        }
    }
}

/// Trials run one after another, each pruned against the values the trials before it recorded
/// at the same rung (pruned ones included, as Optuna's storage keeps them). Returns the number
/// of epochs each trial ran.
private func runWithPruner(_ pruner: some TrialPruner, curves: [[Double]], direction: ObjectiveDirection) -> [Int] {
    let maxEpochs = curves.first?.count ?? 0
    let rungs = pruner.decisionEpochs(maxEpochs: maxEpochs)
    var recorded: [Int: [Double]] = [:]
    return curves.map { curve in
        for epoch in rungs {
            let value = curve[epoch - 1]
            let stop = pruner.shouldStop(epoch: epoch, value: value, competitors: recorded[epoch] ?? [], direction: direction)
            recorded[epoch, default: []].append(value)
            if stop { return epoch }
        }
        return maxEpochs
    }
}

private struct ASHAFixture: Decodable {
    struct Trial: Decodable {
        let values: [Double?]
        let prunedAt: Int?
    }
    struct Case: Decodable {
        let direction: String
        let minEpochs: Int, reductionFactor: Int, maxEpochs: Int
        let trials: [Trial]
    }
    let optuna: String
    let cases: [Case]
}

@Suite struct SearchPrunerTests {
    @Test func rungsAreMinEpochsTimesPowersOfTheFactorBeforeTheLastEpoch() {
        #expect(ASHAPruner(minEpochs: 1).decisionEpochs(maxEpochs: 30) == [1, 3, 9, 27])
        #expect(ASHAPruner(minEpochs: 1).decisionEpochs(maxEpochs: 27) == [1, 3, 9])
        #expect(ASHAPruner(minEpochs: 2, reductionFactor: 2).decisionEpochs(maxEpochs: 20) == [2, 4, 8, 16])
        #expect(ASHAPruner(minEpochs: 5, reductionFactor: 4).decisionEpochs(maxEpochs: 100) == [5, 20, 80])
        #expect(ASHAPruner(minEpochs: 3).decisionEpochs(maxEpochs: 3).isEmpty)
        #expect(ASHAPruner(minEpochs: 1).decisionEpochs(maxEpochs: 1).isEmpty)
        #expect(ASHAPruner(minEpochs: 1 << 60, reductionFactor: 16).decisionEpochs(maxEpochs: .max) == [1 << 60])
        // Off a rung nothing stops, however bad.
        #expect(!ASHAPruner(minEpochs: 2).shouldStop(epoch: 3, value: 0, competitors: [1, 1, 1, 1], direction: .maximize))
        #expect(ASHAPruner(minEpochs: 2).shouldStop(epoch: 6, value: 0, competitors: [1, 1, 1, 1], direction: .maximize))
    }

    /// Optuna's rule for few values: with fewer than η values at a rung only the best continues
    /// (the first trial always does); with m values the best ⌊m/η⌋; ties continue; NaN stops.
    @Test func theRuleForFewValues() {
        let pruner = ASHAPruner(minEpochs: 1, reductionFactor: 3)
        func stops(_ value: Double, _ others: [Double], _ direction: ObjectiveDirection = .maximize) -> Bool {
            pruner.shouldStop(epoch: 1, value: value, competitors: others, direction: direction)
        }
        #expect(!stops(0.1, []))
        #expect(!stops(0.5, [0.4]) && stops(0.3, [0.4]) && !stops(0.4, [0.4]))
        #expect(!stops(0.5, [0.4, 0.45]) && stops(0.42, [0.4, 0.45]))
        // 5 values: still only the best (⌊5/3⌋ = 1).
        let four = [0.1, 0.2, 0.3, 0.4]
        #expect(!stops(0.45, four) && stops(0.35, four) && !stops(0.4, four))
        // 6 values: the best 2 continue.
        let five = [0.1, 0.2, 0.3, 0.4, 0.5]
        #expect(!stops(0.45, five) && !stops(0.6, five) && stops(0.35, five))
        #expect(!stops(0.4, five))  // ties with the second best
        // Minimize: the smallest values continue.
        #expect(!stops(0.15, five, .minimize) && stops(0.25, five, .minimize) && !stops(0.2, five, .minimize))
        #expect(!stops(3, [], .minimize) && stops(0.5, [0.4], .minimize))
        // NaN stops; NaN competitors are not counted.
        #expect(stops(.nan, []))
        #expect(!stops(0.3, [.nan, .nan, 0.2]))
    }

    /// On seeded curves (40 trials, 27 epochs, rungs 1, 3, 9 with η = 3), pruning saves at
    /// least 60 % of the epochs, and the trial with the best final value is never pruned, over
    /// 30 seeds. Negating the curves and minimizing gives the same decisions.
    @Test func savesEpochsWithoutLosingTheBestTrial() {
        let pruner = ASHAPruner(minEpochs: 1, reductionFactor: 3)
        var saved: [Double] = []
        for seed in 0..<30 {
            let curves = syntheticCurves(trials: 40, epochs: 27, noise: 0.02, seed: UInt64(seed))
            let epochs = runWithPruner(pruner, curves: curves, direction: .maximize)
            let best = curves.indices.max { curves[$0][26] < curves[$1][26] } ?? 0
            #expect(epochs[best] == 27, "seed \(seed): the best trial (\(best)) stopped after \(epochs[best]) epochs")
            saved.append(1 - Double(epochs.reduce(0, +)) / Double(40 * 27))
            let negated = curves.map { $0.map { -$0 } }
            #expect(runWithPruner(pruner, curves: negated, direction: .minimize) == epochs, "seed \(seed)")
            // Without pruning every trial runs to its end.
            #expect(runWithPruner(NoPruner(), curves: curves, direction: .maximize) == [Int](repeating: 27, count: 40))
        }
        let share = saved.reduce(0, +) / Double(saved.count)
        print("ASHA (min 1, η 3, 27 epochs, 40 trials): \(Int((100 * share).rounded())) % of epochs saved on average, least \(Int((100 * (saved.min() ?? 0)).rounded())) %")
        #expect(saved.allSatisfy { $0 >= 0.6 })
    }

    /// Optuna's SuccessiveHalvingPruner, trials one after another on seeded curves (both
    /// directions, η 2, 3 and 4, ties and a NaN): each trial stops at the same epoch.
    @Test func prunesWhereOptunaPrunes() throws {
        let url = ConfigFixtures.fixtures.appendingPathComponent("golden-search/asha.json")
        let fixture = try JSONDecoder().decode(ASHAFixture.self, from: Data(contentsOf: url))
        #expect(fixture.cases.count == 4)
        for (index, c) in fixture.cases.enumerated() {
            let pruner = ASHAPruner(minEpochs: c.minEpochs, reductionFactor: c.reductionFactor)
            let curves = c.trials.map { $0.values.map { $0 ?? .nan } }
            let epochs = runWithPruner(pruner, curves: curves, direction: ObjectiveDirection(rawValue: c.direction) ?? .maximize)
            #expect(epochs == c.trials.map { $0.prunedAt ?? c.maxEpochs }, "case \(index)")
        }
    }
}
