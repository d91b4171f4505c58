// Typed readers for single values. Each returns nil after recording an
// "expected ..., found ..." diagnostic at the node.

/// Allowed ranges for real numbers, with the words used in errors.
enum NumberRange: Sendable {
    case any, positive, nonNegative, unitHalfOpen, unitClosed

    var expected: String {
        switch self {
        case .any: return "a number"
        case .positive: return "a number > 0"
        case .nonNegative: return "a number >= 0"
        case .unitHalfOpen: return "a number in [0, 1)"
        case .unitClosed: return "a number in [0, 1]"
        }
    }

    func contains(_ value: Double) -> Bool {
        switch self {
        case .any: return true
        case .positive: return value > 0
        case .nonNegative: return value >= 0
        case .unitHalfOpen: return value >= 0 && value < 1
        case .unitClosed: return value >= 0 && value <= 1
        }
    }
}

/// The built-in datasets `dataset.name` accepts.
public let builtInDatasetNames = ["movielens-100k", "movielens-1m"]

extension SpecDecoder {
    static func integerExpectation(atLeast minimum: Int, atMost maximum: Int? = nil) -> String {
        if let maximum { return "an integer from \(minimum) to \(maximum)" }
        switch minimum {
        case 1: return "a positive integer"
        case 0: return "a non-negative integer"
        default: return "an integer >= \(minimum)"
        }
    }

    func integer(_ node: YAMLNode, _ path: String, atLeast minimum: Int, atMost maximum: Int? = nil) -> Int? {
        let expected = Self.integerExpectation(atLeast: minimum, atMost: maximum)
        guard node.isPlain, let text = node.scalarText, let value = Int(text), value >= minimum,
              value <= maximum ?? .max else {
            diagnostics.add(node, path, "expected \(expected), found \(node.foundDescription)")
            return nil
        }
        return value
    }

    func seed(_ node: YAMLNode, _ path: String) -> UInt64? {
        guard node.isPlain, let text = node.scalarText, let value = UInt64(text) else {
            diagnostics.add(node, path, "expected a non-negative integer below 2^64, found \(node.foundDescription)")
            return nil
        }
        return value
    }

    func number(_ node: YAMLNode, _ path: String, _ range: NumberRange) -> Double? {
        guard node.isPlain, let text = node.scalarText, let value = Double(text), value.isFinite,
              range.contains(value) else {
            diagnostics.add(node, path, "expected \(range.expected), found \(node.foundDescription)")
            return nil
        }
        return value
    }

    func boolean(_ node: YAMLNode, _ path: String) -> Bool? {
        if node.isPlain, let text = node.scalarText {
            switch text {
            case "true", "True", "TRUE": return true
            case "false", "False", "FALSE": return false
            default: break
            }
        }
        diagnostics.add(node, path, "expected true or false, found \(node.foundDescription)")
        return nil
    }

    func nonEmptyText(_ node: YAMLNode, _ path: String) -> String? {
        guard let text = node.scalarText, !node.isNull, !text.isEmpty else {
            diagnostics.add(node, path, "expected a non-empty string, found \(node.foundDescription)")
            return nil
        }
        return text
    }

    /// A file or directory path: no control characters (they would reach the terminal
    /// in every command `runner plan` prints, and no one means a newline in a path).
    func pathText(_ node: YAMLNode, _ path: String) -> String? {
        guard let text = nonEmptyText(node, path) else { return nil }
        guard !text.unicodeScalars.contains(where: { $0.properties.generalCategory == .control }) else {
            diagnostics.add(node, path, "expected a path without control characters, found \(node.foundDescription)")
            return nil
        }
        return text
    }

    /// The longest `label`, in bytes: a table cell, not a paragraph.
    static let maxLabelBytes = 120

    /// A row label for `runner compare`: one line of text.
    func labelText(_ node: YAMLNode, _ path: String) -> String? {
        guard let text = nonEmptyText(node, path) else { return nil }
        if text.unicodeScalars.contains(where: { $0.properties.generalCategory == .control }) {
            diagnostics.add(node, path, "expected a label without control characters, found \(node.foundDescription)")
            return nil
        }
        if text.utf8.count > Self.maxLabelBytes {
            diagnostics.add(node, path, "expected a label of at most \(Self.maxLabelBytes) bytes, found \(text.utf8.count) bytes")
            return nil
        }
        return text
    }

    /// The longest experiment name, in bytes.
    static let maxNameBytes = 200

    /// An experiment name: it becomes a directory name under `results/` (and the run name
    /// of a grid point another one below it), so it must be one path component.
    func experimentName(_ node: YAMLNode, _ path: String) -> String? {
        guard let text = nonEmptyText(node, path) else { return nil }
        if let problem = Self.nameProblem(text) {
            let found = text.utf8.count > Self.maxNameBytes ? "a name of \(text.utf8.count) bytes" : node.foundDescription
            diagnostics.add(node, path, "expected a name \(problem) (a name is not a path), found \(found)")
            return nil
        }
        return text
    }

    /// What makes `text` unfit to be a name (one path component), e.g. "without '/'"; nil if fit.
    /// The one name with a `/` is a grid point's resolved name, `<name>/<run name>` (as
    /// `runner validate` prints it and reports and checkpoints record it), so that it loads
    /// back: two names, the second a run name (`key=value,...`).
    static func nameProblem(_ text: String) -> String? {
        let parts = text.split(separator: "/", omittingEmptySubsequences: false)
        if parts.count == 2, parts[1].contains("=") {
            return nameProblem(String(parts[0])) ?? nameProblem(String(parts[1]))
        }
        if text.isEmpty { return "that is not empty" }
        if text.utf8.count > maxNameBytes { return "of at most \(maxNameBytes) bytes" }
        if text.contains("/") { return "without '/'" }
        if text.contains("\\") { return "without '\\'" }
        if text.contains("..") { return "without '..'" }
        if text.hasPrefix(".") { return "that does not start with '.'" }
        if text.unicodeScalars.contains(where: { $0.properties.generalCategory == .control }) {
            return "without control characters"
        }
        return nil
    }

    /// One of an enum's raw values, with a suggestion for near misses.
    func choice<Choice: RawRepresentable & CaseIterable>(_ node: YAMLNode, _ path: String, noun: String) -> Choice?
    where Choice.RawValue == String {
        let names = Choice.allCases.map(\.rawValue)
        guard let text = node.scalarText, !node.isNull else {
            diagnostics.add(node, path, "expected one of \(names.joined(separator: ", ")), found \(node.foundDescription)")
            return nil
        }
        if let value = Choice(rawValue: text) { return value }
        let hint = Suggestion.hint(for: text, among: names)
        diagnostics.add(node, path, "unknown \(noun) '\(text)', expected one of \(names.joined(separator: ", "))\(hint)")
        return nil
    }

    func datasetName(_ node: YAMLNode, _ path: String) -> String? {
        guard let text = nonEmptyText(node, path) else { return nil }
        guard builtInDatasetNames.contains(text) else {
            let hint = Suggestion.hint(for: text, among: builtInDatasetNames)
            diagnostics.add(node, path,
                "unknown dataset '\(text)', expected one of \(builtInDatasetNames.joined(separator: ", ")) (or use dataset.path for your own file)\(hint)")
            return nil
        }
        return text
    }

    /// A fixed-length list of fractions in [0, 1]; `ratios` must also sum to 1 and
    /// `temporal_cuts` must increase (checked here because both concern one list).
    func fractions(_ node: YAMLNode, _ path: String, count: Int, noun: String) -> [Double]? {
        guard case .sequence(let items) = node.kind, items.count == count else {
            let found: String
            if case .sequence(let items) = node.kind { found = "a list of \(items.count)" } else { found = node.foundDescription }
            diagnostics.add(node, path, "expected a list of \(count) \(noun), found \(found)")
            return nil
        }
        var values: [Double] = []
        for (index, item) in items.enumerated() {
            guard let value = number(item, "\(path)[\(index)]", .unitClosed) else { return nil }
            values.append(value)
        }
        if path.hasSuffix("ratios") {
            let sum = values.reduce(0, +)
            if abs(sum - 1) > 1e-6 {
                diagnostics.add(node, path, "expected fractions summing to 1, found a sum of \(Self.format(sum))")
                return nil
            }
        } else if !(values[0] > 0 && values[0] < values[1] && values[1] < 1) {
            diagnostics.add(node, path,
                "expected two increasing quantiles strictly between 0 and 1, found [\(values.map(Self.format).joined(separator: ", "))]")
            return nil
        }
        return values
    }

    static func format(_ value: Double) -> String {
        let rounded = (value * 1e9).rounded() / 1e9
        return rounded == rounded.rounded() && abs(rounded) < 1e15 ? String(Int(rounded)) : String(rounded)
    }
}
