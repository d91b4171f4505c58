// Stand-in: replaced by the real implementation at merge.

/// Asynchronous successive halving (stand-in): rungs at min_epochs * factor^k; at a rung a
/// trial continues when it is in the top 1/factor of the values recorded there (itself
/// included), or when fewer than `factor` values are known.
public struct ASHAPruner: TrialPruner {
    public let minEpochs: Int
    public let reductionFactor: Int

    public init(minEpochs: Int, reductionFactor: Int = 3) {
        self.minEpochs = max(minEpochs, 1)
        self.reductionFactor = max(reductionFactor, 2)
    }

    public func decisionEpochs(maxEpochs: Int) -> [Int] {
        var epochs: [Int] = []
        var epoch = minEpochs
        while epoch < maxEpochs {
            epochs.append(epoch)
            epoch *= reductionFactor
        }
        return epochs
    }

    public func shouldStop(epoch: Int, value: Double, competitors: [Double], direction: ObjectiveDirection) -> Bool {
        let kept = (competitors.count + 1) / reductionFactor
        guard kept > 0 else { return false }
        let better = competitors.filter { direction.isBetter($0, than: value) }.count
        return better >= kept
    }
}
