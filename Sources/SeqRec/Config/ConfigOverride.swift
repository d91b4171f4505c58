// `--set key.path=value`: the value is read as a YAML scalar or flow value and becomes a
// one-key nested mapping that is merged over the file, so it goes through exactly the
// same typing and validation as the file's own values. Errors name the flag.

enum ConfigOverride {
    /// Keys that shape loading itself and cannot be overridden.
    static let reservedKeys: Set<String> = ["extends", "grid"]

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
        if let first = segments.first, reservedKeys.contains(first) {
            throw ConfigError(ConfigDiagnostic(origin: flag, keyPath: keyPath,
                "'\(first)' cannot be set from the command line"))
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
        return ConfigTree.nested(path: segments.map { ($0, location) }, value: positioned)
    }

    static func isKeySegment(_ segment: String) -> Bool {
        !segment.isEmpty && segment.unicodeScalars.allSatisfy { scalar in
            (scalar.value < 128) && (scalar.properties.isAlphabetic || ("0"..."9").contains(scalar) || scalar == "_" || scalar == "-")
        }
    }
}
