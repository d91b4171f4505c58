import Foundation

/// A Parzen estimator of one parameter (Bergstra et al., NeurIPS 2011), as Optuna's univariate
/// TPE builds it (`optuna/samplers/_tpe/parzen_estimator.py`): a weighted mixture of one kernel
/// per observed value plus one prior kernel over the whole range.
///
/// Values are in the parameter's own units (`.real` and `.integer` as numbers, `.choice` as its
/// index). Numeric kernels are normals truncated to the range, in log space for log domains;
/// integer domains widen the range by half a step each side and give each integer the kernel's
/// mass over [x - ½, x + ½]. A choice kernel is a distribution over the choices: its observed
/// choice gets 1 + prior/(n + 1), every choice prior/(n + 1), normalised; the prior kernel is
/// uniform.
struct ParzenEstimator: Sendable {
    /// The prior kernel's weight before normalising (Optuna's `prior_weight`, default 1).
    static let priorWeight = 1.0

    enum Kernels: Sendable {
        /// Normals with means `mus` and standard deviations `sigmas` (in log space when `isLog`)
        /// truncated to [low, high] (widened by `step / 2` for integers). `step` is 0 for reals.
        case numeric(mus: [Double], sigmas: [Double], low: Double, high: Double, step: Double, isLog: Bool)
        /// `probabilities[k][c]`: kernel k's probability of choice c.
        case categorical(probabilities: [[Double]])
    }

    /// The mixture weights, summing to 1; the last is the prior kernel's.
    let weights: [Double]
    let kernels: Kernels
    let domain: SearchDomain
    /// Per kernel, the terms of its log-density that do not depend on x: log weight minus the
    /// log of its mass inside the range (the truncation) and, for reals, minus log sigma.
    private let logScales: [Double]

    /// The estimator of `observations` (values of one parameter, in trial-number order), weighted
    /// by Optuna's `default_weights`.
    init(observations: [Double], domain: SearchDomain) {
        self.domain = domain
        let n = observations.count
        var w = n == 0 ? [1.0] : Self.defaultWeights(n) + [Self.priorWeight]
        let total = w.reduce(0, +)
        for k in w.indices { w[k] /= total }
        weights = w

        switch domain {
        case .choice(let count):
            let choices = max(count, 1)
            guard n > 0 else {
                kernels = .categorical(probabilities: [[Double](repeating: 1 / Double(choices), count: choices)])
                logScales = w.map { log($0) }
                return
            }
            let fill = Self.priorWeight / Double(n + 1)
            var rows = [[Double]](repeating: [Double](repeating: fill, count: choices), count: n + 1)
            for (k, value) in observations.enumerated() {
                let c = Int(value)
                if c >= 0 && c < choices { rows[k][c] += 1 }
            }
            for k in rows.indices {
                let sum = rows[k].reduce(0, +)
                if sum > 0 { rows[k] = rows[k].map { $0 / sum } }
            }
            kernels = .categorical(probabilities: rows)
            logScales = w.map { log($0) }

        case .uniform, .logUniform, .integer:
            let range = Self.adaptedRange(domain)
            let isLog = range.isLog
            let (low, high) = (range.low, range.high)
            let mus = isLog ? observations.map { log($0) } : observations
            var sigmas = Self.bandwidths(mus, low: low, high: high)
            let allMus = mus + [0.5 * (low + high)]
            sigmas.append(high - low)
            kernels = .numeric(mus: allMus, sigmas: sigmas, low: low, high: high, step: range.step, isLog: isLog)
            logScales = allMus.indices.map { k in
                let (mu, sigma) = (allMus[k], sigmas[k])
                let logNormaliser = TruncatedNormal.logMass((low - mu) / sigma, (high - mu) / sigma)
                return log(w[k]) - logNormaliser - (range.step == 0 ? log(sigma) : 0)
            }
        }
    }

    /// Optuna's `default_weights`: 1 for the newest 25 observations, a linear ramp from 1/n up to
    /// 1 for the older ones, so that the estimator forgets early trials slowly.
    static func defaultWeights(_ n: Int) -> [Double] {
        if n < 25 { return [Double](repeating: 1, count: n) }
        let rampCount = n - 25
        let start = 1.0 / Double(n)
        // numpy.linspace(1/n, 1, n - 25): endpoints exact, interior start + k * delta.
        var ramp = [Double](repeating: 0, count: rampCount)
        if rampCount == 1 {
            ramp[0] = start
        } else if rampCount > 1 {
            let delta = (1.0 - start) / Double(rampCount - 1)
            for k in 0..<rampCount { ramp[k] = start + Double(k) * delta }
            ramp[rampCount - 1] = 1.0
        }
        return ramp + [Double](repeating: 1, count: 25)
    }

    /// The numeric range the kernels live on: log-transformed for log domains, widened by half a
    /// step each side for integers.
    static func adaptedRange(_ domain: SearchDomain) -> (low: Double, high: Double, step: Double, isLog: Bool) {
        switch domain {
        case .uniform(let low, let high):
            return (low, high, 0, false)
        case .logUniform(let low, let high):
            return (log(low), log(high), 0, true)
        case .integer(let low, let high, let isLog):
            let l = Double(low) - 0.5, h = Double(high) + 0.5
            return isLog ? (log(l), log(h), 1, true) : (l, h, 1, false)
        case .choice:
            return (0, 0, 0, false)
        }
    }

    /// Each kernel's bandwidth: the larger gap to its sorted neighbours (the range's ends count
    /// as neighbours, except that the lowest and highest observations look only inwards when
    /// there are two or more: Optuna's consider_endpoints=False), clipped to
    /// [(high - low) / min(100, n + 2), high - low] (the "magic clip").
    static func bandwidths(_ mus: [Double], low: Double, high: Double) -> [Double] {
        let n = mus.count
        guard n > 0 else { return [] }
        // Ties keep trial-number order, so the result does not depend on the sort algorithm.
        let order = mus.indices.sorted { mus[$0] != mus[$1] ? mus[$0] < mus[$1] : $0 < $1 }
        let withEnds: [Double] = [low] + order.map { mus[$0] } + [high]
        var sorted = [Double](repeating: 0, count: n)
        for i in 1...n {
            let gapBelow: Double = withEnds[i] - withEnds[i - 1]
            let gapAbove: Double = withEnds[i + 1] - withEnds[i]
            sorted[i - 1] = max(gapBelow, gapAbove)
        }
        if n >= 2 {
            sorted[0] = withEnds[2] - withEnds[1]
            sorted[n - 1] = withEnds[n] - withEnds[n - 1]
        }
        let maxSigma = high - low
        let minSigma = (high - low) / min(100.0, Double(n + 2))
        var sigmas = [Double](repeating: 0, count: n)
        for (rank, index) in order.enumerated() { sigmas[index] = min(max(sorted[rank], minSigma), maxSigma) }
        return sigmas
    }

    /// log of the mixture's density (probability, for integers and choices) at `x`; -∞ outside
    /// the range. For log domains the density is that of log x, as Optuna's.
    func logDensity(_ x: Double) -> Double {
        var terms = [Double](repeating: 0, count: weights.count)
        switch kernels {
        case .categorical(let probabilities):
            let c = x.isFinite ? Int(x) : -1
            for k in weights.indices {
                let p = c >= 0 && c < probabilities[k].count ? probabilities[k][c] : 0
                terms[k] = log(p) + logScales[k]
            }
        case .numeric(let mus, let sigmas, let low, let high, let step, let isLog):
            if step == 0 {
                let t = isLog ? log(x) : x
                guard t >= low && t <= high else { return -.infinity }
                for k in weights.indices {
                    terms[k] = TruncatedNormal.logDensity((t - mus[k]) / sigmas[k]) + logScales[k]
                }
            } else {
                let left = isLog ? log(x - step / 2) : x - step / 2
                let right = isLog ? log(x + step / 2) : x + step / 2
                guard left >= low - 1e-12 * abs(low) && right <= high + 1e-12 * abs(high) else { return -.infinity }
                for k in weights.indices {
                    terms[k] = TruncatedNormal.logMass((left - mus[k]) / sigmas[k], (right - mus[k]) / sigmas[k])
                        + logScales[k]
                }
            }
        }
        let largest = terms.max() ?? -.infinity
        guard largest > -.infinity else { return -.infinity }
        return largest + log(terms.reduce(0) { $0 + exp($1 - largest) })
    }

    /// One draw from the mixture: a kernel by weight, then a value from it.
    func sample(using generator: inout SeededGenerator) -> Double {
        var u = RandomSampler.unitDouble(&generator)
        var k = weights.count - 1
        for (index, weight) in weights.enumerated() {
            if u < weight { k = index; break }
            u -= weight
        }
        switch kernels {
        case .categorical(let probabilities):
            var v = RandomSampler.unitDouble(&generator)
            let row = probabilities[k]
            for (c, p) in row.enumerated() {
                if v < p { return Double(c) }
                v -= p
            }
            return Double(row.count - 1)
        case .numeric(let mus, let sigmas, let low, let high, _, let isLog):
            let (mu, sigma) = (mus[k], sigmas[k])
            let q = RandomSampler.unitDouble(&generator)
            var t = mu + sigma * TruncatedNormal.quantile(q, (low - mu) / sigma, (high - mu) / sigma)
            t = t.isNaN ? mu : min(max(t, low), high)
            let value = isLog ? exp(t) : t
            switch domain {
            case .uniform(let l, let h), .logUniform(let l, let h):
                return min(max(value, l), h)
            case .integer(let l, let h, _):
                return min(max(value.rounded(), Double(l)), Double(h))
            case .choice:
                return value
            }
        }
    }
}
