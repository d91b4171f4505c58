/// Asynchronous successive halving (Li et al., MLSys 2020) as Optuna's
/// `SuccessiveHalvingPruner` with `min_early_stopping_rate=0` and `bootstrap_count=0`.
///
/// Rung k is the epoch `minEpochs * reductionFactor^k` (only rungs before the last epoch: a
/// decision there would save nothing). At a rung a trial continues iff its value is among the
/// best ⌊m / reductionFactor⌋ of the m values recorded at that rung, its own included; while
/// m < reductionFactor, iff it is the best of them (so the first trial to reach a rung always
/// continues). Ties count in the trial's favour. A NaN value stops the trial; NaN competitors
/// are ignored (a trial that recorded NaN was stopped there).
package struct ASHAPruner: TrialPruner {
    package let minEpochs: Int
    package let reductionFactor: Int

    /// `minEpochs` ≥ 1 and `reductionFactor` ≥ 2; smaller values are raised to those (the tune
    /// file's validation rejects them before they get here).
    package init(minEpochs: Int, reductionFactor: Int = 3) {
        self.minEpochs = max(minEpochs, 1)
        self.reductionFactor = max(reductionFactor, 2)
    }

    package func decisionEpochs(maxEpochs: Int) -> [Int] {
        var epochs: [Int] = []
        var epoch = minEpochs
        while epoch < maxEpochs {
            epochs.append(epoch)
            let (next, overflow) = epoch.multipliedReportingOverflow(by: reductionFactor)
            if overflow { break }
            epoch = next
        }
        return epochs
    }

    /// Whether `epoch` is a rung (whatever the run's length).
    package func isRung(_ epoch: Int) -> Bool {
        var rung = minEpochs
        while rung < epoch {
            let (next, overflow) = rung.multipliedReportingOverflow(by: reductionFactor)
            if overflow { return false }
            rung = next
        }
        return rung == epoch
    }

    package func shouldStop(epoch: Int, value: Double, competitors: [Double], direction: ObjectiveDirection) -> Bool {
        guard isRung(epoch) else { return false }
        if value.isNaN { return true }
        var values = competitors.filter { !$0.isNaN }
        values.append(value)
        // Rank from the best: the trial continues iff it is at least as good as the value in
        // place max(⌊m / η⌋ - 1, 0) (0-based) of the values sorted best first.
        values.sort { direction.isBetter($0, than: $1) }
        let place = max(values.count / reductionFactor - 1, 0)
        return direction.isBetter(values[place], than: value)
    }
}
