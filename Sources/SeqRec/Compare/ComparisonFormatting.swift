// Number and text formatting shared by the markdown, CSV and HTML outputs.

import Foundation

enum ComparisonFormatting {
    /// Fixed decimals without a `-0.000`.
    static func fixed(_ value: Double, _ decimals: Int) -> String {
        let text = String(format: "%.\(decimals)f", value)
        if text.hasPrefix("-"), text.dropFirst().allSatisfy({ $0 == "0" || $0 == "." }) { return String(text.dropFirst()) }
        return text
    }

    /// `0.0412 ± 0.0013`, or `0.0412` for a single seed.
    static func meanAndDeviation(_ summary: ValueSummary?, decimals: Int = 4) -> String {
        guard let summary else { return "-" }
        let mean = fixed(summary.mean, decimals)
        return summary.standardDeviation.map { "\(mean) ± \(fixed($0, decimals))" } ?? mean
    }

    static func mean(_ summary: ValueSummary?, decimals: Int) -> String {
        summary.map { fixed($0.mean, decimals) } ?? "-"
    }

    /// `123456`, or `100-200` when seeds disagree.
    static func parameters(_ counts: [Int]) -> String {
        guard let low = counts.first, let high = counts.last else { return "-" }
        return low == high ? String(low) : "\(low)-\(high)"
    }

    /// Three significant digits, e.g. `0.0312`, `1.2e-05`.
    static func pValue(_ value: Double?) -> String {
        guard let value else { return "-" }
        if value == 0 { return "0" }
        return String(format: "%.3g", value)
    }

    static func signed(_ value: Double?, decimals: Int) -> String {
        guard let value else { return "-" }
        if value.isNaN { return "nan" }
        if value.isInfinite { return value > 0 ? "inf" : "-inf" }
        let text = fixed(value, decimals)
        return value > 0 && text != fixed(0, decimals) ? "+\(text)" : text
    }

    static func seeds(_ seeds: [UInt64?]) -> String {
        seeds.map { $0.map(String.init) ?? "none" }.joined(separator: ", ")
    }

    /// Shortest round-trip text for machine-readable output; empty for nil, `NaN` kept.
    static func exact(_ value: Double?) -> String {
        guard let value else { return "" }
        return ConfigSettings.numberText(value)
    }

    /// A markdown table cell: pipes escaped, line breaks flattened.
    static func markdownCell(_ text: String) -> String {
        text.replacingOccurrences(of: "\\", with: "\\\\").replacingOccurrences(of: "|", with: "\\|")
            .replacingOccurrences(of: "\r\n", with: " ").replacingOccurrences(of: "\n", with: " ")
    }

    /// An RFC 4180 field (quoted when it holds a comma, quote or line break) that is safe to
    /// open in a spreadsheet: Excel, LibreOffice and Google Sheets run a cell starting with
    /// `=`, `+`, `-`, `@`, tab or CR as a formula, so such text gets a leading `'` and is
    /// quoted (OWASP's CSV-injection advice). A plain number (`-0.5`, `1e-05`) stays a number.
    static func csvField(_ text: String) -> String {
        var field = text
        var quoted = text.contains(where: { $0 == "," || $0 == "\"" || $0 == "\n" || $0 == "\r" })
        if let first = text.unicodeScalars.first, formulaStarts.contains(first), !isPlainNumber(text) {
            field = "'" + text
            quoted = true
        }
        guard quoted else { return field }
        return "\"\(field.replacingOccurrences(of: "\"", with: "\"\""))\""
    }

    private static let formulaStarts: Set<Unicode.Scalar> = ["=", "+", "-", "@", "\t", "\r"]

    /// `-12`, `+0.5`, `1.5e-05`: an optional sign, digits with at most one point, an optional exponent.
    static func isPlainNumber(_ text: String) -> Bool {
        var bytes = Substring(text).utf8[...]
        func digits() -> Int {
            let count = bytes.prefix { $0 >= UInt8(ascii: "0") && $0 <= UInt8(ascii: "9") }.count
            bytes = bytes.dropFirst(count)
            return count
        }
        if bytes.first == UInt8(ascii: "-") || bytes.first == UInt8(ascii: "+") { bytes = bytes.dropFirst() }
        var mantissa = digits()
        if bytes.first == UInt8(ascii: ".") {
            bytes = bytes.dropFirst()
            mantissa += digits()
        }
        guard mantissa > 0 else { return false }
        if bytes.first == UInt8(ascii: "e") || bytes.first == UInt8(ascii: "E") {
            bytes = bytes.dropFirst()
            if bytes.first == UInt8(ascii: "-") || bytes.first == UInt8(ascii: "+") { bytes = bytes.dropFirst() }
            guard digits() > 0 else { return false }
        }
        return bytes.isEmpty
    }

    /// Text for HTML and SVG content and attribute values.
    static func escapeHTML(_ text: String) -> String {
        var result = ""
        result.reserveCapacity(text.count)
        for character in text {
            switch character {
            case "&": result += "&amp;"
            case "<": result += "&lt;"
            case ">": result += "&gt;"
            case "\"": result += "&quot;"
            case "'": result += "&#39;"
            default: result.append(character)
            }
        }
        return result
    }
}
