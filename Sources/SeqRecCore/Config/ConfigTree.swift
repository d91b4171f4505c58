// Node-level operations used while resolving a configuration: deep merging for
// `extends:`, `--set` and grid values, and building a nested mapping from a dotted path.

enum ConfigTree {
    /// Keys of `dataset` that choose where the data comes from; exactly one may be set.
    static let datasetSourceKeys = ["name", "path", "synthetic"]
    /// Keys that only make sense with one source, dropped when a child switches source.
    static let datasetSourceDependentKeys = ["format", "columns"]

    /// Deep merge: mappings merge key by key with `override` winning; anything else
    /// (scalars, lists, a mapping replacing a scalar) is replaced whole.
    static func merge(_ base: YAMLNode, _ override: YAMLNode, path: String = "") -> YAMLNode {
        var (base, override) = (base, override)
        if shorthandPaths.contains(path), base.mappingEntries != nil || override.mappingEntries != nil {
            // `optimizer: sgd` means `optimizer: {name: sgd}`, so it merges like the long form.
            (base, override) = (expandingShorthand(base), expandingShorthand(override))
        }
        guard var baseEntries = base.mappingEntries, let overrideEntries = override.mappingEntries else {
            return override
        }
        if path == "dataset" {
            // A child that switches to another data source replaces the parent's source
            // entirely, so that `extends` + `dataset: {path: ...}` does not also keep the
            // parent's name. The same source merges (`--set dataset.synthetic.noise=1`).
            let sources = { (entries: [YAMLMappingEntry]) in
                Set(entries.compactMap(\.key.scalarText).filter { datasetSourceKeys.contains($0) })
            }
            let overrideSources = sources(overrideEntries)
            if !overrideSources.isEmpty, !sources(baseEntries).isSubset(of: overrideSources) {
                let dropped = Set(datasetSourceKeys + datasetSourceDependentKeys).subtracting(overrideSources)
                baseEntries.removeAll { dropped.contains($0.key.scalarText ?? "") }
            } else if let baseFormat = fileFormat(baseEntries), let overrideFormat = fileFormat(overrideEntries),
                      baseFormat != overrideFormat {
                // A file of another format: the parent's `format` and `columns` described the
                // parent's file (a CSV header's names mean nothing to a RecBole `.inter` file).
                baseEntries.removeAll { datasetSourceDependentKeys.contains($0.key.scalarText ?? "") }
            }
        }
        for entry in overrideEntries {
            let key = entry.key.scalarText ?? ""
            let childPath = path.isEmpty ? key : "\(path).\(key)"
            if let index = baseEntries.firstIndex(where: { $0.key.scalarText == key }) {
                baseEntries[index] = YAMLMappingEntry(
                    key: entry.key, value: merge(baseEntries[index].value, entry.value, path: childPath))
            } else {
                baseEntries.append(entry)
            }
        }
        return YAMLNode(.mapping(baseEntries), at: override.location)
    }

    /// The format of a `dataset` mapping's `path`: its `format` if set, else the one its
    /// extension implies; nil without a path or when neither says.
    private static func fileFormat(_ entries: [YAMLMappingEntry]) -> String? {
        func value(_ key: String) -> String? {
            entries.first { $0.key.scalarText == key }.flatMap { $0.value.isNull ? nil : $0.value.scalarText }
        }
        guard let path = value("path") else { return nil }
        return value("format") ?? DataFormat.detected(fromPath: path)?.rawValue
    }

    /// Keys whose value may be a bare name standing for `{name: value}`.
    static let shorthandPaths: Set<String> = ["training.optimizer", "training.schedule"]

    private static func expandingShorthand(_ node: YAMLNode) -> YAMLNode {
        guard node.scalarText != nil, !node.isNull else { return node }
        let key = YAMLNode(.scalar("name", .plain), at: node.location)
        return YAMLNode(.mapping([YAMLMappingEntry(key: key, value: node)]), at: node.location)
    }

    /// `{a: {b: value}}` from the path `a.b`; each key node is placed at its own location.
    static func nested(path segments: [(key: String, location: ConfigLocation)], value: YAMLNode) -> YAMLNode {
        var node = value
        for segment in segments.reversed() {
            let key = YAMLNode(.scalar(segment.key, .plain), at: segment.location)
            node = YAMLNode(.mapping([YAMLMappingEntry(key: key, value: node)]), at: segment.location)
        }
        return node
    }

    /// The tree with the value at an existing key path replaced (no merge rules applied).
    static func replacing(_ path: [String], with value: YAMLNode, in node: YAMLNode) -> YAMLNode {
        guard let key = path.first, let entries = node.mappingEntries else { return node }
        var copy = node
        copy.kind = .mapping(entries.map { entry in
            guard entry.key.scalarText == key else { return entry }
            let replaced = path.count == 1 ? value : replacing(Array(path.dropFirst()), with: value, in: entry.value)
            return YAMLMappingEntry(key: entry.key, value: replaced)
        })
        return copy
    }

    /// The mapping without the given top-level keys.
    static func removing(_ keys: Set<String>, from node: YAMLNode) -> YAMLNode {
        guard let entries = node.mappingEntries else { return node }
        var copy = node
        copy.kind = .mapping(entries.filter { !keys.contains($0.key.scalarText ?? "") })
        return copy
    }

    /// The segments of a dotted key written as the mapping key `key`, each with the position of
    /// its first character (a plain scalar's columns advance past each segment and its dot;
    /// a quoted key's segments all point at the key), for diagnostics that point into the key.
    static func locatedSegments(_ parts: [String], of key: YAMLNode) -> [(key: String, location: ConfigLocation)] {
        var offset = 0
        var segments: [(key: String, location: ConfigLocation)] = []
        for part in parts {
            var location = key.location
            if key.isPlain { location.column += offset }
            segments.append((part, location))
            offset += part.count + 1
        }
        return segments
    }

    /// Splits `model.hidden_size` into its segments; nil if any segment is empty.
    static func segments(ofDottedPath path: String) -> [String]? {
        let parts = path.split(separator: ".", omittingEmptySubsequences: false).map(String.init)
        return parts.contains(where: \.isEmpty) ? nil : parts
    }
}
