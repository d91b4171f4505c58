// Axis ranges with "nice" ticks (1, 2, 5 x 10^k) for the SVG charts.

import Foundation

struct ChartAxis {
    var lower: Double
    var upper: Double
    var ticks: [Double]

    /// Covers `low...high` with about `targetTicks` nice ticks; a zero-width range is widened.
    init(low: Double, high: Double, targetTicks: Int = 5) {
        var low = low, high = high
        if !(low.isFinite && high.isFinite) { low = 0; high = 1 }
        if high - low < 1e-12 {
            let pad = abs(low) > 1e-12 ? abs(low) * 0.1 : 1
            low -= pad
            high += pad
        }
        let step = Self.niceStep((high - low) / Double(max(targetTicks - 1, 1)))
        lower = (low / step).rounded(.down) * step
        upper = (high / step).rounded(.up) * step
        var ticks: [Double] = []
        var tick = lower
        while tick <= upper + step * 1e-9 {
            ticks.append(abs(tick) < step * 1e-9 ? 0 : tick)
            tick += step
        }
        self.ticks = ticks
    }

    static func niceStep(_ rough: Double) -> Double {
        let magnitude = pow(10, (log10(rough)).rounded(.down))
        let fraction = rough / magnitude
        let nice: Double = fraction <= 1 ? 1 : fraction <= 2 ? 2 : fraction <= 5 ? 5 : 10
        return nice * magnitude
    }

    /// Tick text with as many decimals as the step needs.
    func label(_ value: Double) -> String {
        let step = ticks.count > 1 ? ticks[1] - ticks[0] : 1
        let decimals = max(0, Int((-log10(step)).rounded(.up)))
        return ComparisonFormatting.fixed(value, min(decimals, 6))
    }
}
