// `grid:` — a mapping of dotted key paths to lists of values. It expands to the cartesian
// product of resolved experiments: keys in file order, the last key varying fastest.
// Each value is merged over the base tree like a `--set`, so it is typed and validated
// the same way (an unknown path is an unknown-key error pointing into the grid).

/// One run of a grid.
public struct GridPoint: Sendable {
    /// `cell=gru,seed=2` (the varied values), or the experiment name when nothing varies.
    package var runName: String
    /// The varied keys (full dotted paths) and their values, in grid order.
    package var varied: [(key: String, value: String)]
    /// The resolved experiment; its name and output dir carry the run name.
    public var spec: ExperimentSpec

    package init(runName: String, varied: [(key: String, value: String)], spec: ExperimentSpec) {
        self.runName = runName
        self.varied = varied
        self.spec = spec
    }
}

package enum GridExpansion {
    /// The most runs a grid may expand to.
    package static let maxPoints = 10_000

    struct Axis {
        var keyPath: String
        /// The label in run names: the last path segment, or the full path when ambiguous.
        var label: String
        var segments: [(key: String, location: ConfigLocation)]
        var values: [YAMLNode]
    }

    /// `axisOverrides`: `--set grid.KEY=[...]` flags (ConfigOverride), each giving one axis of
    /// `grid` other values. `overrides` (the other `--set` flags) may not touch an axis.
    static func expand(base: YAMLNode, grid: YAMLNode, overrides: [YAMLNode], axisOverrides: [YAMLNode] = [],
                       defaultName: String) throws(ConfigError) -> [GridPoint] {
        let axes = try parseAxes(try replacingAxes(of: grid, with: axisOverrides))
        try checkOverrides(overrides, leave: axes, base: base)
        var collector = DiagnosticCollector()
        var points: [GridPoint] = []
        for choice in combinations(of: axes.map(\.values.count)) {
            var tree = base
            var varied: [(key: String, value: String)] = []
            for (axis, index) in zip(axes, choice) {
                tree = ConfigTree.merge(tree, ConfigTree.nested(path: axis.segments, value: axis.values[index]))
                varied.append((axis.keyPath, axis.values[index].flowText))
            }
            let runName = zip(axes, varied).map { "\($0.label)=\($1.value)" }.joined(separator: ",")
            if runName.utf8.count > SpecDecoder.maxNameBytes {
                collector.add(grid, "grid",
                    "expected run names of at most \(SpecDecoder.maxNameBytes) bytes (each names a directory), found one of \(runName.utf8.count) bytes")
                continue
            }
            do {
                var spec = try ConfigLoader.decode(tree, overrides: overrides, defaultName: defaultName)
                if !axes.contains(where: { $0.keyPath == "name" }) { spec.name += "/\(runName)" }
                if !axes.contains(where: { $0.keyPath == "output.dir" || $0.keyPath == "output" }) {
                    spec.output.dir += "/\(runName)"
                }
                points.append(GridPoint(runName: runName, varied: varied, spec: spec))
            } catch {
                collector.add(contentsOf: error)
            }
        }
        if !collector.isEmpty { throw collector.error() }
        return points
    }

    /// `grid` with the values of the axes the flags name replaced by the flags' values; the
    /// axis keeps its place (and so the run names their order). A flag naming no axis is an error.
    static func replacingAxes(of grid: YAMLNode, with flags: [YAMLNode]) throws(ConfigError) -> YAMLNode {
        guard !flags.isEmpty, var entries = grid.mappingEntries else { return grid }
        func path(_ key: YAMLNode) -> String? {
            key.scalarText.flatMap(ConfigTree.segments(ofDottedPath:))?.joined(separator: ".")
        }
        var collector = DiagnosticCollector()
        for flag in flags {
            guard let entry = flag.value(forKey: "grid")?.mappingEntries?.first, let axis = entry.key.scalarText else { continue }
            guard let index = entries.firstIndex(where: { path($0.key) == axis }) else {
                let known = entries.compactMap { path($0.key) }.joined(separator: ", ")
                collector.add(flag, ConfigOverride.keyPath(of: flag),
                    "expected an axis of the file's grid (\(known)), found no axis '\(axis)'; --set grid.KEY=[...] gives an axis other values, it does not add one")
                continue
            }
            entries[index] = YAMLMappingEntry(key: entries[index].key, value: entry.value)
        }
        if !collector.isEmpty { throw collector.error() }
        var replaced = grid
        replaced.kind = .mapping(entries)
        return replaced
    }

    /// A `--set` may not change what an axis varies: `--set seed=1` on a grid over seeds would
    /// run every point with seed 1 under the names `seed=2`, `seed=3`. Each flag is merged, on
    /// its own, over the base with a marker at each axis's path; a flag that moves the marker
    /// (sets the axis, a key inside it, or a parent that replaces it, including a dataset
    /// source that replaces the axis's source) is refused, naming the axis and how to cut it.
    static func checkOverrides(_ overrides: [YAMLNode], leave axes: [Axis], base: YAMLNode) throws(ConfigError) {
        guard !overrides.isEmpty else { return }
        var collector = DiagnosticCollector()
        for axis in axes {
            let location = axis.segments.first?.location ?? base.location
            let marker = YAMLNode(.scalar("\u{1}grid axis \(axis.keyPath)\u{1}", .plain), at: location)
            let marked = ConfigTree.merge(base, ConfigTree.nested(path: axis.segments, value: marker))
            for flag in overrides {
                let merged = ConfigTree.merge(marked, flag)
                var node: YAMLNode? = merged
                for segment in axis.segments { node = node?.value(forKey: segment.key) }
                if let node, case .scalar(let text, _) = node.kind, text == marker.scalarText { continue }
                let values = axis.values.map(\.flowText)
                let keyPath = ConfigOverride.keyPath(of: flag)
                var example = values.first ?? ""
                if keyPath == axis.keyPath, let value = flag.location.source.displayName.split(separator: "=", maxSplits: 1).last,
                   values.contains(String(value)) {
                    example = String(value)
                }
                let place = "\(location.source.displayName):\(location.line):\(location.column)"
                let subject = keyPath == axis.keyPath ? "the grid varies \(axis.keyPath)" : "this changes \(axis.keyPath), which the grid varies"
                collector.add(flag, keyPath,
                    "\(subject) (\(place): [\(values.joined(separator: ", "))]): its points would run under names that say otherwise; to run fewer points, give the axis fewer values: --set 'grid.\(axis.keyPath)=[\(example)]'")
            }
        }
        if !collector.isEmpty { throw collector.error() }
    }

    /// Index tuples of the cartesian product, the last axis varying fastest.
    static func combinations(of counts: [Int]) -> [[Int]] {
        counts.reduce([[]]) { partial, count in
            partial.flatMap { prefix in (0..<count).map { prefix + [$0] } }
        }
    }

    static func parseAxes(_ grid: YAMLNode) throws(ConfigError) -> [Axis] {
        var collector = DiagnosticCollector()
        guard let entries = grid.mappingEntries, !entries.isEmpty else {
            throw ConfigError(ConfigDiagnostic(at: grid.location, keyPath: "grid",
                "expected a mapping of key paths to lists of values (e.g. {model.cell: [lstm, gru]}), found \(grid.foundDescription)"))
        }
        var axes: [Axis] = []
        for entry in entries {
            let keyText = entry.key.scalarText ?? ""
            let keyPath = "grid.\(keyText)"
            guard let parts = ConfigTree.segments(ofDottedPath: keyText), parts.allSatisfy(ConfigOverride.isKeySegment) else {
                collector.add(entry.key, keyPath, "expected a dotted key path such as 'model.cell', found '\(keyText)'")
                continue
            }
            guard parts.count <= YAMLDocumentLoader.maxDepth else {
                // It becomes that many nested mappings: bounded like nesting in the file.
                collector.add(entry.key, "grid", "expected a key path of at most \(YAMLDocumentLoader.maxDepth) keys, found \(parts.count)")
                continue
            }
            if let first = parts.first, ConfigOverride.reservedKeys.contains(first) {
                collector.add(entry.key, keyPath, "'\(first)' cannot be varied by a grid")
                continue
            }
            guard case .sequence(let values) = entry.value.kind, !values.isEmpty else {
                collector.add(entry.value, keyPath, "expected a non-empty list of values, found \(entry.value.foundDescription)")
                continue
            }
            var seen: Set<String> = []
            for (index, value) in values.enumerated() where !seen.insert(value.flowText).inserted {
                collector.add(value, "\(keyPath)[\(index)]", "duplicate value '\(value.flowText)'")
            }
            // Values become part of the run name, a directory under output.dir.
            for (index, value) in values.enumerated() {
                let text = value.flowText
                let problem = text.contains("/") ? "'/'" : text.contains("\\") ? "'\\'"
                    : text.unicodeScalars.contains(where: { $0.properties.generalCategory == .control }) ? "control characters" : nil
                if let problem {
                    collector.add(value, "\(keyPath)[\(index)]",
                        "expected a value without \(problem): grid values name the run's directory, found '\(text)'")
                }
            }
            let segments = ConfigTree.locatedSegments(parts, of: entry.key)
            axes.append(Axis(keyPath: parts.joined(separator: "."), label: parts.last ?? keyText,
                             segments: segments, values: values))
        }
        // Labels must tell axes apart: fall back to the full path when last segments clash.
        let labels = axes.map(\.label)
        for index in axes.indices where labels.filter({ $0 == labels[index] }).count > 1 {
            axes[index].label = axes[index].keyPath
        }
        let total = axes.reduce(1) { $0.multipliedReportingOverflow(by: $1.values.count).partialValue }
        if total > maxPoints || total < 0 {
            collector.add(grid, "grid", "expected at most \(maxPoints) runs, found \(total)")
        }
        if !collector.isEmpty { throw collector.error() }
        return axes
    }
}

extension YAMLNode {
    /// Compact flow-style text: `gru`, `[1, 2]`, `{sampled: 100}`.
    package var flowText: String {
        switch kind {
        case .scalar(let text, .plain): return text
        case .scalar(let text, _): return text
        case .sequence(let items): return "[" + items.map(\.flowText).joined(separator: ", ") + "]"
        case .mapping(let entries):
            return "{" + entries.map { "\($0.key.flowText): \($0.value.flowText)" }.joined(separator: ", ") + "}"
        }
    }
}
