// `--set key.path=value`: the value is read as a YAML scalar or flow value and becomes a
// one-key nested mapping that is merged over the file, so it goes through exactly the
// same typing and validation as the file's own values. Errors name the flag.
//
// `--set grid.KEY.PATH=[v1, v2]` is the one form that reaches into `grid:`: it gives the axis
// `KEY.PATH` of the file's grid these values instead of its own (GridExpansion), e.g. fewer
// seeds for a quick look. It becomes `{grid: {"KEY.PATH": [v1, v2]}}`, one entry whose key is
// the whole dotted path, as a grid writes it; the loader takes it out before merging.

enum ConfigOverride {
    /// Keys that shape loading itself and cannot be overridden.
    static let reservedKeys: Set<String> = ["extends", "grid", "tune"]

    /// The flag's key path (`seed`, `grid.model.cell`), read back from the node `parse` made.
    static func keyPath(of node: YAMLNode) -> String {
        let name = node.location.source.displayName
        let assignment = name.hasPrefix("--set ") ? name.dropFirst("--set ".count) : Substring(name)
        return String(assignment.prefix { $0 != "=" })
    }

    /// Whether `node` (from `parse`) gives a grid axis new values rather than setting a key.
    static func isGridAxis(_ node: YAMLNode) -> Bool {
        node.mappingEntries?.count == 1 && node.mappingEntries?.first?.key.scalarText == "grid"
    }

    static func parse(_ assignment: String) throws(ConfigError) -> YAMLNode {
        let flag = "--set \(assignment)"
        let source = ConfigSource(displayName: flag, text: assignment, isFlag: true)
        guard let equals = assignment.firstIndex(of: "="),
              let segments = ConfigTree.segments(ofDottedPath: String(assignment[..<equals])),
              segments.allSatisfy(isKeySegment) else {
            throw ConfigError(ConfigDiagnostic(origin: flag,
                "expected KEY.PATH=VALUE (e.g. --set model.hidden_size=128), found '\(assignment)'"))
        }
        guard segments.count <= YAMLDocumentLoader.maxDepth else {
            throw ConfigError(ConfigDiagnostic(origin: flag,
                "expected a key path of at most \(YAMLDocumentLoader.maxDepth) keys, found \(segments.count)"))
        }
        let keyPath = segments.joined(separator: ".")
        let gridAxis = segments.first == "grid" && segments.count > 1
        if let first = segments.first, reservedKeys.contains(first), !gridAxis {
            let hint = first == "grid" ? "; give one axis of the file's grid other values with --set 'grid.KEY.PATH=[v1, v2]'" : ""
            throw ConfigError(ConfigDiagnostic(origin: flag, keyPath: keyPath,
                "'\(first)' cannot be set from the command line\(hint)"))
        }
        let valueText = String(assignment[assignment.index(after: equals)...])
        let location = ConfigLocation(source: source, line: 1, column: 1)
        let value: YAMLNode
        do {
            value = try YAMLDocumentLoader.load(bytes: Array(valueText.utf8), source: source)
                ?? YAMLNode(.scalar("", .plain), at: location)
        } catch {
            throw ConfigError(error.diagnostics.map { diagnostic in
                var named = diagnostic
                named.keyPath = keyPath
                return named
            })
        }
        var positioned = value
        positioned.location = location
        if gridAxis {
            // One entry keyed by the axis's whole path, as `grid:` itself is written.
            return ConfigTree.nested(path: [("grid", location), (segments.dropFirst().joined(separator: "."), location)],
                                     value: positioned)
        }
        return ConfigTree.nested(path: segments.map { ($0, location) }, value: positioned)
    }

    static func isKeySegment(_ segment: String) -> Bool {
        !segment.isEmpty && segment.unicodeScalars.allSatisfy { scalar in
            (scalar.value < 128) && (scalar.properties.isAlphabetic || ("0"..."9").contains(scalar) || scalar == "_" || scalar == "-")
        }
    }
}
