// Errors in configuration, rendered like compiler diagnostics:
//
//     experiments/x.yaml:7:5: error: model.hiden_size: unknown key 'hiden_size' (did you mean 'hidden_size'?)
//         hiden_size: 50
//         ^
//
// Errors that come from a `--set` flag name the flag instead of a line and column.

/// One problem at one place.
public struct ConfigDiagnostic: Sendable, CustomStringConvertible {
    /// Where; nil for problems with no position (e.g. an unreadable file).
    package var location: ConfigLocation?
    /// The file or flag, used when `location` is nil.
    package var origin: String
    /// The dotted key path (`model.hidden_size`, `evaluation.metrics[2]`); empty if none.
    package var keyPath: String
    package var message: String
    /// Whether to print the source line and caret.
    package var showsSourceLine: Bool

    package init(at location: ConfigLocation, keyPath: String, _ message: String, showsSourceLine: Bool = true) {
        self.location = location
        self.origin = location.source.displayName
        self.keyPath = keyPath
        self.message = message
        self.showsSourceLine = showsSourceLine
    }

    public init(origin: String, keyPath: String = "", _ message: String) {
        self.location = nil
        self.origin = origin
        self.keyPath = keyPath
        self.message = message
        self.showsSourceLine = false
    }

    /// Source lines longer than this are not printed under the error.
    static let maxQuotedLineLength = 200

    /// The rendered diagnostic. Everything from the user (origin, key path, the values the
    /// message quotes, the source line) is escaped for the terminal.
    public var description: String {
        let text = (keyPath.isEmpty ? message : "\(keyPath): \(message)").escapedForTerminal
        let origin = origin.escapedForTerminal
        guard let location, !location.source.isFlag else {
            return "\(origin): error: \(text)"
        }
        var rendered = "\(origin):\(location.line):\(location.column): error: \(text)"
        if showsSourceLine, let line = location.source.line(location.line),
           line.count <= Self.maxQuotedLineLength, !line.allSatisfy({ $0 == " " || $0 == "\t" }) {
            let escapedLine = line.escapedForTerminal
            // The caret sits under the same character of the escaped line.
            let indent = String(String(line.prefix(max(0, location.column - 1))).escapedForTerminal.map { $0 == "\t" ? "\t" : " " })
            rendered += "\n\(escapedLine)\n\(indent)^"
        }
        return rendered
    }
}

/// Everything wrong with a configuration, reported together.
public struct ConfigError: Error, Sendable, CustomStringConvertible {
    package var diagnostics: [ConfigDiagnostic]

    public init(_ diagnostics: [ConfigDiagnostic]) {
        self.diagnostics = diagnostics
    }

    public init(_ diagnostic: ConfigDiagnostic) {
        self.diagnostics = [diagnostic]
    }

    /// The full multi-error text, one diagnostic after another.
    public var description: String {
        diagnostics.map(\.description).joined(separator: "\n")
    }
}

/// Collects diagnostics while decoding, so that a file reports all of its errors at once.
struct DiagnosticCollector {
    private(set) var diagnostics: [ConfigDiagnostic] = []
    private var seen: Set<String> = []

    var isEmpty: Bool { diagnostics.isEmpty }

    /// Adds a diagnostic unless an identical one is already there (grid points repeat them).
    mutating func add(_ diagnostic: ConfigDiagnostic) {
        if seen.insert(diagnostic.description).inserted {
            diagnostics.append(diagnostic)
        }
    }

    mutating func add(_ node: YAMLNode, _ keyPath: String, _ message: String) {
        add(ConfigDiagnostic(at: node.location, keyPath: keyPath, message))
    }

    mutating func add(contentsOf error: ConfigError) {
        error.diagnostics.forEach { add($0) }
    }

    /// Diagnostics ordered by source (in order of first appearance), then line and column.
    func sorted() -> [ConfigDiagnostic] {
        var sourceOrder: [ObjectIdentifier: Int] = [:]
        var originOrder: [String: Int] = [:]
        for diagnostic in diagnostics {
            if let source = diagnostic.location?.source, sourceOrder[ObjectIdentifier(source)] == nil {
                sourceOrder[ObjectIdentifier(source)] = sourceOrder.count
            }
            if originOrder[diagnostic.origin] == nil { originOrder[diagnostic.origin] = originOrder.count }
        }
        func rank(_ d: ConfigDiagnostic) -> (Int, Int, Int, Int) {
            let isFlag = d.location?.source.isFlag ?? false
            let group = isFlag ? 1 : 0
            let source = d.location.map { sourceOrder[ObjectIdentifier($0.source)] ?? 0 } ?? (originOrder[d.origin] ?? 0)
            return (group, source, d.location?.line ?? 0, d.location?.column ?? 0)
        }
        return diagnostics.enumerated().sorted { lhs, rhs in
            let (l, r) = (rank(lhs.element), rank(rhs.element))
            return l != r ? l < r : lhs.offset < rhs.offset
        }.map(\.element)
    }

    func error() -> ConfigError { ConfigError(sorted()) }
}
