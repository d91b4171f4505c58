// Inline SVG charts: lines with min-max bands, and grouped bars with error bars. Sized by
// viewBox only, so they scale to their container. Every drawn series carries a class
// (`series`, `band`, `bar`) so tests and scripts/check_html.sh can find it.

import Foundation

struct ChartPoint {
    var x: Double
    var y: Double
    /// Range over seeds; equal to y for a single seed.
    var low: Double
    var high: Double
}

struct LineSeries {
    var label: String
    var color: String
    var points: [ChartPoint]
}

struct BarSeries {
    var label: String
    var color: String
    /// One value per group; nil draws nothing.
    var values: [Double?]
    /// Error half-widths (standard deviation), nil for none.
    var errors: [Double?]
}

enum SVGChart {
    static let width = 600.0
    static let height = 340.0
    static let left = 70.0, right = 14.0, top = 14.0, bottom = 52.0
    static let palette = ["#4e79a7", "#f28e2b", "#e15759", "#76b7b2", "#59a14f", "#edc948", "#b07aa1", "#ff9da7",
                          "#9c755f", "#6b6b6b"]

    static func color(_ index: Int) -> String { palette[index % palette.count] }

    private static func number(_ value: Double) -> String { ComparisonFormatting.fixed(value, 1) }
    private static func escape(_ text: String) -> String { ComparisonFormatting.escapeHTML(text) }

    private static var plotWidth: Double { width - left - right }
    private static var plotHeight: Double { height - top - bottom }

    private static func open(_ label: String) -> String {
        "<svg class=\"chart\" viewBox=\"0 0 \(number(width)) \(number(height))\" role=\"img\" "
            + "aria-label=\"\(escape(label))\" xmlns=\"http://www.w3.org/2000/svg\">"
    }

    /// Horizontal grid lines and labels of the y axis, and both axis titles.
    private static func frame(yAxis: ChartAxis, xLabel: String, yLabel: String) -> [String] {
        var parts: [String] = []
        for tick in yAxis.ticks {
            let y = top + plotHeight * (1 - (tick - yAxis.lower) / (yAxis.upper - yAxis.lower))
            parts.append("<line class=\"grid\" x1=\"\(number(left))\" x2=\"\(number(width - right))\" "
                + "y1=\"\(number(y))\" y2=\"\(number(y))\"/>")
            parts.append("<text class=\"tick\" x=\"\(number(left - 8))\" y=\"\(number(y + 5))\" "
                + "text-anchor=\"end\">\(escape(yAxis.label(tick)))</text>")
        }
        parts.append("<line class=\"axis\" x1=\"\(number(left))\" x2=\"\(number(width - right))\" "
            + "y1=\"\(number(top + plotHeight))\" y2=\"\(number(top + plotHeight))\"/>")
        parts.append("<text class=\"axis-title\" x=\"\(number(left + plotWidth / 2))\" y=\"\(number(height - 8))\" "
            + "text-anchor=\"middle\">\(escape(xLabel))</text>")
        parts.append("<text class=\"axis-title\" transform=\"translate(16 \(number(top + plotHeight / 2))) rotate(-90)\" "
            + "text-anchor=\"middle\">\(escape(yLabel))</text>")
        return parts
    }

    /// Lines over integer x (epochs); each series' min-max band is drawn under its line.
    static func lines(_ series: [LineSeries], xLabel: String, yLabel: String) -> String {
        let points = series.flatMap(\.points)
        let xs = points.map(\.x)
        let xAxis = ChartAxis(low: xs.min() ?? 1, high: xs.max() ?? 1, targetTicks: 6)
        let yAxis = ChartAxis(low: points.map(\.low).min() ?? 0, high: points.map(\.high).max() ?? 1)
        // Epoch ticks are whole numbers.
        let xTicks = xAxis.ticks.filter { $0 == $0.rounded() && $0 >= (xs.min() ?? 0) - 1e-9 }
        let xLow = xs.min() ?? 0, xHigh = max(xs.max() ?? 1, (xs.min() ?? 0) + 1)
        func px(_ x: Double) -> Double { left + plotWidth * (x - xLow) / (xHigh - xLow) }
        func py(_ y: Double) -> Double { top + plotHeight * (1 - (y - yAxis.lower) / (yAxis.upper - yAxis.lower)) }

        var parts = [open("\(yLabel) against \(xLabel)")]
        parts += frame(yAxis: yAxis, xLabel: xLabel, yLabel: yLabel)
        for tick in xTicks where tick <= xHigh + 1e-9 {
            parts.append("<text class=\"tick\" x=\"\(number(px(tick)))\" y=\"\(number(top + plotHeight + 20))\" "
                + "text-anchor=\"middle\">\(escape(ComparisonFormatting.fixed(tick, 0)))</text>")
        }
        for line in series where !line.points.isEmpty {
            let label = escape(line.label)
            if line.points.contains(where: { $0.high > $0.low }) {
                let upper = line.points.map { "\(number(px($0.x))) \(number(py($0.high)))" }
                let lower = line.points.reversed().map { "\(number(px($0.x))) \(number(py($0.low)))" }
                parts.append("<path class=\"band\" data-series=\"\(label)\" fill=\"\(line.color)\" fill-opacity=\"0.18\" "
                    + "stroke=\"none\" d=\"M \((upper + lower).joined(separator: " L ")) Z\"/>")
            }
            let path = line.points.map { "\(number(px($0.x))) \(number(py($0.y)))" }.joined(separator: " L ")
            parts.append("<path class=\"series\" data-series=\"\(label)\" fill=\"none\" stroke=\"\(line.color)\" "
                + "stroke-width=\"2.5\" stroke-linejoin=\"round\" d=\"M \(path)\"><title>\(label)</title></path>")
            if line.points.count <= 25 {
                for point in line.points {
                    parts.append("<circle class=\"point\" cx=\"\(number(px(point.x)))\" cy=\"\(number(py(point.y)))\" "
                        + "r=\"3.5\" fill=\"\(line.color)\"/>")
                }
            }
        }
        parts.append("</svg>")
        return parts.joined(separator: "\n")
    }

    /// Bars grouped by `groups` (one bar per series in each group), with error bars.
    static func bars(groups: [String], series: [BarSeries], yLabel: String, xLabel: String) -> String {
        var tops: [Double] = [0]
        var bottoms: [Double] = [0]
        for bar in series {
            for (value, error) in zip(bar.values, bar.errors) {
                guard let value, value.isFinite else { continue }
                let spread = error.flatMap { $0.isFinite ? $0 : nil } ?? 0
                tops.append(value + spread)
                bottoms.append(value - spread)
            }
        }
        let yAxis = ChartAxis(low: bottoms.min() ?? 0, high: tops.max() ?? 1)
        func py(_ y: Double) -> Double { top + plotHeight * (1 - (y - yAxis.lower) / (yAxis.upper - yAxis.lower)) }
        let groupWidth = plotWidth / Double(max(groups.count, 1))
        let barWidth = groupWidth * 0.8 / Double(max(series.count, 1))

        var parts = [open("\(yLabel) by \(xLabel)")]
        parts += frame(yAxis: yAxis, xLabel: xLabel, yLabel: yLabel)
        for (groupIndex, group) in groups.enumerated() {
            let groupLeft = left + groupWidth * Double(groupIndex)
            if groups.count > 1 || !group.isEmpty {
                parts.append("<text class=\"tick\" x=\"\(number(groupLeft + groupWidth / 2))\" "
                    + "y=\"\(number(top + plotHeight + 20))\" text-anchor=\"middle\">\(escape(group))</text>")
            }
            for (seriesIndex, bar) in series.enumerated() {
                guard groupIndex < bar.values.count, let value = bar.values[groupIndex], value.isFinite else { continue }
                let x = groupLeft + groupWidth * 0.1 + barWidth * Double(seriesIndex)
                let zero = py(max(yAxis.lower, min(0, yAxis.upper)))
                let valueY = py(value)
                parts.append("<rect class=\"bar\" data-series=\"\(escape(bar.label))\" x=\"\(number(x + barWidth * 0.06))\" "
                    + "y=\"\(number(min(zero, valueY)))\" width=\"\(number(barWidth * 0.88))\" "
                    + "height=\"\(number(abs(zero - valueY)))\" fill=\"\(bar.color)\"><title>\(escape(bar.label)): "
                    + "\(escape(ComparisonFormatting.fixed(value, 4)))</title></rect>")
                if groupIndex < bar.errors.count, let error = bar.errors[groupIndex], error.isFinite, error > 0 {
                    let center = number(x + barWidth / 2)
                    let capLeft = number(x + barWidth * 0.3), capRight = number(x + barWidth * 0.7)
                    let high = number(py(value + error)), low = number(py(value - error))
                    parts.append("<path class=\"error-bar\" d=\"M \(center) \(high) L \(center) \(low) M \(capLeft) "
                        + "\(high) L \(capRight) \(high) M \(capLeft) \(low) L \(capRight) \(low)\"/>")
                }
            }
        }
        parts.append("</svg>")
        return parts.joined(separator: "\n")
    }
}
